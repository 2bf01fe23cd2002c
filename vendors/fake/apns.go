package fake

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sideshow/apns2"
)

// APNs limits and rules the fake enforces (vendor-protocols.md §1 and §9).
const (
	apnsPath          = "/3/device/"
	apnsMaxPayload    = 4096
	apnsMaxVoIP       = 5120
	apnsMaxCollapseID = 64
	apnsMaxJWTAge     = time.Hour
	// apnsJWTSkew is how far in the future an iat may be before the token
	// is refused: clocks differ a little.
	apnsJWTSkew = time.Minute
)

// oidUID is the certificate subject attribute (userId) where Apple puts
// the bundle id of a push certificate.
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// APNsOptions configures an APNs fake.
type APNsOptions struct {
	// Now is the fake's clock, for the JWT age check, 410 timestamps and
	// Recorded.At; nil means time.Now.
	Now func() time.Time
}

// APNs is a loopback fake of Apple's HTTP/2 provider API. It serves
// POST /3/device/{token} over TLS with HTTP/2 and checks what APNs checks:
// the ES256 provider token (known key id, matching team, valid signature,
// at most one hour old) or a trusted client certificate, the topic, the
// apns-* headers, the device token and the payload. It answers with APNs'
// real statuses and {"reason":…} bodies and records every request,
// refused ones included.
type APNs struct {
	Log
	Faults
	*Server

	now func() time.Time

	mu     sync.RWMutex
	keys   map[string]apnsKey
	topics map[string]bool
	cas    *x509.CertPool
	// voipTokens, once AddVoIPToken is called, are the PushKit tokens: a
	// token is registered for one topic, so a VoIP push to any other token
	// and an alert to one of these are refused (apns_voip.go).
	voipTokens map[string]bool
	// verified caches the iat of JWTs whose signature checked out, as APNs
	// verifies a provider token once rather than on every push; the age
	// check still runs on every request. AddKey clears it.
	verified map[string]time.Time

	conns atomic.Int64
	http2 atomic.Int64
}

// apnsKey is a trusted token-auth key.
type apnsKey struct {
	teamID string
	pub    *ecdsa.PublicKey
}

// APNsStats counts what the fake saw below the request level.
type APNsStats struct {
	// Conns is the number of TLS connections accepted.
	Conns int
	// HTTP2 is the number of requests that arrived over HTTP/2.
	HTTP2 int
}

// NewAPNs starts an APNs fake. It trusts no key, certificate or topic
// until AddKey, AddClientCA and AddTopic are called.
func NewAPNs(opts APNsOptions) *APNs {
	a := &APNs{now: opts.Now, keys: map[string]apnsKey{}, topics: map[string]bool{}, cas: x509.NewCertPool(),
		verified: map[string]time.Time{}}
	a.now = clock(a.now)
	a.Server = startTLSClientCerts(a, func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			a.conns.Add(1)
		}
	})
	return a
}

// startTLSClientCerts is StartTLS with the server asking for (but not
// requiring) a client certificate, as APNs does for certificate auth, and
// a connection-state hook. The certificate is verified per request, so that
// an untrusted one is answered with BadCertificate rather than a failed
// handshake.
func startTLSClientCerts(h http.Handler, onConn func(net.Conn, http.ConnState)) *Server {
	srv := &Server{}
	s := httptest.NewUnstartedServer(srv.holding(h))
	s.EnableHTTP2 = true
	s.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	s.Config.ConnState = onConn
	s.StartTLS()
	srv.srv = s
	return srv
}

// AddKey trusts the token-auth key keyID of teamID.
func (a *APNs) AddKey(keyID, teamID string, pub *ecdsa.PublicKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys[keyID] = apnsKey{teamID: teamID, pub: pub}
	clear(a.verified)
}

// AddClientCA trusts client certificates issued by cert (or cert itself,
// for a self-signed test certificate).
func (a *APNs) AddClientCA(cert *x509.Certificate) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cas.AddCert(cert)
}

// AddTopic allows pushes to bundleID with token auth.
func (a *APNs) AddTopic(bundleID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.topics[bundleID] = true
}

