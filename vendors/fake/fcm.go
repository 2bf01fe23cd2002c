package fake

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
)

// Facts of Google's OAuth token endpoint and FCM HTTP v1 the fake enforces
// (vendor-protocols.md §2).
const (
	// FCMScope is the OAuth scope a service account must ask for to send.
	FCMScope = "https://www.googleapis.com/auth/firebase.messaging"
	// fcmJWTBearerGrant is the grant_type of the service-account JWT flow.
	fcmJWTBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// fcmPayloadLimit is the notification+data byte limit of a token
	// message; topic messages get half of it.
	fcmPayloadLimit      = 4096
	fcmTopicPayloadLimit = 2048
	// fcmMaxTTL is the longest android.ttl FCM accepts: 4 weeks.
	fcmMaxTTL = 28 * 24 * time.Hour
	// fcmAssertionMaxLife is how long a JWT assertion may live (Google: "a
	// short-lived token (60 minutes)"), plus 5 minutes because the Go oauth2
	// library back-dates iat by 10 s.
	fcmAssertionMaxLife = time.Hour + 5*time.Minute
	fcmErrorType        = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
	fcmBadRequestType   = "type.googleapis.com/google.rpc.BadRequest"
	fcmSAEmailSuffix    = ".iam.gserviceaccount.com"
)

// FCMOptions configures the FCM fake.
type FCMOptions struct {
	// Now is the fake's clock for access-token and assertion expiry
	// (time.Now when nil).
	Now func() time.Time
	// TokenTTL is the lifetime of the access tokens it issues (1 h when
	// zero, as Google's).
	TokenTTL time.Duration
}

// FCM fakes Google's OAuth token endpoint (POST /token) and FCM HTTP v1
// (POST /v1/projects/{p}/messages:send, also served at the root for
// option.WithEndpoint(URL)). Log records every send request, not token
// requests (see TokenRequests).
type FCM struct {
	Log
	Faults
	*Server

	now func() time.Time
	ttl time.Duration

	mu        sync.Mutex
	accounts  map[string]*rsa.PublicKey // by client_email
	projects  map[string]bool
	issued    map[string]fcmIssuedToken // by access token
	tokenReqs int
	seq       int
}

type fcmIssuedToken struct {
	project string
	expires time.Time
}

// NewFCM starts an FCM fake on a loopback TLS port. Close it when done.
func NewFCM(opts FCMOptions) *FCM {
	f := &FCM{now: opts.Now, ttl: opts.TokenTTL, accounts: map[string]*rsa.PublicKey{},
		projects: map[string]bool{}, issued: map[string]fcmIssuedToken{}}
	f.now = clock(f.now)
	if f.ttl <= 0 {
		f.ttl = time.Hour
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.serveToken)
	mux.HandleFunc("POST /v1/projects/{project}/messages:send", f.serveSend)
	mux.HandleFunc("POST /projects/{project}/messages:send", f.serveSend)
	f.Server = StartTLS(mux)
	return f
}

// TokenURI is the fake's OAuth token endpoint, the token_uri to put in a
// service-account JSON.
func (f *FCM) TokenURI() string { return f.URL() + "/token" }

// Endpoint returns the adapter endpoint that points at this fake.
func (f *FCM) Endpoint() vendors.Endpoint {
	return vendors.Endpoint{URL: f.URL(), AuthURL: f.TokenURI(), Client: f.Client()}
}

// AddServiceAccount trusts pub as the key of the service account email
// and registers its project: the part of email between "@" and
// ".iam.gserviceaccount.com".
func (f *FCM) AddServiceAccount(email string, pub *rsa.PublicKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts[email] = pub
	if p := fcmProjectOf(email); p != "" {
		f.projects[p] = true
	}
}

// NewServiceAccount generates a service account of project whose token_uri
// is this fake, and registers it.
func (f *FCM) NewServiceAccount(project string) (*testcreds.ServiceAccount, error) {
	sa, err := testcreds.NewServiceAccount(project, f.TokenURI())
	if err != nil {
		return nil, err
	}
	f.AddServiceAccount(sa.Email, &sa.Key.PublicKey)
	return sa, nil
}

// TokenRequests returns how many requests reached the token endpoint.
func (f *FCM) TokenRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenReqs
}

func fcmProjectOf(email string) string {
	_, domain, ok := strings.Cut(email, "@")
	if !ok || !strings.HasSuffix(domain, fcmSAEmailSuffix) {
		return ""
	}
	return strings.TrimSuffix(domain, fcmSAEmailSuffix)
}

