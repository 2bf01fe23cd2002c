package api

import (
	"net/http"

	"github.com/pushd/pushd/dispatcher"
)

// recallRoutes are the routes that withdraw notifications already pushed
// (docs/rules.md, "Recall and read-elsewhere"): the message service calls
// them, so they take the enqueue role, scoped to the path's app.
func (s *Server) recallRoutes() []route {
	if s.Devices == nil || s.Pool == nil {
		return nil
	}
	rs := []route{
		{pattern: "POST /v1/apps/{app}/messages/{msg_id}/recall", json: true, h: s.postRecall},
		{pattern: "POST /v1/apps/{app}/users/{user}/read", json: true, h: s.postRead},
	}
	for i := range rs {
		rs[i].role, rs[i].h = RoleEnqueue, s.pathApp(rs[i].h)
	}
	return rs
}

// RecallAnswer is what each device got from a recall or a read.
type RecallAnswer struct {
	Devices []dispatcher.Replaced `json:"devices"`
}

func (s *Server) replacer() *dispatcher.Replacer {
	return &dispatcher.Replacer{Devices: s.Devices, Pool: s.Pool}
}

func (s *Server) postRecall(w http.ResponseWriter, r *http.Request) {
	var req dispatcher.RecallRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	out, err := s.replacer().Recall(r.Context(), r.PathValue("app"), r.PathValue("msg_id"), req)
	if err != nil {
		writeError(w, fieldError(err))
		return
	}
	writeJSON(w, http.StatusOK, RecallAnswer{Devices: nonNil(out)})
}

func (s *Server) postRead(w http.ResponseWriter, r *http.Request) {
	var req dispatcher.ReadRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	out, err := s.replacer().Read(r.Context(), r.PathValue("app"), r.PathValue("user"), req)
	if err != nil {
		writeError(w, fieldError(err))
		return
	}
	writeJSON(w, http.StatusOK, RecallAnswer{Devices: nonNil(out)})
}

func nonNil(rs []dispatcher.Replaced) []dispatcher.Replaced {
	if rs == nil {
		return []dispatcher.Replaced{}
	}
	return rs
}