// Stats returns the connection and protocol counters.
func (a *APNs) Stats() APNsStats {
	return APNsStats{Conns: int(a.conns.Load()), HTTP2: int(a.http2.Load())}
}

// apnsAnswer is what the fake replies.
type apnsAnswer struct {
	status     int
	reason     string
	retryAfter time.Duration
}

// refuse is a refusal with APNs' usual status for reason.
func refuse(reason string) apnsAnswer {
	return apnsAnswer{status: apnsStatus(reason), reason: reason}
}

// ServeHTTP answers one push.
func (a *APNs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 2 {
		a.http2.Add(1)
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	token := strings.TrimPrefix(r.URL.Path, apnsPath)
	ans := a.answer(r, token, body)
	// Record before answering, so a test that got the answer sees the
	// request in the log.
	a.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Tokens: []string{token}, Status: ans.status, At: a.now()})
	a.write(w, r, ans)
}

// answer validates r like APNs, then applies any injected failure. Injected
// failures model the vendor's state (a token unregistered, the service
// down), so they apply only to a request APNs would otherwise accept.
func (a *APNs) answer(r *http.Request, token string, body []byte) apnsAnswer {
	if r.Method != http.MethodPost {
		return refuse(apns2.ReasonMethodNotAllowed)
	}
	if !strings.HasPrefix(r.URL.Path, apnsPath) || strings.Contains(token, "/") {
		return refuse(apns2.ReasonBadPath)
	}
	certTopic, reason := a.authenticate(r)
	if reason == "" {
		reason = a.checkHeaders(r.Header, certTopic)
	}
	if reason == "" {
		reason = checkDeviceToken(token)
	}
	if reason == "" {
		reason = a.checkTokenTopic(r.Header, token)
	}
	if reason == "" {
		reason = checkPayload(body, r.Header.Get("apns-push-type"))
	}
	if reason != "" {
		return refuse(reason)
	}
	if fl, ok := a.ForToken(token); ok {
		return injected(fl)
	}
	if fl, ok := a.TakeNext(); ok {
		return injected(fl)
	}
	return apnsAnswer{status: http.StatusOK}
}

// injected turns a Failure into an answer with APNs' status for its code.
func injected(fl Failure) apnsAnswer {
	ans := refuse(fl.Code)
	if fl.Status != 0 {
		ans.status = fl.Status
	}
	ans.retryAfter = fl.RetryAfter
	return ans
}

// write sends the answer: apns-id always (the one sent, or a new UUID), an
// empty body on success, {"reason":…} otherwise, with the time the token
// became invalid on 410. Failure.Message is not used: APNs bodies have no
// message.
func (a *APNs) write(w http.ResponseWriter, r *http.Request, ans apnsAnswer) {
	id := r.Header.Get("apns-id")
	if id == "" || !isUUID(id) {
		id = newUUID()
	}
	w.Header().Set("apns-id", id)
	if ans.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((ans.retryAfter+time.Second-1)/time.Second)))
	}
	if ans.status == http.StatusOK {
		w.WriteHeader(http.StatusOK)
		return
	}
	out := map[string]any{"reason": ans.reason}
	if ans.status == http.StatusGone {
		out["timestamp"] = a.now().UnixMilli()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(ans.status)
	_ = json.NewEncoder(w).Encode(out)
}

// apnsStatus is the HTTP status APNs answers reason with
// (vendor-protocols.md §1 error table).
func apnsStatus(reason string) int {
	switch reason {
	case apns2.ReasonExpiredProviderToken, apns2.ReasonInvalidProviderToken, apns2.ReasonMissingProviderToken,
		apns2.ReasonBadCertificate, apns2.ReasonBadCertificateEnvironment, apns2.ReasonForbidden,
		"UnrelatedKeyIdInToken", "BadEnvironmentKeyInToken":
		return http.StatusForbidden
	case apns2.ReasonBadPath:
		return http.StatusNotFound
	case apns2.ReasonMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case apns2.ReasonUnregistered, apns2.ReasonExpiredToken:
		return http.StatusGone
	case apns2.ReasonPayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case apns2.ReasonTooManyRequests, apns2.ReasonTooManyProviderTokenUpdates:
		return http.StatusTooManyRequests
	case apns2.ReasonInternalServerError:
		return http.StatusInternalServerError
	case apns2.ReasonServiceUnavailable, apns2.ReasonShutdown:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// authenticate accepts a trusted client certificate (returning its bundle
// id, the certificate's topic) or else a valid provider token. It returns
// the refusal reason, "" when authenticated.
func (a *APNs) authenticate(r *http.Request) (certTopic, reason string) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return a.checkClientCert(r.TLS.PeerCertificates)
	}
	auth := r.Header.Get("authorization")
	raw, ok := cutPrefixFold(auth, "bearer ")
	if auth == "" || (ok && strings.TrimSpace(raw) == "") {
		return "", apns2.ReasonMissingProviderToken
	}
	if !ok {
		return "", apns2.ReasonInvalidProviderToken
	}
	return "", a.checkJWT(strings.TrimSpace(raw))
}