// serveToken answers the JWT-bearer grant like oauth2.googleapis.com/token.
func (f *FCM) serveToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.tokenReqs++
	f.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		fcmOAuthError(w, "invalid_request", "Bad Request")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != fcmJWTBearerGrant {
		fcmOAuthError(w, "unsupported_grant_type", "Invalid grant_type: "+g)
		return
	}
	assertion := r.PostForm.Get("assertion")
	if assertion == "" {
		fcmOAuthError(w, "invalid_request", "Missing required parameter: assertion")
		return
	}
	project, code, desc := f.verifyAssertion(assertion)
	if code != "" {
		fcmOAuthError(w, code, desc)
		return
	}
	token := "ya29.fake-" + fcmRandom(24)
	f.mu.Lock()
	f.issued[token] = fcmIssuedToken{project: project, expires: f.now().Add(f.ttl)}
	f.mu.Unlock()
	fcmWriteJSON(w, http.StatusOK, nil, map[string]any{
		"access_token": token, "expires_in": int(f.ttl / time.Second), "token_type": "Bearer"})
}

// verifyAssertion checks the RS256 signature with the registered key of the
// issuer, the audience, the scope and the lifetime. It returns the
// account's project, or Google's OAuth error code and description.
func (f *FCM) verifyAssertion(assertion string) (project, code, desc string) {
	claims := jwt.MapClaims{}
	var iss string
	_, err := jwt.ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
		iss, _ = claims["iss"].(string)
		f.mu.Lock()
		pub := f.accounts[iss]
		f.mu.Unlock()
		if pub == nil {
			return nil, errors.New("account not found")
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(f.now),
		jwt.WithAudience(f.TokenURI()), jwt.WithIssuedAt(), jwt.WithExpirationRequired())
	const lifetime = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "", "invalid_grant", "Invalid JWT: malformed assertion"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "", "invalid_grant", "Invalid grant: account not found"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "", "invalid_grant", "Invalid JWT Signature."
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "", "invalid_grant", "Invalid JWT: Failed audience check. The right audience is " + f.TokenURI()
	case err != nil:
		return "", "invalid_grant", lifetime
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if iat == nil || exp.Sub(iat.Time) > fcmAssertionMaxLife {
		return "", "invalid_grant", lifetime
	}
	scope, _ := claims["scope"].(string)
	if !slices.Contains(strings.Fields(scope), FCMScope) {
		return "", "invalid_scope", "Invalid OAuth scope or ID token audience provided."
	}
	return fcmProjectOf(iss), "", ""
}

// fcmReply is one answer of the send endpoint.
type fcmReply struct {
	status     int
	body       any
	retryAfter time.Duration
}

// serveSend answers POST …/projects/{p}/messages:send and records it.
func (f *FCM) serveSend(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rep := f.send(r, body)
	var target struct {
		ValidateOnly bool `json:"validate_only"`
		Message      struct {
			Token string `json:"token"`
		} `json:"message"`
	}
	var tokens []string
	if json.Unmarshal(body, &target) == nil && target.Message.Token != "" {
		tokens = []string{target.Message.Token}
	}
	f.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Tokens: tokens, Status: rep.status, At: f.now(), Validated: target.ValidateOnly && rep.status == http.StatusOK})
	h := http.Header{}
	if rep.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((rep.retryAfter+time.Second-1)/time.Second)))
	}
	if rep.status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
	}
	fcmWriteJSON(w, rep.status, h, rep.body)
}

// send checks the request in the order Google does (auth, project, body)
// and then applies injected faults.
func (f *FCM) send(r *http.Request, body []byte) fcmReply {
	project := r.PathValue("project")
	if rep, ok := f.authorize(r, project); !ok {
		return rep
	}
	var req struct {
		ValidateOnly bool            `json:"validate_only"`
		Message      json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Message) == 0 {
		return fcmPlatformError(http.StatusBadRequest, "INVALID_ARGUMENT",
			"Invalid JSON payload received. The request must be {\"message\": {...}}.")
	}
	token, bad := fcmCheckMessage(req.Message)
	if bad != nil {
		return *bad
	}
	if fl, ok := f.TakeNext(); ok {
		return fcmFailure(fl)
	}
	if fl, ok := f.ForToken(token); ok && token != "" {
		return fcmFailure(fl)
	}
	// validate_only answers like FCM's dry-run mode: checked, not delivered.
	name := fmt.Sprintf("projects/%s/messages/fake_message_id", project)
	if !req.ValidateOnly {
		f.mu.Lock()
		f.seq++
		name = fmt.Sprintf("projects/%s/messages/0:%d%%%016x", project, f.now().UnixMicro(), f.seq)
		f.mu.Unlock()
	}
	return fcmReply{status: http.StatusOK, body: map[string]string{"name": name}}
}

