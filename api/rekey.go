package api

import "net/http"

// rekeyRoutes is POST /v1/certs:rekey (an all-apps admin): re-seal every
// certificate still under the previous master key (master_key_previous)
// under the current one. Reads keep working throughout, since the store
// opens either key.
func (s *Server) rekeyRoutes() []route {
	return []route{{pattern: "POST /v1/certs:rekey", role: RoleAdmin, allApps: true, h: s.postRekey}}
}

// postRekey answers {"rekeyed": n, "total": m, "key_id": "…"}.
func (s *Server) postRekey(w http.ResponseWriter, r *http.Request) {
	res, err := s.Certs.Rekey(r.Context())
	if err != nil {
		s.Log.Warn("certificate rekey stopped", "err", err)
		writeError(w, certError(err))
		return
	}
	s.Log.Info("certificates rekeyed", "rekeyed", res.Rekeyed, "total", res.Total, "key_id", res.KeyID)
	writeJSON(w, http.StatusOK, res)
}
