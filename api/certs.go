package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/vendors"
)

// CertRequest is the body of POST /v1/certs and PUT /v1/certs/{id}. Secret
// values are base64 (they may be binary, like a .p12).
type CertRequest struct {
	AppID   string            `json:"app_id"`
	Vendor  string            `json:"vendor"`
	Name    string            `json:"name,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`
	Secrets map[string]string `json:"secrets,omitempty"`
	Click   vendors.Click     `json:"click,omitempty"`
}

func (req *CertRequest) upload() (certs.Upload, error) {
	v, err := vendors.ParseVendor(req.Vendor)
	if err != nil {
		return certs.Upload{}, badRequest("vendor", "%v", err)
	}
	up := certs.Upload{AppID: req.AppID, Vendor: v, Name: req.Name, Fields: req.Fields,
		Secrets: map[string][]byte{}, Click: req.Click}
	for k, b64 := range req.Secrets {
		b, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return up, badRequest("secrets."+k, "must be base64")
		}
		up.Secrets[k] = b
	}
	return up, nil
}

func (s *Server) postCert(w http.ResponseWriter, r *http.Request) {
	var req CertRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	up, err := req.upload()
	if err != nil {
		writeError(w, err)
		return
	}
	if s.denyApp(w, r, strings.TrimSpace(up.AppID)) {
		return
	}
	info, err := s.Certs.Add(r.Context(), up)
	if err != nil {
		writeError(w, certError(err))
		return
	}
	s.Log.Info("certificate added", "cert_id", info.ID, "app_id", info.AppID, "vendor", info.Vendor)
	writeJSON(w, http.StatusCreated, info)
}

func (s *Server) rotateCert(w http.ResponseWriter, r *http.Request) {
	id, err := certID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req CertRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	up, err := req.upload()
	if err != nil {
		writeError(w, err)
		return
	}
	if _, ok := s.certOfApp(w, r, id); !ok {
		return
	}
	if app := strings.TrimSpace(up.AppID); app != "" && s.denyApp(w, r, app) {
		return
	}
	info, err := s.Certs.Rotate(r.Context(), id, up)
	if err != nil {
		writeError(w, certError(err))
		return
	}
	s.Log.Info("certificate rotated", "cert_id", info.ID, "version", info.Version)
	writeJSON(w, http.StatusOK, info)
}

// listCerts lists the certificates of ?app=, or of every app the token
// serves.
func (s *Server) listCerts(w http.ResponseWriter, r *http.Request) {
	app := r.URL.Query().Get("app")
	if app != "" && s.denyApp(w, r, app) {
		return
	}
	infos, err := s.Certs.List(r.Context(), app)
	if err != nil {
		writeError(w, err)
		return
	}
	out := []certs.Info{}
	for _, in := range infos {
		if s.allowApp(r, in.AppID) {
			out = append(out, in)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"certs": out})
}

func (s *Server) getCert(w http.ResponseWriter, r *http.Request) {
	id, err := certID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	info, ok := s.certOfApp(w, r, id)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) deleteCert(w http.ResponseWriter, r *http.Request) {
	id, err := certID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if _, ok := s.certOfApp(w, r, id); !ok {
		return
	}
	if err := s.Certs.Delete(r.Context(), id); err != nil {
		writeError(w, certError(err))
		return
	}
	s.Log.Info("certificate deleted", "cert_id", id)
	writeJSON(w, http.StatusOK, map[string]any{"deleted": id})
}

// certOfApp loads certificate id and checks the token may act on its app:
// 404 when it does not exist, 403 when it belongs to another app. It
// answers the error itself and reports whether to go on.
func (s *Server) certOfApp(w http.ResponseWriter, r *http.Request, id int64) (*certs.Info, bool) {
	if s.Certs == nil {
		writeError(w, notFound("certificate %d not found", id))
		return nil, false
	}
	info, err := s.Certs.Get(r.Context(), id)
	if err != nil {
		writeError(w, certError(err))
		return nil, false
	}
	if s.denyApp(w, r, info.AppID) {
		return nil, false
	}
	return info, true
}

func certID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("id", "certificate id must be a positive integer")
	}
	return id, nil
}

func certError(err error) error {
	var ve *certs.ValidationError
	switch {
	case errors.As(err, &ve):
		return badRequest(ve.Field, "%s", ve.Error())
	case errors.Is(err, certs.ErrNotFound):
		return notFound("%v", err)
	}
	return err
}

func randomID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