// authorize checks the Bearer access token and that its service account
// belongs to project.
func (f *FCM) authorize(r *http.Request, project string) (fcmReply, bool) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	tok, issued := f.issued[bearer]
	known := f.projects[project]
	f.mu.Unlock()
	if !ok || !issued || !f.now().Before(tok.expires) {
		return fcmPlatformError(http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."), false
	}
	if !known || tok.project != project {
		return fcmPlatformError(http.StatusForbidden, "PERMISSION_DENIED", fmt.Sprintf(
			"Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/%s' (or it may not exist).", project)), false
	}
	return fcmReply{}, true
}

// fcmCheckMessage applies FCM's field rules to message: exactly one target,
// a well-formed registration token, string data values, no reserved data
// keys, a valid android block and the payload size limit.
func fcmCheckMessage(raw json.RawMessage) (string, *fcmReply) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		rep := fcmPlatformError(http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value at 'message': not an object")
		return "", &rep
	}
	var targets []string
	for _, k := range []string{"token", "topic", "condition"} {
		if s := fcmJSONString(m[k]); s != "" {
			targets = append(targets, k)
		}
	}
	token := fcmJSONString(m["token"])
	switch {
	case len(targets) == 0:
		return "", fcmInvalidArgument("Recipient of the message is not set.", "message", false)
	case len(targets) > 1:
		return token, fcmInvalidArgument(fmt.Sprintf("Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set '%s'", targets[1]), "message", false)
	case token != "" && !fcmValidToken(token):
		return token, fcmInvalidArgument("The registration token is not a valid FCM registration token", "", true)
	}
	if bad := fcmCheckData(m["data"], "message.data"); bad != nil {
		return token, bad
	}
	if bad := fcmCheckImage(m["notification"], "message.notification.image"); bad != nil {
		return token, bad
	}
	var android struct {
		TTL          string          `json:"ttl"`
		Priority     string          `json:"priority"`
		Data         json.RawMessage `json:"data"`
		Notification json.RawMessage `json:"notification"`
	}
	if len(m["android"]) > 0 {
		if err := json.Unmarshal(m["android"], &android); err != nil {
			return token, fcmInvalidArgument("Invalid value at 'message.android': "+err.Error(), "message.android", false)
		}
	}
	if bad := fcmCheckAndroid(android.TTL, android.Priority); bad != nil {
		return token, bad
	}
	if bad := fcmCheckData(android.Data, "message.android.data"); bad != nil {
		return token, bad
	}
	if bad := fcmCheckImage(android.Notification, "message.android.notification.image"); bad != nil {
		return token, bad
	}
	limit := fcmPayloadLimit
	if len(targets) == 1 && targets[0] == "topic" {
		limit = fcmTopicPayloadLimit
	}
	size := fcmCompactLen(m["notification"]) + fcmCompactLen(m["data"]) + fcmCompactLen(android.Notification) + fcmCompactLen(android.Data)
	if size > limit {
		return token, fcmInvalidArgument(fmt.Sprintf("message too big: %d bytes of notification and data exceed the %d-byte limit", size, limit), "message", true)
	}
	return token, nil
}

// fcmCheckData requires a JSON object of string values without keys FCM
// reserves for itself.
func fcmCheckData(raw json.RawMessage, field string) *fcmReply {
	if len(raw) == 0 {
		return nil
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(raw, &data); err != nil {
		return fcmInvalidArgument(fmt.Sprintf("Invalid value at '%s' (type.googleapis.com/google.protobuf.Map)", field), field, false)
	}
	i := 0
	for k, v := range data {
		var s string
		if json.Unmarshal(v, &s) != nil {
			f := fmt.Sprintf("%s[%d].value", field, i)
			return fcmInvalidArgument(fmt.Sprintf("Invalid value at '%s' (TYPE_STRING), %s", f, v), f, false)
		}
		lk := strings.ToLower(k)
		if lk == "from" || lk == "notification" || lk == "message_type" || strings.HasPrefix(lk, "google") || strings.HasPrefix(lk, "gcm") {
			return fcmInvalidArgument("Invalid data payload key: "+k, field, true)
		}
		i++
	}
	return nil
}

// fcmCheckAndroid validates android.ttl ("3600s", at most 4 weeks) and
// android.priority (NORMAL or HIGH, any case as the SDK sends lower case).
func fcmCheckAndroid(ttl, priority string) *fcmReply {
	if ttl != "" {
		d, err := time.ParseDuration(ttl)
		if !strings.HasSuffix(ttl, "s") || err != nil || d < 0 || d > fcmMaxTTL {
			return fcmInvalidArgument(fmt.Sprintf("Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), %q", ttl), "message.android.ttl", false)
		}
	}
	if p := strings.ToUpper(priority); p != "" && p != "NORMAL" && p != "HIGH" {
		return fcmInvalidArgument(fmt.Sprintf("Invalid value at 'message.android.priority' (type.google.firebase.fcm.v1.AndroidMessagePriority), %q", priority), "message.android.priority", false)
	}
	return nil
}

// fcmValidToken checks the alphabet and length of an FCM registration
// token; anything else is "not a valid FCM registration token".
func fcmValidToken(s string) bool {
	if len(s) > 4096 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ':' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

func fcmJSONString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func fcmCompactLen(raw json.RawMessage) int {
	if len(raw) == 0 {
		return 0
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return len(raw)
	}
	return b.Len()
}

// fcmInvalidArgument is a 400 INVALID_ARGUMENT. field, when set, adds a
// google.rpc.BadRequest field violation; fcm adds the FcmError detail the
// real server sends for message-level errors.
func fcmInvalidArgument(msg, field string, fcm bool) *fcmReply {
	rep := fcmPlatformError(http.StatusBadRequest, "INVALID_ARGUMENT", msg)
	body := rep.body.(fcmGoogleError)
	if fcm {
		body.Error.Details = append(body.Error.Details, map[string]any{"@type": fcmErrorType, "errorCode": "INVALID_ARGUMENT"})
	}
	if field != "" {
		body.Error.Details = append(body.Error.Details, map[string]any{"@type": fcmBadRequestType,
			"fieldViolations": []map[string]string{{"field": field, "description": msg}}})
	}
	rep.body = body
	return &rep
}

// fcmGoogleError is the error body of every Google API.
type fcmGoogleError struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details,omitempty"`
	} `json:"error"`
}

