package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/pushd/pushd/configs"
)

// Role is what a token may do. Admin includes enqueue.
type Role int

// Roles, weakest first.
const (
	RoleNone Role = iota
	RoleEnqueue
	RoleAdmin
)

// tokenSet checks bearer tokens in constant time per token.
type tokenSet struct {
	hashes []tokenHash
}

type tokenHash struct {
	sum  [32]byte
	role Role
	name string
}

func newTokenSet(ts []configs.Token) *tokenSet {
	s := &tokenSet{}
	for _, t := range ts {
		role := RoleEnqueue
		if t.Role == configs.RoleAdmin {
			role = RoleAdmin
		}
		s.hashes = append(s.hashes, tokenHash{sum: sha256.Sum256([]byte(t.Token)), role: role, name: t.Name})
	}
	return s
}

// open reports whether no token is configured: then every caller is admin
// (pushd refuses to listen beyond loopback in that case).
func (s *tokenSet) open() bool { return len(s.hashes) == 0 }

// role returns the role of the request's bearer token.
func (s *tokenSet) role(r *http.Request) (Role, string) {
	if s.open() {
		return RoleAdmin, "loopback"
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return RoleNone, ""
	}
	sum := sha256.Sum256([]byte(tok))
	best, name := RoleNone, ""
	for _, t := range s.hashes {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 && t.role > best {
			best, name = t.role, t.name
		}
	}
	return best, name
}

// require wraps h so only callers with at least role reach it: 401 without
// a valid token, 403 with a token of a weaker role.
func (s *Server) require(role Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got, _ := s.tokens.role(r)
		switch {
		case got == RoleNone:
			w.Header().Set("WWW-Authenticate", `Bearer realm="pushd"`)
			writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: "missing or invalid bearer token"})
		case got < role:
			writeJSON(w, http.StatusForbidden, ErrorBody{Error: "this token's role may not do that (admin required)"})
		default:
			h(w, r)
		}
	}
}
