package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// The console's sessions: signing in with an API token at /console/login
// gives the browser an opaque session id in an HttpOnly, SameSite=Strict
// cookie (Secure under TLS). The session carries the token's principal
// and a CSRF token every console form repeats. Sessions live in this
// process's memory, bounded and expiring: behind a balancer, pin the
// console to one API process, or sign in again.

// sessionCookie names the session cookie; its path is / so the session
// also unlocks /monitoring.
const sessionCookie = "pushd_session"

// loginCookie carries the CSRF token of the sign-in form (double submit):
// there is no session yet to hold it.
const loginCookie = "pushd_login"

// Session bounds.
const (
	sessionTTL  = 12 * time.Hour
	maxSessions = 1000
)

// session is one signed-in browser.
type session struct {
	p       Principal
	csrf    string
	expires time.Time
}

// sessionStore keeps sessions by the SHA-256 of their id, so a memory dump
// does not hand out live cookies.
type sessionStore struct {
	now func() time.Time

	mu   sync.Mutex
	byID map[[32]byte]*session
}

func newSessionStore(now func() time.Time) *sessionStore {
	return &sessionStore{now: now, byID: map[[32]byte]*session{}}
}

// create starts a session for p and returns its id.
func (st *sessionStore) create(p Principal) (string, *session) {
	id := randomHex(32)
	ss := &session{p: p, csrf: randomHex(32), expires: st.now().Add(sessionTTL)}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.evict()
	st.byID[sha256.Sum256([]byte(id))] = ss
	return id, ss
}

// evict drops expired sessions and, when still full, the one closest to
// expiry. Called with mu held.
func (st *sessionStore) evict() {
	if len(st.byID) < maxSessions {
		return
	}
	now := st.now()
	var oldest [32]byte
	var first time.Time
	for k, ss := range st.byID {
		if now.After(ss.expires) {
			delete(st.byID, k)
			continue
		}
		if first.IsZero() || ss.expires.Before(first) {
			oldest, first = k, ss.expires
		}
	}
	if len(st.byID) >= maxSessions {
		delete(st.byID, oldest)
	}
}

// get returns the live session of id.
func (st *sessionStore) get(id string) *session {
	if id == "" {
		return nil
	}
	k := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	ss := st.byID[k]
	if ss != nil && st.now().After(ss.expires) {
		delete(st.byID, k)
		return nil
	}
	return ss
}

func (st *sessionStore) remove(id string) {
	st.mu.Lock()
	delete(st.byID, sha256.Sum256([]byte(id)))
	st.mu.Unlock()
}

// sessionOf returns the request's session, nil without a live one.
func (s *Server) sessionOf(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return s.sessions.get(c.Value)
}

// setCookie sets a console cookie with the browser protections.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// startSession signs the browser in as p.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, p Principal) *session {
	id, ss := s.sessions.create(p)
	setCookie(w, r, sessionCookie, id, int(sessionTTL.Seconds()))
	return ss
}

// csrfOK reports whether the form's csrf field is the session's token.
func csrfOK(r *http.Request, ss *session) bool {
	got := r.PostFormValue("csrf")
	return ss != nil && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) == 1
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
