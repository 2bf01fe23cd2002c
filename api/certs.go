package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

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
	info, err := s.Certs.Rotate(r.Context(), id, up)
	if err != nil {
		writeError(w, certError(err))
		return
	}
	s.Log.Info("certificate rotated", "cert_id", info.ID, "version", info.Version)
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) listCerts(w http.ResponseWriter, r *http.Request) {
	infos, err := s.Certs.List(r.Context(), r.URL.Query().Get("app"))
	if err != nil {
		writeError(w, err)
		return
	}
	if infos == nil {
		infos = []certs.Info{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"certs": infos})
}

func (s *Server) getCert(w http.ResponseWriter, r *http.Request) {
	id, err := certID(r)
	if err != nil {
		writeError(w, err)
		return
	}
	info, err := s.Certs.Get(r.Context(), id)
	if err != nil {
		writeError(w, certError(err))
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
	if err := s.Certs.Delete(r.Context(), id); err != nil {
		writeError(w, certError(err))
		return
	}
	s.Log.Info("certificate deleted", "cert_id", id)
	writeJSON(w, http.StatusOK, map[string]any{"deleted": id})
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
