package api

import (
	"net/http"
	"strconv"
)

// Stats windows: the last statsDefaultDays days unless ?days= says
// otherwise, at most statsMaxDays (the funnel keeps receipts.stats_days).
const (
	statsDefaultDays = 7
	statsMaxDays     = 90
)

// getStats answers GET /v1/apps/{app}/stats?days=N: the app's funnel per
// vendor (sent → delivered → clicked, failed, token_invalid; delivered
// and clicked are null with "receipts": "unsupported" for APNs and FCM)
// and its drops by rule, over the last N days (UTC).
func (s *Server) getStats(w http.ResponseWriter, r *http.Request) {
	days := statsDefaultDays
	if q := r.URL.Query().Get("days"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > statsMaxDays {
			writeError(w, badRequest("days", "days must be 1 to %d", statsMaxDays))
			return
		}
		days = n
	}
	st, err := s.Receipts.Funnel.Stats(r.Context(), r.PathValue("app"), days, s.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