// checkClientCert verifies the presented chain against the trusted CAs.
func (a *APNs) checkClientCert(chain []*x509.Certificate) (topic, reason string) {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	a.mu.RLock()
	opts := x509.VerifyOptions{Roots: a.cas, Intermediates: inter, CurrentTime: a.now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	_, err := chain[0].Verify(opts)
	a.mu.RUnlock()
	if err != nil {
		return "", apns2.ReasonBadCertificate
	}
	for _, n := range chain[0].Subject.Names {
		if n.Type.Equal(oidUID) {
			if s, ok := n.Value.(string); ok {
				return s, ""
			}
		}
	}
	return "", ""
}

// apnsMaxVerified bounds the verified-JWT cache.
const apnsMaxVerified = 1024

// checkJWT verifies a provider token: ES256, a known kid, iss = the team of
// that key, a valid signature and an iat at most one hour old.
func (a *APNs) checkJWT(raw string) string {
	a.mu.RLock()
	iat, ok := a.verified[raw]
	a.mu.RUnlock()
	if !ok {
		var reason string
		if iat, reason = a.verifyJWT(raw); reason != "" {
			return reason
		}
		a.mu.Lock()
		if len(a.verified) >= apnsMaxVerified {
			clear(a.verified)
		}
		a.verified[raw] = iat
		a.mu.Unlock()
	}
	now := a.now()
	if iat.After(now.Add(apnsJWTSkew)) {
		return apns2.ReasonInvalidProviderToken
	}
	if now.Sub(iat) > apnsMaxJWTAge {
		return apns2.ReasonExpiredProviderToken
	}
	return ""
}

// verifyJWT checks the signature, key id and team of a provider token and
// returns its iat.
func (a *APNs) verifyJWT(raw string) (time.Time, string) {
	var key apnsKey
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		a.mu.RLock()
		k, ok := a.keys[kid]
		a.mu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		key = k
		return k.pub, nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}), jwt.WithoutClaimsValidation())
	if err != nil {
		return time.Time{}, apns2.ReasonInvalidProviderToken
	}
	iss, _ := claims.GetIssuer()
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil || iss != key.teamID {
		return time.Time{}, apns2.ReasonInvalidProviderToken
	}
	return iat.Time, ""
}

// checkHeaders validates the apns-* headers. certTopic is the bundle id of
// the client certificate, "" with token auth.
func (a *APNs) checkHeaders(h http.Header, certTopic string) string {
	for k, vs := range h {
		if strings.HasPrefix(strings.ToLower(k), "apns-") && len(vs) > 1 {
			return apns2.ReasonDuplicateHeaders
		}
	}
	if reason := a.checkTopic(h.Get("apns-topic"), certTopic); reason != "" {
		return reason
	}
	if reason := checkVoIP(h); reason != "" {
		return reason
	}
	if reason := checkBackground(h); reason != "" {
		return reason
	}
	if pt := h.Get("apns-push-type"); pt != "" && !validPushType(pt) {
		return apns2.ReasonInvalidPushType
	}
	switch h.Get("apns-priority") {
	case "", "1", "5", "10":
	default:
		return apns2.ReasonBadPriority
	}
	if len(h.Get("apns-collapse-id")) > apnsMaxCollapseID {
		return apns2.ReasonBadCollapseID
	}
	if exp := h.Get("apns-expiration"); exp != "" {
		if v, err := strconv.ParseInt(exp, 10, 64); err != nil || v < 0 {
			return apns2.ReasonBadExpirationDate
		}
	}
	if id := h.Get("apns-id"); id != "" && !isUUID(id) {
		return apns2.ReasonBadMessageID
	}
	return ""
}

