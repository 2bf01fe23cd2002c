package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
)

// Device and user-state routes: what the message service reports for its
// users (SPEC §3.2). They take the enqueue role and act on the {app} of
// the path, which the token must serve.
func (s *Server) deviceRoutes() []route {
	if s.Devices == nil {
		return nil
	}
	const dev = "/v1/apps/{app}/users/{user}/devices"
	const usr = "/v1/apps/{app}/users/{user}"
	rs := []route{
		{pattern: "GET " + dev, h: s.listDevices},
		{pattern: "DELETE " + dev, h: s.unbindAll},
		{pattern: "PUT " + dev + "/{cert}/{token}", json: true, h: s.bindDevice},
		{pattern: "DELETE " + dev + "/{cert}/{token}", h: s.unbindDevice},
		{pattern: "POST " + dev + "/{cert}/{token}/background", json: true, h: s.background},
		{pattern: "POST " + dev + "/{cert}/{token}/foreground", h: s.foreground},
		{pattern: "GET " + usr + "/settings", h: s.getSettings},
		{pattern: "PUT " + usr + "/settings", json: true, h: s.putSettings},
		{pattern: "GET " + usr + "/receive-options", h: s.getReceiveOptions},
		{pattern: "PUT " + usr + "/receive-options/{kind}/{id}", json: true, h: s.putReceiveOption},
	}
	for i := range rs {
		rs[i].role, rs[i].h = RoleEnqueue, s.pathApp(rs[i].h)
	}
	return rs
}

// pathApp checks the {app} and {user} of the path before h: the token must
// serve the app (403), and both must be ids (400 naming "app" or "user").
func (s *Server) pathApp(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		app := r.PathValue("app")
		if s.denyApp(w, r, app) {
			return
		}
		if err := dispatcher.CheckAppID("app", app); err != nil {
			writeError(w, fieldError(err))
			return
		}
		if user := r.PathValue("user"); user != "" {
			if err := dispatcher.CheckUserID("user", user); err != nil {
				writeError(w, fieldError(err))
				return
			}
		}
		h(w, r)
	}
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
	if err := dispatcher.CheckDeviceToken("token", ref.token); err != nil {
		return ref, fieldError(err)
	}
	return ref, nil
}

// BindRequest is the optional body of PUT …/devices/{cert_id}/{token}.
type BindRequest struct {
	Platform string `json:"platform,omitempty"`
	// TokenType is "alert" (the default) or "voip". With "voip" the
	// {token} of the path is the device's PushKit token and AlertToken
	// names the device: the alert binding it is stored beside (same
	// certificate, same user), which must be reported first.
	TokenType  string `json:"token_type,omitempty"`
	AlertToken string `json:"alert_token,omitempty"`
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
	// A device is bound only to a certificate of its own app: another
	// app's certificate would carry this app's pushes (and the token's
	// owner could not tell), so it is refused as if it did not exist.
	info, err := s.Certs.Get(r.Context(), ref.cert)
	if err != nil && !errors.Is(err, certs.ErrNotFound) {
		writeError(w, err)
		return
	}
	if err != nil || info.AppID != ref.app {
		writeError(w, badRequest("cert_id", "certificate %d does not exist in app %s", ref.cert, ref.app))
		return
	}
	if req.TokenType == devices.TokenVoIP {
		s.bindVoIP(w, r, ref, info, req)
		return
	}
	if req.TokenType != "" && req.TokenType != devices.TokenAlert {
		writeError(w, badRequest("token_type", "must be %q or %q", devices.TokenAlert, devices.TokenVoIP))
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
	switch r.URL.Query().Get("token_type") {
	case devices.TokenVoIP:
		s.unbindVoIP(w, r, ref)
		return
	case "", devices.TokenAlert:
	default:
		writeError(w, badRequest("token_type", "must be %q or %q", devices.TokenAlert, devices.TokenVoIP))
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

// DeviceView is a binding as the API shows it: the tokens only shortened
// and as their hash.
type DeviceView struct {
	devices.Binding
	Token         string `json:"token"`
	TokenHash     string `json:"token_hash"`
	VoIPToken     string `json:"voip_token,omitempty"`
	VoIPTokenHash string `json:"voip_token_hash,omitempty"`
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
		if b.VoIPToken != "" {
			out[i].VoIPToken, out[i].VoIPTokenHash = shortToken(b.VoIPToken), vendors.TokenHash(b.VoIPToken)
		}
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
	// Opt is receive, receive_not_notify, not_receive, or default. With
	// Preview set, an empty Opt leaves the receive option unchanged.
	Opt string `json:"opt"`
	// Preview is the conversation's preview mode: full, sender_only,
	// hidden or id_only; "" clears it (the user's, else the app's mode
	// applies). Absent leaves it unchanged.
	Preview *string `json:"preview,omitempty"`
	// CoalesceWindow is the conversation's burst-coalescing window
	// (docs/rules.md, "Burst coalescing"): a duration of 1s to 1h, "0" to
	// turn coalescing off for it whatever the app's window, "" to clear
	// it (the app's window applies). Absent leaves it unchanged; with it
	// set, an empty Opt leaves the receive option unchanged.
	CoalesceWindow *string `json:"coalesce_window,omitempty"`
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
	answer := map[string]any{"kind": kind, "id": id}
	if req.Preview != nil {
		if err := s.Devices.SetConvPreview(r.Context(), app, user, kind, id, *req.Preview); err != nil {
			writeError(w, deviceError(err))
			return
		}
		answer["preview"] = *req.Preview
	}
	if req.CoalesceWindow != nil {
		if err := s.setConvCoalesce(r, app, user, kind, id, *req.CoalesceWindow); err != nil {
			writeError(w, err)
			return
		}
		answer["coalesce_window"] = *req.CoalesceWindow
	}
	if req.Preview == nil && req.CoalesceWindow == nil || req.Opt != "" {
		if err := s.Devices.SetReceiveOption(r.Context(), app, user, kind, id, opt); err != nil {
			writeError(w, deviceError(err))
			return
		}
	}
	if opt, err = s.Devices.ReceiveOption(r.Context(), app, user, kind, id); err != nil {
		writeError(w, deviceError(err))
		return
	}
	answer["opt"] = opt
	writeJSON(w, http.StatusOK, answer)
}

// setConvCoalesce stores the conversation's window given as a duration
// ("" clears it).
func (s *Server) setConvCoalesce(r *http.Request, app, user, kind, id, window string) error {
	var w *time.Duration
	if window != "" {
		d, err := time.ParseDuration(window)
		if err != nil {
			return badRequest("coalesce_window", "want a duration such as 30s, 0 for off or \"\" to clear, got %q", window)
		}
		w = &d
	}
	return deviceError(s.Devices.SetConvCoalesce(r.Context(), app, user, kind, id, w))
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