func fcmPlatformError(status int, platform, msg string) fcmReply {
	var e fcmGoogleError
	e.Error.Code, e.Error.Status, e.Error.Message = status, platform, msg
	return fcmReply{status: status, body: e}
}

// fcmCanned returns the HTTP status, platform status and message FCM
// answers with for an FcmError code (vendor-protocols.md §2), and whether
// the code is an FcmError at all (UNAUTHENTICATED and PERMISSION_DENIED are
// bare platform errors).
func fcmCanned(code string) (status int, platform, msg string, fcmErr bool) {
	switch code {
	case "UNREGISTERED":
		return 404, "NOT_FOUND", "Requested entity was not found.", true
	case "INVALID_ARGUMENT":
		return 400, "INVALID_ARGUMENT", "Request contains an invalid argument.", true
	case "SENDER_ID_MISMATCH":
		return 403, "PERMISSION_DENIED", "SenderId mismatch", true
	case "QUOTA_EXCEEDED":
		return 429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com'.", true
	case "UNAVAILABLE":
		return 503, "UNAVAILABLE", "The service is currently unavailable.", true
	case "INTERNAL":
		return 500, "INTERNAL", "Internal error encountered.", true
	case "THIRD_PARTY_AUTH_ERROR":
		return 401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", true
	case "UNAUTHENTICATED":
		return 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", false
	case "PERMISSION_DENIED":
		return 403, "PERMISSION_DENIED", "The caller does not have permission", false
	}
	return 500, code, "Injected failure " + code, true
}

// fcmFailure renders an injected Failure as FCM's real error body.
func fcmFailure(fl Failure) fcmReply {
	status, platform, msg, fcmErr := fcmCanned(fl.Code)
	if fl.Status != 0 {
		status = fl.Status
	}
	if fl.Message != "" {
		msg = fl.Message
	}
	rep := fcmPlatformError(status, platform, msg)
	if fcmErr {
		body := rep.body.(fcmGoogleError)
		body.Error.Details = []map[string]any{{"@type": fcmErrorType, "errorCode": fl.Code}}
		rep.body = body
	}
	rep.retryAfter = fl.RetryAfter
	return rep
}

func fcmOAuthError(w http.ResponseWriter, code, desc string) {
	fcmWriteJSON(w, http.StatusBadRequest, nil, map[string]string{"error": code, "error_description": desc})
}

func fcmWriteJSON(w http.ResponseWriter, status int, h http.Header, v any) {
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fcmRandom(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// fcmCheckImage requires a notification's image, when present, to be a
// string holding an absolute http(s) URL: the device downloads it (FCM
// Notification.image "the URL of an image that is going to be downloaded
// on the device") [UNCERTAIN: the exact refusal text is ours].
func fcmCheckImage(raw json.RawMessage, field string) *fcmReply {
	if len(raw) == 0 {
		return nil
	}
	var n struct {
		Image *json.RawMessage `json:"image"`
	}
	if json.Unmarshal(raw, &n) != nil || n.Image == nil {
		return nil
	}
	var img string
	if json.Unmarshal(*n.Image, &img) != nil {
		img = ""
	}
	u, err := url.Parse(img)
	if img == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fcmInvalidArgument(fmt.Sprintf("Invalid value at '%s', %s: not an image URL", field, *n.Image), field, false)
	}
	return nil
}
