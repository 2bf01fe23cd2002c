package api

import (
	"errors"
	"net/http"

	"github.com/pushd/pushd/dispatcher"
)

// traceRoutes serve the per-message trace ("why no push?"). A trace holds
// user ids and the rendered text, so it takes an admin token; an
// app-scoped one reads only its apps' traces (pathApp).
func (s *Server) traceRoutes() []route {
	return []route{
		{pattern: "GET /v1/apps/{app}/messages/{msg_id}/trace", role: RoleAdmin, h: s.pathApp(s.getTrace)},
	}
}

// getTrace answers the trace of one message: every step for every
// recipient and device, in order, with times (dispatcher.Trace).
func (s *Server) getTrace(w http.ResponseWriter, r *http.Request) {
	app, msg := r.PathValue("app"), r.PathValue("msg_id")
	if err := dispatcher.CheckMsgID("msg_id", msg); err != nil {
		writeError(w, fieldError(err))
		return
	}
	t, err := dispatcher.NewTraceStore(s.Redis, "pushd:", 0).Read(r.Context(), app, msg)
	if errors.Is(err, dispatcher.ErrNoTrace) {
		writeError(w, notFound("no trace of message %q of app %q: not run yet, older than trace.window, "+
			"evicted by the app's newer traces, or trace.enabled is false", msg, app))
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}
