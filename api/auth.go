package api

import (
	"context"
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

// Principal is who a request acts as: the role of its token and the apps
// that token serves. Every route that touches an app checks it with
// Server.allowApp.
type Principal struct {
	Role Role
	// Name is the token's name from the configuration, for logs.
	Name string
	// apps are the app ids the token may act on; nil means every app.
	apps map[string]bool
	// session is the console session the request came with, nil for a
	// bearer token (console forms then check its CSRF token).
	session *session
}

// AllApps reports whether p may act on every app (an operator's token, or
// open mode).
func (p Principal) AllApps() bool { return p.apps == nil }

// Allows reports whether p may act on app.
func (p Principal) Allows(app string) bool { return p.apps == nil || p.apps[app] }

// Apps returns the apps p is limited to, nil for every app.
func (p Principal) Apps() []string {
	if p.apps == nil {
		return nil
	}
	out := make([]string, 0, len(p.apps))
	for a := range p.apps {
		out = append(out, a)
	}
	return out
}

// tokenSet checks bearer tokens in constant time per token.
type tokenSet struct {
	hashes []tokenHash
}

type tokenHash struct {
	sum [32]byte
	p   Principal
}

func newTokenSet(ts []configs.Token) *tokenSet {
	s := &tokenSet{}
	for _, t := range ts {
		p := Principal{Role: RoleEnqueue, Name: t.Name}
		if t.Role == configs.RoleAdmin {
			p.Role = RoleAdmin
		}
		if len(t.Apps) > 0 {
			p.apps = map[string]bool{}
			for _, a := range t.Apps {
				p.apps[a] = true
			}
		}
		s.hashes = append(s.hashes, tokenHash{sum: sha256.Sum256([]byte(t.Token)), p: p})
	}
	return s
}

// open reports whether no token is configured: then every caller is an
// all-apps admin (pushd refuses to listen beyond loopback in that case, and
// the API refuses requests a browser could forge, see guardOpen).
func (s *tokenSet) open() bool { return len(s.hashes) == 0 }

// principal returns who the request's bearer token is; Role is RoleNone
// without a valid token. Every configured token is compared, so the time
// taken does not tell which one matched.
func (s *tokenSet) principal(r *http.Request) Principal {
	if s.open() {
		return Principal{Role: RoleAdmin, Name: "loopback"}
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return Principal{}
	}
	sum := sha256.Sum256([]byte(tok))
	var best Principal
	for _, t := range s.hashes {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 && t.p.Role > best.Role {
			best = t.p
		}
	}
	return best
}

type principalKey struct{}

// withPrincipal stores p in ctx for principalOf.
func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalOf returns the principal require stored in r's context; a
// request that did not pass require has none (RoleNone, no app).
func principalOf(r *http.Request) Principal {
	p, ok := r.Context().Value(principalKey{}).(Principal)
	if !ok {
		return Principal{apps: map[string]bool{}}
	}
	return p
}

// allowApp reports whether the request's token may act on app. Every
// handler calls it with the app it is about to touch: the job's app_id,
// the {app} of the path, the certificate's app.
func (s *Server) allowApp(r *http.Request, app string) bool {
	return principalOf(r).Allows(app)
}

// denyApp answers 403 and returns true when the request's token may not act
// on app; handlers write `if s.denyApp(w, r, app) { return }`.
func (s *Server) denyApp(w http.ResponseWriter, r *http.Request, app string) bool {
	if s.allowApp(r, app) {
		return false
	}
	writeError(w, forbiddenApp())
	return true
}

// forbiddenApp is the answer for another app's resource. It does not say
// whether the resource exists.
func forbiddenApp() error {
	return &httpError{status: http.StatusForbidden, msg: "this token may not act on that app"}
}

// require wraps h so only callers with at least role reach it: 401 without
// a valid token, 403 with a token of a weaker role. allApps additionally
// refuses app-scoped tokens (routes that show every app). The principal is
// stored in the request's context for allowApp.
//
// Routes marked session (the console, /monitoring) also accept the
// console's session cookie when no Authorization header is sent; a
// state-changing request on a session must then come from this origin.
func (s *Server) require(rt route, h http.HandlerFunc) http.HandlerFunc {
	role, allApps := rt.role, rt.allApps
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.tokens.principal(r)
		if rt.session && r.Header.Get("Authorization") == "" {
			p = s.sessionPrincipal(r, p)
		}
		switch {
		case p.Role == RoleNone && rt.session && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/console/"):
			// A browser without a session signs in first.
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		case p.session != nil && !safeMethod(r.Method) && crossOrigin(r):
			writeJSON(w, http.StatusForbidden, ErrorBody{Error: "cross-origin requests are refused on a console session", Field: "Origin"})
		case p.Role == RoleNone:
			w.Header().Set("WWW-Authenticate", `Bearer realm="pushd"`)
			writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: "missing or invalid bearer token"})
		case p.Role < role:
			writeJSON(w, http.StatusForbidden, ErrorBody{Error: "this token's role may not do that (admin required)"})
		case allApps && !p.AllApps():
			writeJSON(w, http.StatusForbidden, ErrorBody{Error: "this route shows every app: it needs a token not limited to apps"})
		default:
			h(w, r.WithContext(withPrincipal(r.Context(), p)))
		}
	}
}

// bearerMatches compares the request's bearer token with want in constant
// time.
func bearerMatches(r *http.Request, want string) bool {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a, b := sha256.Sum256([]byte(tok)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// sessionPrincipal returns the principal of the request's console
// session, or p (open mode's loopback admin, or none) without one. In
// open mode the session only carries the CSRF token.
func (s *Server) sessionPrincipal(r *http.Request, p Principal) Principal {
	ss := s.sessionOf(r)
	if ss == nil {
		return p
	}
	if !s.tokens.open() {
		p = ss.p
	}
	p.session = ss
	return p
}

// safeMethod reports methods that change nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// crossOrigin reports a request a browser marked as coming from another
// origin: an Origin header naming another host, or Sec-Fetch-Site
// cross-site or same-site (a sibling subdomain is another origin too).
func crossOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		return true
	}
	sfs := r.Header.Get("Sec-Fetch-Site")
	return sfs == "cross-site" || sfs == "same-site"
}
