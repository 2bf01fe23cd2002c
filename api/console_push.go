package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/dispatcher"
)

// pushData is the test-push page: the form as filled in, and after a
// submit the dry run's exact request or the vendor's raw answer.
type pushData struct {
	Certs  []certs.Info
	Form   PushRequest
	Badge  string
	Result *dispatcher.PushResult
}

func (s *Server) consolePushPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.appParam(w, r); !ok {
		return
	}
	d := pushData{Certs: s.visibleCerts(r)}
	d.Form.CertID, _ = strconv.ParseInt(r.FormValue("cert"), 10, 64)
	s.render(w, r, http.StatusOK, "push", "Test push", d, "")
}

// visibleCerts lists the certificates of r's apps.
func (s *Server) visibleCerts(r *http.Request) []certs.Info {
	if s.Certs == nil {
		return nil
	}
	infos, _ := s.Certs.List(r.Context(), "")
	var out []certs.Info
	for _, in := range infos {
		if s.allowApp(r, in.AppID) {
			out = append(out, in)
		}
	}
	return out
}

// consolePush dry-runs or sends the form's push, with the checks of
// POST /v1/push.
func (s *Server) consolePush(w http.ResponseWriter, r *http.Request) {
	if !s.formOK(w, r) {
		return
	}
	if _, ok := s.appParam(w, r); !ok {
		return
	}
	f := r.PostForm
	d := pushData{Certs: s.visibleCerts(r), Badge: strings.TrimSpace(f.Get("badge"))}
	d.Form = PushRequest{Token: strings.TrimSpace(f.Get("token")), Title: f.Get("title"), Desc: f.Get("desc"),
		Ext: f.Get("ext"), Sound: f.Get("sound"), DryRun: f.Get("action") != "send"}
	d.Form.CertID, _ = strconv.ParseInt(f.Get("cert_id"), 10, 64)
	if d.Badge != "" {
		n, err := strconv.Atoi(d.Badge)
		if err != nil {
			s.render(w, r, http.StatusBadRequest, "push", "Test push", d, "badge: must be a number")
			return
		}
		d.Form.Badge = &n
	}
	n, err := d.Form.notification()
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "push", "Test push", d, errorText(err))
		return
	}
	info, err := s.Certs.Get(r.Context(), d.Form.CertID)
	switch {
	case err != nil:
		s.render(w, r, http.StatusNotFound, "push", "Test push", d, "cert_id: certificate not found")
		return
	case !s.allowApp(r, info.AppID):
		s.render(w, r, http.StatusForbidden, "push", "Test push", d, "cert_id: this token may not act on that certificate's app")
		return
	}
	res, err := s.Pool.Push(r.Context(), &dispatcher.TestPush{CertID: d.Form.CertID, Token: d.Form.Token, Notif: n, DryRun: d.Form.DryRun})
	switch {
	case errors.Is(err, dispatcher.ErrUnknownCert):
		s.render(w, r, http.StatusNotFound, "push", "Test push", d, "certificate not found")
		return
	case err != nil:
		s.render(w, r, http.StatusBadRequest, "push", "Test push", d, "cert_id: "+err.Error())
		return
	}
	d.Result = res
	s.render(w, r, http.StatusOK, "push", "Test push", d, "")
}

// errorText words an API error as the API's body would: field, message.
func errorText(err error) string {
	var he *httpError
	if errors.As(err, &he) && he.field != "" && !strings.HasPrefix(he.msg, he.field) {
		return he.field + ": " + he.msg
	}
	return err.Error()
}
