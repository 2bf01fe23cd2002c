package api

import (
	"net/http"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
)

// Calls (docs/rules.md "Calls (VoIP)"): the VoIP token a device reports
// beside its alert token, and the cancel of a call that ended.

// bindVoIP stores the PushKit token of the path beside the alert binding
// req.AlertToken names. PushKit exists on iOS only, so an APNs certificate
// is required.
func (s *Server) bindVoIP(w http.ResponseWriter, r *http.Request, ref deviceRef, info *certs.Info, req BindRequest) {
	if info.Vendor != vendors.APNs {
		writeError(w, badRequest("token_type", "voip tokens exist on APNs certificates only; certificate %d is %s", ref.cert, info.Vendor))
		return
	}
	if req.AlertToken == "" {
		writeError(w, badRequest("alert_token", "required with token_type voip: the alert token of the same device"))
		return
	}
	if err := dispatcher.CheckDeviceToken("alert_token", req.AlertToken); err != nil {
		writeError(w, fieldError(err))
		return
	}
	err := s.Devices.BindVoIP(r.Context(), ref.app, ref.user, ref.cert, req.AlertToken, ref.token)
	if err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"bound": true, "cert_id": ref.cert, "token_type": devices.TokenVoIP})
}

// unbindVoIP is DELETE …/devices/{cert}/{alert_token}?token_type=voip:
// the device stops receiving calls as VoIP pushes, its alert binding
// stays.
func (s *Server) unbindVoIP(w http.ResponseWriter, r *http.Request, ref deviceRef) {
	if err := s.Devices.UnbindVoIP(r.Context(), ref.app, ref.user, ref.cert, ref.token); err != nil {
		writeError(w, deviceError(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"unbound": true, "token_type": devices.TokenVoIP})
}
