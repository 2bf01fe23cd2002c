package fake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Token states of hwTokens.check.
const (
	hwTokenUnknown = iota
	hwTokenValid
	hwTokenExpired
)

// hwTokens is the OAuth token endpoint of the Huawei and Honor fakes,
// which behave alike but for the words of a refusal: it registers the
// clients, issues access tokens and checks them.
type hwTokens struct {
	now     func() time.Time
	ttl     time.Duration
	mu      sync.Mutex
	calls   int
	issued  map[string]hwIssued
	clients map[string]oauthClient // client id → app
}

type hwIssued struct {
	app     string
	expires time.Time
}

func newHWTokens(now func() time.Time, ttl time.Duration) *hwTokens {
	if ttl <= 0 {
		ttl = hwDefaultTokenTTL
	}
	return &hwTokens{now: now, ttl: ttl, issued: map[string]hwIssued{}, clients: map[string]oauthClient{}}
}

func (s *hwTokens) count() {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
}

func (s *hwTokens) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// issue returns a new random access token for app and its lifetime.
func (s *hwTokens) issue(app string) (string, time.Duration) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "CgB6e3x9" + hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issued[tok] = hwIssued{app: app, expires: s.now().Add(s.ttl)}
	return tok, s.ttl
}

// check returns the app tok was issued to and whether it is still valid.
func (s *hwTokens) check(tok string) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is, ok := s.issued[tok]
	switch {
	case !ok:
		return "", hwTokenUnknown
	case !s.now().Before(is.expires):
		return is.app, hwTokenExpired
	}
	return is.app, hwTokenValid
}

func (s *hwTokens) expireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, is := range s.issued {
		is.expires = time.Time{}
		s.issued[tok] = is
	}
}

// oauthClient is an OAuth client of an HMS-style fake: the app it may send
// for and its secret (Huawei's client id is the app id).
type oauthClient struct{ appID, secret string }

// oauthRefusal is how a token endpoint answers one kind of bad request.
type oauthRefusal struct {
	status int
	body   map[string]any
}

// addClient registers an OAuth client that may send for appID.
func (s *hwTokens) addClient(clientID, appID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[clientID] = oauthClient{appID: appID, secret: secret}
}

// serve answers an OAuth 2.0 client-credentials request, counted:
// badGrant for a body that is not a form or another grant, badClient for
// an unknown client or a wrong secret, else a new token for the client's
// app with granted's members beside access_token, expires_in and
// token_type.
func (s *hwTokens) serve(w http.ResponseWriter, r *http.Request, badGrant, badClient oauthRefusal, granted map[string]any) {
	s.count()
	form, ok := hwReadForm(r)
	s.mu.Lock()
	cl, known := s.clients[form.Get("client_id")]
	s.mu.Unlock()
	switch {
	case !ok || form.Get("grant_type") != "client_credentials":
		writeJSONAnswer(w, badGrant.status, 0, badGrant.body)
	case !known || cl.secret == "" || form.Get("client_secret") != cl.secret:
		writeJSONAnswer(w, badClient.status, 0, badClient.body)
	default:
		tok, ttl := s.issue(cl.appID)
		answer := map[string]any{"access_token": tok, "expires_in": int(ttl / time.Second), "token_type": "Bearer"}
		for k, v := range granted {
			answer[k] = v
		}
		writeJSONAnswer(w, http.StatusOK, 0, answer)
	}
}

// bearer returns the app of r's Bearer token and the token's state
// (hwTokenUnknown without one).
func (s *hwTokens) bearer(r *http.Request) (string, int) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", hwTokenUnknown
	}
	return s.check(tok)
}

// hwReadForm parses a form-encoded OAuth request.
func hwReadForm(r *http.Request) (url.Values, bool) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return url.Values{}, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		return url.Values{}, false
	}
	v, err := url.ParseQuery(string(b))
	return v, err == nil
}

// hwClick is the click action of an HMS-style notification, spelt alike by
// Huawei (click_action) and Honor (clickAction).
type hwClick struct {
	Type   int    `json:"type"`
	Intent string `json:"intent"`
	Action string `json:"action"`
	URL    string `json:"url"`
}

// fault is the first fault Huawei and Honor find in a click action named
// name, whose type-2 URL must start with one of schemes, or "".
func (c *hwClick) fault(name string, schemes ...string) string {
	switch {
	case c.Type == 1 && c.Intent == "" && c.Action == "":
		return "intent or action is required when type is 1"
	case c.Type == 2 && !slices.ContainsFunc(schemes, func(s string) bool { return strings.HasPrefix(c.URL, s) }):
		return "url must be " + strings.Join(schemes, " or ") + " when type is 2"
	case c.Type < 1 || c.Type > 3:
		return name + " type must be 1, 2 or 3"
	}
	return ""
}

// hwInjected is the answer of the HMS-style fakes (Huawei, Honor,
// HarmonyOS) to an injected failure: the bare status (503 by default)
// without a code, else fail's answer to the code, with fl.Status when set.
func hwInjected(fl Failure, fail func(code, msg string) (int, any)) (int, time.Duration, any) {
	if fl.Code == "" {
		return hwBareStatus(fl), fl.RetryAfter, nil
	}
	st, ans := fail(fl.Code, fl.Message)
	if fl.Status != 0 {
		st = fl.Status
	}
	return st, fl.RetryAfter, ans
}

// requestIDs numbers the answers of an HMS-style fake: a millisecond
// timestamp and a sequence of fixed width.
type requestIDs struct {
	mu  sync.Mutex
	seq int64
}

// next returns the id of an answer at now with a sequence of width digits.
func (r *requestIDs) next(now time.Time, width int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	return fmt.Sprintf("%d%0*d", now.UnixMilli(), width, r.seq)
}
