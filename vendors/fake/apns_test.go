package fake_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	apnsTestKeyID  = "KEY1234567"
	apnsTestTeamID = "TEAM123456"
	apnsTestTopic  = "com.example.chat"
	apnsTestToken  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	apnsTestBody   = `{"aps":{"alert":{"body":"hi"}}}`
)

// apnsClock is a settable clock shared by a test and the fake.
type apnsClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *apnsClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *apnsClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// apnsFixture is a fake trusting one key and one topic.
type apnsFixture struct {
	a     *fake.APNs
	key   *ecdsa.PrivateKey
	clock *apnsClock
}

func newAPNsFixture(t *testing.T) *apnsFixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clock := &apnsClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	a := fake.NewAPNs(fake.APNsOptions{Now: clock.Now})
	t.Cleanup(a.Close)
	a.AddKey(apnsTestKeyID, apnsTestTeamID, &key.PublicKey)
	a.AddTopic(apnsTestTopic)
	return &apnsFixture{a: a, key: key, clock: clock}
}

// apnsJWT signs a provider token the way apns2 does.
func apnsJWT(t *testing.T, key *ecdsa.PrivateKey, kid, iss string, iat time.Time) string {
	t.Helper()
	tok := &jwt.Token{
		Header: map[string]any{"alg": "ES256", "kid": kid},
		Claims: jwt.MapClaims{"iss": iss, "iat": iat.Unix()},
		Method: jwt.SigningMethodES256,
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// apnsRequest is a raw push; valid() fills a request the fake accepts.
type apnsRequest struct {
	method string
	path   string
	header http.Header
	body   string
}

func (f *apnsFixture) valid(t *testing.T) apnsRequest {
	return apnsRequest{
		method: http.MethodPost,
		path:   "/3/device/" + apnsTestToken,
		header: http.Header{
			"Authorization":  {"bearer " + apnsJWT(t, f.key, apnsTestKeyID, apnsTestTeamID, f.clock.Now())},
			"Apns-Topic":     {apnsTestTopic},
			"Apns-Push-Type": {"alert"},
			"Apns-Priority":  {"10"},
			"Content-Type":   {"application/json; charset=utf-8"},
		},
		body: apnsTestBody,
	}
}

// apnsReply is the fake's answer, decoded.
type apnsReply struct {
	status    int
	header    http.Header
	body      string
	reason    string
	timestamp int64
}

func apnsDo(t *testing.T, c *http.Client, base string, rq apnsRequest) apnsReply {
	t.Helper()
	req, err := http.NewRequest(rq.method, base+rq.path, strings.NewReader(rq.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = rq.header
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := apnsReply{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	if len(raw) > 0 {
		var eb struct {
			Reason    string `json:"reason"`
			Timestamp int64  `json:"timestamp"`
		}
		if err := json.Unmarshal(raw, &eb); err != nil {
			t.Fatalf("error body %q is not JSON: %v", raw, err)
		}
		r.reason, r.timestamp = eb.Reason, eb.Timestamp
	}
	return r
}

func TestAPNsAcceptsValidPush(t *testing.T) {
	f := newAPNsFixture(t)
	r := apnsDo(t, f.a.Client(), f.a.URL(), f.valid(t))
	if r.status != http.StatusOK || r.body != "" {
		t.Fatalf("got %d %q, want 200 with an empty body", r.status, r.body)
	}
	if id := r.header.Get("apns-id"); len(id) != 36 || strings.Count(id, "-") != 4 {
		t.Errorf("apns-id = %q, want a UUID", id)
	}
	rq := f.valid(t)
	const sent = "123e4567-e89b-12d3-a456-426614174000"
	rq.header.Set("apns-id", sent)
	if r := apnsDo(t, f.a.Client(), f.a.URL(), rq); r.header.Get("apns-id") != sent {
		t.Errorf("apns-id = %q, want the one sent, %q", r.header.Get("apns-id"), sent)
	}
	if st := f.a.Stats(); st.HTTP2 != 2 || st.Conns != 1 {
		t.Errorf("stats = %+v, want 2 HTTP/2 requests on 1 connection", st)
	}
}

func TestAPNsRefusesWhatAppleRefuses(t *testing.T) {
	f := newAPNsFixture(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	bearer := func(s string) func(*apnsRequest) {
		return func(r *apnsRequest) { r.header.Set("Authorization", s) }
	}
	hdr := func(k, v string) func(*apnsRequest) { return func(r *apnsRequest) { r.header.Set(k, v) } }
	hs256, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": apnsTestTeamID, "iat": now.Unix()}).SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mod    func(*apnsRequest)
		status int
		reason string
	}{
		{"no auth", func(r *apnsRequest) { r.header.Del("Authorization") }, 403, "MissingProviderToken"},
		{"empty bearer", bearer("bearer "), 403, "MissingProviderToken"},
		{"not bearer", bearer("Basic abc"), 403, "InvalidProviderToken"},
		{"garbage jwt", bearer("bearer abc.def.ghi"), 403, "InvalidProviderToken"},
		{"bad signature", bearer("bearer " + apnsJWT(t, other, apnsTestKeyID, apnsTestTeamID, now)), 403, "InvalidProviderToken"},
		{"unknown kid", bearer("bearer " + apnsJWT(t, f.key, "NOKEY00000", apnsTestTeamID, now)), 403, "InvalidProviderToken"},
		{"wrong team", bearer("bearer " + apnsJWT(t, f.key, apnsTestKeyID, "OTHERTEAM0", now)), 403, "InvalidProviderToken"},
		{"hs256", bearer("bearer " + hs256), 403, "InvalidProviderToken"},
		{"iat in the future", bearer("bearer " + apnsJWT(t, f.key, apnsTestKeyID, apnsTestTeamID, now.Add(time.Hour))), 403, "InvalidProviderToken"},
		{"jwt 61 min old", bearer("bearer " + apnsJWT(t, f.key, apnsTestKeyID, apnsTestTeamID, now.Add(-61*time.Minute))), 403, "ExpiredProviderToken"},
		{"jwt 59 min old", bearer("bearer " + apnsJWT(t, f.key, apnsTestKeyID, apnsTestTeamID, now.Add(-59*time.Minute))), 200, ""},
		{"no topic", func(r *apnsRequest) { r.header.Del("Apns-Topic") }, 400, "MissingTopic"},
		{"wrong topic", hdr("Apns-Topic", "com.example.other"), 400, "TopicDisallowed"},
		{"bad push type", hdr("Apns-Push-Type", "banner"), 400, "InvalidPushType"},
		{"no push type", func(r *apnsRequest) { r.header.Del("Apns-Push-Type") }, 200, ""},
		{"bad priority", hdr("Apns-Priority", "7"), 400, "BadPriority"},
		{"priority 5", hdr("Apns-Priority", "5"), 200, ""},
		{"collapse id 65 bytes", hdr("Apns-Collapse-Id", strings.Repeat("c", 65)), 400, "BadCollapseId"},
		{"collapse id 64 bytes", hdr("Apns-Collapse-Id", strings.Repeat("c", 64)), 200, ""},
		{"bad expiration", hdr("Apns-Expiration", "tomorrow"), 400, "BadExpirationDate"},
		{"bad apns-id", hdr("Apns-Id", "not-a-uuid"), 400, "BadMessageId"},
		{"duplicate header", func(r *apnsRequest) { r.header.Add("Apns-Priority", "10") }, 400, "DuplicateHeaders"},
		{"non-hex token", func(r *apnsRequest) { r.path = "/3/device/xyz" }, 400, "BadDeviceToken"},
		{"no token", func(r *apnsRequest) { r.path = "/3/device/" }, 400, "MissingDeviceToken"},
		{"bad path", func(r *apnsRequest) { r.path = "/3/devices/" + apnsTestToken }, 404, "BadPath"},
		{"GET", func(r *apnsRequest) { r.method = http.MethodGet; r.body = "" }, 405, "MethodNotAllowed"},
		{"empty body", func(r *apnsRequest) { r.body = "" }, 400, "PayloadEmpty"},
		{"not JSON", func(r *apnsRequest) { r.body = "hello" }, 400, "PayloadEmpty"},
		{"no aps", func(r *apnsRequest) { r.body = `{"ext":"x"}` }, 400, "PayloadEmpty"},
		{"4096 bytes", func(r *apnsRequest) { r.body = apnsSized(4096) }, 200, ""},
		{"4097 bytes", func(r *apnsRequest) { r.body = apnsSized(4097) }, 413, "PayloadTooLarge"},
		{"voip 5120 bytes", func(r *apnsRequest) {
			voip(r)
			r.body = apnsSized(5120)
		}, 200, ""},
		{"voip 5121 bytes", func(r *apnsRequest) {
			voip(r)
			r.body = apnsSized(5121)
		}, 413, "PayloadTooLarge"},
		{"voip without the .voip topic", func(r *apnsRequest) {
			voip(r)
			r.header.Set("Apns-Topic", apnsTestTopic)
		}, 400, "InvalidPushType"},
		{"alert to the .voip topic", hdr("Apns-Topic", apnsTestTopic+".voip"), 400, "InvalidPushType"},
		{"voip priority 5", func(r *apnsRequest) {
			voip(r)
			r.header.Set("Apns-Priority", "5")
		}, 400, "BadPriority"},
		{"voip to another bundle", func(r *apnsRequest) {
			voip(r)
			r.header.Set("Apns-Topic", "com.example.other.voip")
		}, 400, "TopicDisallowed"},
		{"background", background(`{"aps":{"content-available":1},"msg_id":"m1"}`), 200, ""},
		{"background priority 10", func(r *apnsRequest) {
			background(`{"aps":{"content-available":1}}`)(r)
			r.header.Set("Apns-Priority", "10")
		}, 400, "BadPriority"},
		{"background without priority", func(r *apnsRequest) {
			background(`{"aps":{"content-available":1}}`)(r)
			r.header.Del("Apns-Priority")
		}, 400, "BadPriority"},
		{"background without content-available", background(`{"aps":{},"msg_id":"m1"}`), 400, "PayloadEmpty"},
		{"background with an alert", background(`{"aps":{"content-available":1,"alert":{"body":"New message"}}}`), 400, "PayloadEmpty"},
		{"background with a sound", background(`{"aps":{"content-available":1,"sound":"default"}}`), 400, "PayloadEmpty"},
		{"background with a badge", background(`{"aps":{"content-available":1,"badge":1}}`), 400, "PayloadEmpty"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rq := f.valid(t)
			tc.mod(&rq)
			r := apnsDo(t, f.a.Client(), f.a.URL(), rq)
			if r.status != tc.status || r.reason != tc.reason {
				t.Fatalf("got %d %q (%s), want %d %q", r.status, r.reason, r.body, tc.status, tc.reason)
			}
			recs := f.a.Requests()
			if len(recs) != i+1 {
				t.Fatalf("recorded %d requests, want %d", len(recs), i+1)
			}
			last := recs[len(recs)-1]
			if last.Status != tc.status || last.Path != rq.path || len(last.Tokens) != 1 || last.Body == nil && rq.body != "" {
				t.Errorf("recorded %+v, want status %d for path %s", last, tc.status, rq.path)
			}
		})
	}
}

// voip makes r a VoIP push, as pushd sends it.
func voip(r *apnsRequest) {
	r.header.Set("Apns-Push-Type", "voip")
	r.header.Set("Apns-Topic", apnsTestTopic+".voip")
	r.header.Set("Apns-Expiration", "0")
}

// background makes r a background push of body, as pushd sends an id_only
// push: push type background, priority 5.
func background(body string) func(*apnsRequest) {
	return func(r *apnsRequest) {
		r.header.Set("Apns-Push-Type", "background")
		r.header.Set("Apns-Priority", "5")
		r.body = body
	}
}

// apnsSized returns a valid payload of exactly n bytes.
func apnsSized(n int) string {
	s := `{"aps":{"alert":{"body":""}}}`
	return s[:len(s)-4] + strings.Repeat("x", n-len(s)) + s[len(s)-4:]
}

func TestAPNsClientCertificate(t *testing.T) {
	f := newAPNsFixture(t)
	now := f.clock.Now()
	p12, err := testcreds.NewP12(apnsTestTopic, "pw", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tr := f.a.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{{Certificate: [][]byte{p12.Cert.Raw}, PrivateKey: p12.Key}}
	c := &http.Client{Transport: tr}
	rq := f.valid(t)
	rq.header.Del("Authorization")
	rq.header.Del("Apns-Topic")

	if r := apnsDo(t, c, f.a.URL(), rq); r.status != 403 || r.reason != "BadCertificate" {
		t.Fatalf("untrusted certificate: got %d %q, want 403 BadCertificate", r.status, r.reason)
	}
	f.a.AddClientCA(p12.Cert)
	if r := apnsDo(t, c, f.a.URL(), rq); r.status != 200 {
		t.Fatalf("trusted certificate without topic: got %d %q, want 200", r.status, r.reason)
	}
	rq.header.Set("Apns-Topic", apnsTestTopic)
	if r := apnsDo(t, c, f.a.URL(), rq); r.status != 200 {
		t.Fatalf("trusted certificate, own topic: got %d %q, want 200", r.status, r.reason)
	}
	rq.header.Set("Apns-Topic", "com.example.other")
	if r := apnsDo(t, c, f.a.URL(), rq); r.status != 400 || r.reason != "TopicDisallowed" {
		t.Fatalf("certificate, other topic: got %d %q, want 400 TopicDisallowed", r.status, r.reason)
	}
	vq := rq
	vq.header = rq.header.Clone()
	voip(&vq)
	if r := apnsDo(t, c, f.a.URL(), vq); r.status != 200 {
		t.Fatalf("certificate, own .voip topic: got %d %q, want 200", r.status, r.reason)
	}
	f.clock.Add(2 * time.Hour)
	rq.header.Set("Apns-Topic", apnsTestTopic)
	if r := apnsDo(t, c, f.a.URL(), rq); r.status != 403 || r.reason != "BadCertificate" {
		t.Fatalf("expired certificate: got %d %q, want 403 BadCertificate", r.status, r.reason)
	}
}

func TestAPNsInjectedFailures(t *testing.T) {
	f := newAPNsFixture(t)
	const dead = "ffff"
	f.a.FailToken(dead, fake.Failure{Code: "Unregistered"})
	f.a.FailNext(1, fake.Failure{Code: "TooManyRequests", RetryAfter: 7 * time.Second})
	f.a.FailNext(1, fake.Failure{Code: "ServiceUnavailable"})
	f.a.FailNext(1, fake.Failure{Code: "InternalServerError"})
	f.a.FailNext(1, fake.Failure{Code: "Shutdown", Status: 500})

	noAuth := f.valid(t)
	noAuth.header.Del("Authorization")
	if r := apnsDo(t, f.a.Client(), f.a.URL(), noAuth); r.reason != "MissingProviderToken" {
		t.Fatalf("a refused request got %d %q; injected failures apply to valid requests only", r.status, r.reason)
	}
	rq := f.valid(t)
	rq.path = "/3/device/" + dead
	r := apnsDo(t, f.a.Client(), f.a.URL(), rq)
	if r.status != 410 || r.reason != "Unregistered" || r.timestamp != f.clock.Now().UnixMilli() {
		t.Errorf("FailToken: got %d %q ts=%d, want 410 Unregistered ts=%d", r.status, r.reason, r.timestamp, f.clock.Now().UnixMilli())
	}
	want := []struct {
		status     int
		reason     string
		retryAfter string
	}{
		{429, "TooManyRequests", "7"},
		{503, "ServiceUnavailable", ""},
		{500, "InternalServerError", ""},
		{500, "Shutdown", ""},
		{200, "", ""},
	}
	for _, w := range want {
		r := apnsDo(t, f.a.Client(), f.a.URL(), f.valid(t))
		if r.status != w.status || r.reason != w.reason || r.header.Get("Retry-After") != w.retryAfter || r.timestamp != 0 {
			t.Errorf("got %d %q Retry-After=%q ts=%d, want %d %q Retry-After=%q",
				r.status, r.reason, r.header.Get("Retry-After"), r.timestamp, w.status, w.reason, w.retryAfter)
		}
	}
	f.a.ClearFaults()
	if r := apnsDo(t, f.a.Client(), f.a.URL(), rq); r.status != 200 {
		t.Errorf("after ClearFaults: got %d %q, want 200", r.status, r.reason)
	}
	var statuses []string
	for _, rec := range f.a.Requests() {
		statuses = append(statuses, strconv.Itoa(rec.Status))
	}
	if got := strings.Join(statuses, ","); got != "403,410,429,503,500,500,200,200" {
		t.Errorf("recorded statuses %s", got)
	}
}

func TestAPNsRotatedKeyRefusesOldTokens(t *testing.T) {
	f := newAPNsFixture(t)
	rq := f.valid(t)
	if r := apnsDo(t, f.a.Client(), f.a.URL(), rq); r.status != 200 {
		t.Fatalf("got %d %q, want 200", r.status, r.reason)
	}
	rotated, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f.a.AddKey(apnsTestKeyID, apnsTestTeamID, &rotated.PublicKey)
	if r := apnsDo(t, f.a.Client(), f.a.URL(), rq); r.status != 403 || r.reason != "InvalidProviderToken" {
		t.Fatalf("JWT of the replaced key: got %d %q, want 403 InvalidProviderToken", r.status, r.reason)
	}
	f.clock.Add(61 * time.Minute)
	rq = f.valid(t)
	rq.header.Set("Authorization", "bearer "+apnsJWT(t, rotated, apnsTestKeyID, apnsTestTeamID, f.clock.Now().Add(-61*time.Minute)))
	if r := apnsDo(t, f.a.Client(), f.a.URL(), rq); r.status != 403 || r.reason != "ExpiredProviderToken" {
		t.Fatalf("old JWT: got %d %q, want 403 ExpiredProviderToken", r.status, r.reason)
	}
}

// Once VoIP tokens are declared, a VoIP push reaches only them and an
// alert never does, as each APNs token belongs to one topic.
func TestAPNsVoIPTokensBelongToTheVoIPTopic(t *testing.T) {
	f := newAPNsFixture(t)
	const voipToken = "feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface"
	alert := func(r *apnsRequest) {}
	toVoIPToken := func(r *apnsRequest) { r.path = "/3/device/" + voipToken }
	tests := []struct {
		name   string
		mods   []func(*apnsRequest)
		status int
		reason string
	}{
		{"alert before any VoIP token is declared", []func(*apnsRequest){alert}, 200, ""},
		{"VoIP push to the VoIP token", []func(*apnsRequest){voip, toVoIPToken}, 200, ""},
		{"VoIP push to an alert token", []func(*apnsRequest){voip}, 400, "DeviceTokenNotForTopic"},
		{"alert to the VoIP token", []func(*apnsRequest){toVoIPToken}, 400, "DeviceTokenNotForTopic"},
		{"alert to an alert token", []func(*apnsRequest){alert}, 200, ""},
	}
	for i, tc := range tests {
		if i == 1 {
			f.a.AddVoIPToken(voipToken)
		}
		rq := f.valid(t)
		for _, m := range tc.mods {
			m(&rq)
		}
		if r := apnsDo(t, f.a.Client(), f.a.URL(), rq); r.status != tc.status || r.reason != tc.reason {
			t.Errorf("%s: got %d %q, want %d %q", tc.name, r.status, r.reason, tc.status, tc.reason)
		}
	}
}
