package api

import (
	"encoding/json"
	"net/http"
	"strings"

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

// CancelCallRequest is the body of POST
// /v1/apps/{app}/messages/{msg_id}/cancel-call: who was called, as in the
// call's job (recipients, or explicit devices), and what the cancel shows
// where it is a notification.
type CancelCallRequest struct {
	// Sender is the caller, as in the call's job: the callees' receive
	// options for the caller apply, and the caller is never pushed.
	Sender     dispatcher.From     `json:"sender,omitempty"`
	Recipients []string            `json:"recipients,omitempty"`
	Devices    []dispatcher.Device `json:"devices,omitempty"`
	Title      string              `json:"title,omitempty"`
	// Desc replaces the call's notification text; DefaultCancelDesc
	// when empty.
	Desc string `json:"desc,omitempty"`
	// Ext reaches the app as the call's did (a VoIP cancel carries it
	// beside "cancel": true).
	Ext string `json:"ext,omitempty"`
}

// DefaultCancelDesc is the text of a cancel whose request sets none.
const DefaultCancelDesc = "Call ended"

// cancelCall enqueues the cancel of call {msg_id}: the job
// "<msg_id>#cancel-call" with offline_push.voip (dispatcher.CancelOf). A
// route, rather than a job field, because the cancel is named by the
// call's msg_id, which is a path id like the other per-app resources of
// the route table; the job it queues goes through the same intake,
// rules, retries and events as any job, and the suffix keeps its
// idempotency key apart from the call's (a repeated cancel is a
// duplicate). It does not count as unread and raises no badge.
func (s *Server) cancelCall(w http.ResponseWriter, r *http.Request) {
	app, callID := r.PathValue("app"), r.PathValue("msg_id")
	if err := checkCallID(callID); err != nil {
		writeError(w, err)
		return
	}
	var req CancelCallRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.Desc == "" {
		req.Desc = DefaultCancelDesc
	}
	j := dispatcher.Job{AppID: app, MsgID: callID + dispatcher.CancelCallSuffix, Sender: req.Sender,
		Recipients: req.Recipients, Devices: req.Devices, ExcludedFromUnread: true,
		OfflinePush: dispatcher.OfflinePush{VoIP: true, Title: req.Title, Desc: req.Desc, Ext: req.Ext, IgnoreIOSBadge: true}}
	b, err := json.Marshal(&j)
	if err != nil {
		writeError(w, err)
		return
	}
	job, err := dispatcher.DecodeJob(b, s.Now())
	if err != nil {
		writeError(w, fieldError(err))
		return
	}
	res, status, ok := s.enqueueJob(w, r, job, b)
	if !ok {
		return
	}
	writeJSON(w, status, CancelCallResponse{TaskID: res.TaskID, MsgID: job.MsgID, Duplicate: res.Duplicate})
}

// CancelCallResponse answers a cancel: the queued job's task and msg_id.
type CancelCallResponse struct {
	TaskID string `json:"task_id"`
	MsgID  string `json:"msg_id"`
	// Duplicate is true when this call was already cancelled.
	Duplicate bool `json:"duplicate,omitempty"`
}

// checkCallID applies the msg_id rule to the call's id, with room for the
// cancel suffix.
func checkCallID(id string) error {
	if err := dispatcher.CheckMsgID("msg_id", id); err != nil {
		return fieldError(err)
	}
	if max := dispatcher.MaxMsgIDBytes - len(dispatcher.CancelCallSuffix); len(id) > max {
		return badRequest("msg_id", "%d bytes; a call to cancel has at most %d", len(id), max)
	}
	if strings.HasSuffix(id, dispatcher.CancelCallSuffix) {
		return badRequest("msg_id", "is already a cancel")
	}
	return nil
}
