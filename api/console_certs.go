package api

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/vendors"
)

// certsData is the certificates page.
type certsData struct {
	App   string
	Certs []certs.Info
	Forms []vendorForm
}

// vendorForm is the upload form of one vendor, built from its FieldSpec
// (the same list the certificate store validates against).
type vendorForm struct {
	Vendor string
	Fields []vendors.FieldSpec
}

func vendorForms() []vendorForm {
	var out []vendorForm
	for _, v := range vendors.All() {
		out = append(out, vendorForm{Vendor: string(v), Fields: vendors.SpecOf(v)})
	}
	return out
}

func (s *Server) consoleCerts(w http.ResponseWriter, r *http.Request) {
	s.renderCerts(w, r, http.StatusOK, "")
}

func (s *Server) renderCerts(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	app, ok := s.appParam(w, r)
	if !ok {
		return
	}
	d := certsData{App: app, Forms: vendorForms()}
	if s.Certs != nil {
		infos, err := s.Certs.List(r.Context(), app)
		if err != nil {
			writeError(w, err)
			return
		}
		for _, in := range infos {
			if s.allowApp(r, in.AppID) {
				d.Certs = append(d.Certs, in)
			}
		}
	}
	s.render(w, r, status, "certs", "Certificates", d, errMsg)
}

// consoleUpload adds a certificate, or rotates cert_id, from a vendor's
// upload form: files and fields go through the same store validation as
// POST /v1/certs, and its messages are shown as the API gives them.
func (s *Server) consoleUpload(w http.ResponseWriter, r *http.Request) {
	if !s.formOK(w, r) {
		return
	}
	up, err := uploadOf(r)
	if err != nil {
		s.renderCerts(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	var info *certs.Info
	if id := r.PostFormValue("cert_id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= 0 {
			s.renderCerts(w, r, http.StatusBadRequest, "cert_id: certificate id must be a positive integer")
			return
		}
		old, err := s.Certs.Get(ctx, n)
		if err != nil || !s.allowApp(r, old.AppID) || (up.AppID != "" && !s.allowApp(r, up.AppID)) {
			s.consoleFail(w, r, http.StatusForbidden, "no such certificate of an app this token serves")
			return
		}
		info, err = s.Certs.Rotate(ctx, n, up)
		if err != nil {
			s.certFormError(w, r, err)
			return
		}
	} else {
		if !s.allowApp(r, up.AppID) {
			s.consoleFail(w, r, http.StatusForbidden, "this token may not act on that app")
			return
		}
		if info, err = s.Certs.Add(ctx, up); err != nil {
			s.certFormError(w, r, err)
			return
		}
	}
	s.Log.Info("certificate saved from the console", "cert_id", info.ID, "app_id", info.AppID, "vendor", info.Vendor, "version", info.Version)
	msg := "certificate " + itoa(int(info.ID)) + " saved (version " + itoa(int(info.Version)) + ")"
	http.Redirect(w, r, "/console/certs?"+string(queryOf("msg", msg)), http.StatusSeeOther)
}

// certFormError shows a store refusal as the API words it (400 with the
// field), and answers anything else as the API does.
func (s *Server) certFormError(w http.ResponseWriter, r *http.Request, err error) {
	he, ok := certError(err).(*httpError)
	if !ok {
		writeError(w, err)
		return
	}
	msg := he.msg
	if he.field != "" && !strings.HasPrefix(msg, he.field) {
		msg = he.field + ": " + msg
	}
	s.renderCerts(w, r, he.status, msg)
}

// uploadOf reads a vendor form: text fields by their FieldSpec name,
// secrets from file inputs or password inputs of the same name.
func uploadOf(r *http.Request) (certs.Upload, error) {
	v, err := vendors.ParseVendor(r.PostFormValue("vendor"))
	if err != nil {
		return certs.Upload{}, badRequest("vendor", "%v", err)
	}
	up := certs.Upload{AppID: strings.TrimSpace(r.PostFormValue("app_id")), Vendor: v, Name: r.PostFormValue("name"),
		Fields: map[string]string{}, Secrets: map[string][]byte{}}
	for _, f := range vendors.SpecOf(v) {
		val, err := formValue(r, f)
		if err != nil {
			return up, err
		}
		switch {
		case len(val) == 0:
		case f.Secret:
			up.Secrets[f.Name] = val
		default:
			up.Fields[f.Name] = strings.TrimSpace(string(val))
		}
	}
	return up, nil
}

// formValue reads one field: a file for File specs, text otherwise.
func formValue(r *http.Request, f vendors.FieldSpec) ([]byte, error) {
	if !f.File {
		return []byte(r.PostFormValue(f.Name)), nil
	}
	file, _, err := r.FormFile(f.Name)
	if err == http.ErrMissingFile || err == http.ErrNotMultipart {
		return nil, nil
	}
	if err != nil {
		return nil, badRequest(f.Name, "the file could not be read")
	}
	defer file.Close()
	return io.ReadAll(io.LimitReader(file, maxBody))
}

// consoleConfirmDelete is the confirmation step before a delete.
func (s *Server) consoleConfirmDelete(w http.ResponseWriter, r *http.Request) {
	info, ok := s.consoleCert(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "delete", "Delete certificate", info, "")
}

func (s *Server) consoleDelete(w http.ResponseWriter, r *http.Request) {
	if !s.formOK(w, r) {
		return
	}
	info, ok := s.consoleCert(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != strconv.FormatInt(info.ID, 10) {
		s.render(w, r, http.StatusBadRequest, "delete", "Delete certificate", info, "type the certificate id to confirm")
		return
	}
	if err := s.Certs.Delete(r.Context(), info.ID); err != nil {
		writeError(w, certError(err))
		return
	}
	s.Log.Info("certificate deleted from the console", "cert_id", info.ID)
	http.Redirect(w, r, "/console/certs?"+string(queryOf("msg", "certificate "+itoa(int(info.ID))+" deleted")), http.StatusSeeOther)
}

// consoleCert loads the {id} of the path, of an app r may act on.
func (s *Server) consoleCert(w http.ResponseWriter, r *http.Request) (*certs.Info, bool) {
	id, err := certID(r)
	if err != nil {
		s.consoleFail(w, r, http.StatusBadRequest, err.Error())
		return nil, false
	}
	info, err := s.Certs.Get(r.Context(), id)
	if err != nil {
		s.consoleFail(w, r, http.StatusNotFound, "certificate "+itoa(int(id))+" not found")
		return nil, false
	}
	if !s.allowApp(r, info.AppID) {
		s.consoleFail(w, r, http.StatusForbidden, "this token may not act on that app")
		return nil, false
	}
	return info, true
}

// bufferedWriter records an inner handler's answer.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func jsonBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// queryOf encodes key, value pairs, skipping empty values.
func queryOf(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v.Encode()
}
