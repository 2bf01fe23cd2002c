package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/vendors"
)

// Device and user-state routes: what the message service reports for its
// users (SPEC §3.2). They take the enqueue role.
func (s *Server) deviceRoutes() {
	if s.Devices == nil {
		return
	}
	m := s.mux
	const dev = "/v1/apps/{app}/users/{user}/devices"
	m.HandleFunc("GET "+dev, s.require(RoleEnqueue, s.listDevices))
	m.HandleFunc("DELETE "+dev, s.require(RoleEnqueue, s.unbindAll))
	m.HandleFunc("PUT "+dev+"/{cert}/{token}", s.require(RoleEnqueue, s.bindDevice))
	m.HandleFunc("DELETE "+dev+"/{cert}/{token}", s.require(RoleEnqueue, s.unbindDevice))
	m.HandleFunc("POST "+dev+"/{cert}/{token}/background", s.require(RoleEnqueue, s.background))
	m.HandleFunc("POST "+dev+"/{cert}/{token}/foreground", s.require(RoleEnqueue, s.foreground))
	m.HandleFunc("GET /v1/apps/{app}/users/{user}/settings", s.require(RoleEnqueue, s.getSettings))
	m.HandleFunc("PUT /v1/apps/{app}/users/{user}/settings", s.require(RoleEnqueue, s.putSettings))
	m.HandleFunc("GET /v1/apps/{app}/users/{user}/receive-options", s.require(RoleEnqueue, s.getReceiveOptions))
	m.HandleFunc("PUT /v1/apps/{app}/users/{user}/receive-options/{kind}/{id}", s.require(RoleEnqueue, s.putReceiveOption))
}

// deviceRef is the binding a device route names.
type deviceRef struct {
	app, user, token string
	cert             int64
}

func parseDeviceRef(r *http.Request) (deviceRef, error) {
	ref := deviceRef{app: r.PathValue("app"), user: r.PathValue("user"), token: r.PathValue("token")}
	cert, err := strconv.ParseInt(r.PathValue("cert"), 10, 64)
	if err != nil || cert <= 0 {
		return ref, badRequest("cert_id", "certificate id must be a positive integer")
	}
	ref.cert = cert
	return ref, nil
}

// BindRequest is the optional body of PUT …/devices/{cert_id}/{token}.
type BindRequest struct {
	Platform string `json:"platform,omitempty"`
}

func (s *Server) bindDevice(w http.ResponseWriter, r *http.Request) {
	ref, err := parseDeviceRef(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req BindRequest
	if r.ContentLength != 0 {
		if err := decodeBody(w, r, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	if _, err := s.Certs.Get(r.Context(), ref.cert); err != nil {
		writeError(w, badRequest("cert_id", "certificate %d does not exist", ref.cert))
		return
	}
	b := devices.Binding{AppID: ref.app, UserID: ref.user, CertID: ref.cert, Token: ref.token, Platform: req.Platform}
	if err := s.Devices.Bind(r.Context(), b); err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"bound": true, "cert_id": ref.cert})
}

func (s *Server) unbindDevice(w http.ResponseWriter, r *http.Request) {
	ref, err := parseDeviceRef(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.Devices.Unbind(r.Context(), ref.app, ref.user, ref.cert, ref.token); err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"unbound": true})
}

func (s *Server) unbindAll(w http.ResponseWriter, r *http.Request) {
	if err := s.Devices.UnbindAll(r.Context(), r.PathValue("app"), r.PathValue("user")); err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"unbound": "all"})
}

// BackgroundRequest is the body of POST …/background: the app's unread count.
type BackgroundRequest struct {
	Unread int `json:"unread"`
}

func (s *Server) background(w http.ResponseWriter, r *http.Request) {
	ref, err := parseDeviceRef(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var req BackgroundRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Unread < 0 {
		writeError(w, badRequest("unread", "must not be negative"))
		return
	}
	if err := s.Devices.Background(r.Context(), ref.app, ref.user, ref.cert, ref.token, req.Unread); err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": "background", "badge": req.Unread})
}

func (s *Server) foreground(w http.ResponseWriter, r *http.Request) {
	ref, err := parseDeviceRef(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.Devices.Foreground(r.Context(), ref.app, ref.user, ref.cert, ref.token); err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": "foreground"})
}

// DeviceView is a binding as the API shows it: the token only as its hash.
type DeviceView struct {
	devices.Binding
	Token     string `json:"token"`
	TokenHash string `json:"token_hash"`
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) {
	bs, err := s.Devices.List(r.Context(), r.PathValue("app"), r.PathValue("user"))
	if err != nil {
		writeError(w, deviceError(err))
		return
	}
	out := make([]DeviceView, len(bs))
	for i, b := range bs {
		out[i] = DeviceView{Binding: b, Token: shortToken(b.Token), TokenHash: vendors.TokenHash(b.Token)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"devices": out})
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.Devices.GetSettings(r.Context(), r.PathValue("app"), r.PathValue("user"))
	if err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	var p devices.SettingsPatch
	if err := decodeBody(w, r, &p); err != nil {
		writeError(w, err)
		return
	}
	st, err := s.Devices.PutSettings(r.Context(), r.PathValue("app"), r.PathValue("user"), p)
	if err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// ReceiveOptionRequest is the body of PUT …/receive-options/{kind}/{id}.
type ReceiveOptionRequest struct {
	// Opt is receive, receive_not_notify, not_receive, or default.
	Opt string `json:"opt"`
}

func (s *Server) putReceiveOption(w http.ResponseWriter, r *http.Request) {
	var req ReceiveOptionRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	opt, err := devices.ParseReceiveOpt(req.Opt)
	if err != nil {
		writeError(w, deviceError(err))
		return
	}
	app, user, kind, id := r.PathValue("app"), r.PathValue("user"), r.PathValue("kind"), r.PathValue("id")
	if err := s.Devices.SetReceiveOption(r.Context(), app, user, kind, id, opt); err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": kind, "id": id, "opt": opt})
}

func (s *Server) getReceiveOptions(w http.ResponseWriter, r *http.Request) {
	opts, err := s.Devices.ReceiveOptions(r.Context(), r.PathValue("app"), r.PathValue("user"))
	if err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, opts)
}

func deviceError(err error) error {
	var fe *devices.FieldError
	switch {
	case errors.As(err, &fe):
		return badRequest(fe.Field, "%s", fe.Error())
	case errors.Is(err, devices.ErrNotFound):
		return notFound("%v", err)
	}
	return err
}