// checkTopic: a certificate may push only to its own bundle id (the header
// may then be omitted); a token-auth request must name an allowed topic.
func (a *APNs) checkTopic(topic, certTopic string) string {
	// A bundle's push certificate, and its token-auth topics, cover its
	// VoIP topic too (apns_voip.go).
	topic = strings.TrimSuffix(topic, apnsVoIPSuffix)
	if certTopic != "" {
		if topic == "" || topic == certTopic {
			return ""
		}
		return apns2.ReasonTopicDisallowed
	}
	if topic == "" {
		return apns2.ReasonMissingTopic
	}
	a.mu.RLock()
	ok := a.topics[topic]
	a.mu.RUnlock()
	if !ok {
		return apns2.ReasonTopicDisallowed
	}
	return ""
}

// validPushType reports whether pt is one of apns2's push types.
func validPushType(pt string) bool {
	switch apns2.EPushType(pt) {
	case apns2.PushTypeAlert, apns2.PushTypeBackground, apns2.PushTypeLocation, apns2.PushTypeVOIP,
		apns2.PushTypeComplication, apns2.PushTypeFileProvider, apns2.PushTypeMDM,
		apns2.PushTypeLiveActivity, apns2.PushTypePushToTalk:
		return true
	}
	return false
}

// checkDeviceToken: a device token is a non-empty even-length hex string.
func checkDeviceToken(token string) string {
	if token == "" {
		return apns2.ReasonMissingDeviceToken
	}
	if _, err := hex.DecodeString(token); err != nil {
		return apns2.ReasonBadDeviceToken
	}
	return ""
}

// checkPayload: non-empty, within the size limit (5120 bytes for VoIP),
// and a JSON object with an "aps" object. APNs documents no reason for
// malformed JSON; the fake answers PayloadEmpty (no usable payload).
// [UNCERTAIN]
func checkPayload(body []byte, pushType string) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return apns2.ReasonPayloadEmpty
	}
	limit := apnsMaxPayload
	if pushType == string(apns2.PushTypeVOIP) {
		limit = apnsMaxVoIP
	}
	if len(body) > limit {
		return apns2.ReasonPayloadTooLarge
	}
	var p struct {
		APS map[string]any `json:"aps"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.APS == nil {
		return apns2.ReasonPayloadEmpty
	}
	if reason := checkBackgroundAPS(p.APS, pushType); reason != "" {
		return reason
	}
	return checkAPS(p.APS)
}

// apsFlags are the aps keys whose value is the number 1 (or 0).
var apsFlags = []string{"content-available", "mutable-content"}

// checkAPS checks the types and values Apple documents for aps keys pushd
// sends: content-available and mutable-content are numbers,
// interruption-level is passive, active, time-sensitive or critical, and
// alert.subtitle is a string (vendor-protocols.md §1 payload fields).
// APNs documents no reason for a wrong one; the fake answers PayloadEmpty
// as for other malformed payloads [UNCERTAIN].
func checkAPS(aps map[string]any) string {
	for _, k := range apsFlags {
		if v, ok := aps[k]; ok {
			if f, isNum := v.(float64); !isNum || (f != 0 && f != 1) {
				return apns2.ReasonPayloadEmpty
			}
		}
	}
	if v, ok := aps["interruption-level"]; ok {
		switch v {
		case "passive", "active", "time-sensitive", "critical":
		default:
			return apns2.ReasonPayloadEmpty
		}
	}
	if a, ok := aps["alert"].(map[string]any); ok {
		if sub, ok := a["subtitle"]; ok {
			if _, isStr := sub.(string); !isStr {
				return apns2.ReasonPayloadEmpty
			}
		}
	}
	return ""
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// isUUID reports whether s is a canonical 8-4-4-4-12 hex UUID.
func isUUID(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	return err == nil && len(b) == 16
}

// newUUID returns a random (version 4) UUID in the uppercase form APNs
// echoes.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
