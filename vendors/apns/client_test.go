package apns

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testEnv is an APNs fake and a Sender pointed at it. The fake and the
// sender have clocks of their own so tests can make them disagree.
type testEnv struct {
	fake       *fake.APNs
	fakeClock  *testClock
	senderTime *testClock
	sender     *Sender
	p8         *testcreds.P8
}

func newTestFake(t testing.TB) (*fake.APNs, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Now().UTC()}
	a := fake.NewAPNs(fake.APNsOptions{Now: clock.Now})
	t.Cleanup(a.Close)
	a.AddTopic(testTopic)
	return a, clock
}

// newTokenEnv returns a token-auth sender and a fake trusting its key.
func newTokenEnv(t testing.TB) *testEnv {
	t.Helper()
	a, fc := newTestFake(t)
	cred, p8 := p8Cred(t, vendors.EnvDevelopment)
	a.AddKey(testKeyID, testTeamID, &p8.Key.PublicKey)
	sc := &testClock{t: fc.Now()}
	s, err := NewSender(cred, vendors.Endpoint{URL: a.URL() + "/", Client: a.Client()}, Options{Now: sc.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &testEnv{fake: a, fakeClock: fc, senderTime: sc, sender: s, p8: p8}
}

func testNotification() *vendors.Notification {
	return &vendors.Notification{ID: "m-1", Title: "Alice", Body: "hello", Ext: `{"c":1}`, Badge: vendors.IntPtr(2)}
}

func sendOne(t testing.TB, s *Sender, token string) vendors.Result {
	t.Helper()
	rs := s.Send(context.Background(), testNotification(), []string{token})
	if len(rs) != 1 || rs[0].Token != token {
		t.Fatalf("Send returned %+v, want one result for the token", rs)
	}
	return rs[0]
}

// bearerIAT verifies a recorded authorization header against the test key
// and returns its iat.
func bearerIAT(t *testing.T, e *testEnv, auth string) time.Time {
	t.Helper()
	raw, ok := strings.CutPrefix(auth, "bearer ")
	if !ok {
		t.Fatalf("authorization %q is not a bearer token", auth)
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &e.p8.Key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		t.Fatalf("JWT does not verify: %v", err)
	}
	if tok.Header["kid"] != testKeyID || claims["iss"] != testTeamID {
		t.Fatalf("JWT header %v claims %v", tok.Header, claims)
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		t.Fatalf("JWT has no iat: %v", err)
	}
	return iat.Time
}

func TestSendTokenAuthMatchesDryRun(t *testing.T) {
	e := newTokenEnv(t)
	r := sendOne(t, e.sender, testToken)
	if r.Err != nil || len(r.MessageID) != 36 {
		t.Fatalf("Send = %+v, want OK with an apns-id", r)
	}
	recs := e.fake.Requests()
	if len(recs) != 1 {
		t.Fatalf("fake saw %d requests, want 1", len(recs))
	}
	dry, err := e.sender.DryRun(context.Background(), testNotification(), []string{testToken})
	if err != nil {
		t.Fatal(err)
	}
	got := recs[0]
	if string(got.Body) != dry[0].Body || !strings.HasSuffix(dry[0].URL, got.Path) || got.Method != dry[0].Method {
		t.Errorf("wire %s %s %s\ndry run %s %s %s", got.Method, got.Path, got.Body, dry[0].Method, dry[0].URL, dry[0].Body)
	}
	for k, v := range dry[0].Header {
		if k == "authorization" {
			continue
		}
		if w := got.Header.Get(k); w != v {
			t.Errorf("header %s: wire %q, dry run %q", k, w, v)
		}
	}
	if !strings.Contains(dry[0].Header["authorization"], vendors.Redacted) || strings.Count(dry[0].Header["authorization"], ".") > 0 {
		t.Errorf("dry-run authorization %q must be redacted", dry[0].Header["authorization"])
	}
	if iat := bearerIAT(t, e, got.Header.Get("authorization")); !iat.Equal(e.senderTime.Now().Truncate(time.Second)) {
		t.Errorf("JWT iat %s, want the sender's clock %s", iat, e.senderTime.Now())
	}
}

func TestSendCertificateAuth(t *testing.T) {
	a, fc := newTestFake(t)
	now := fc.Now()
	p12, err := testcreds.NewP12(testTopic, "s3cret-pw", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	a.AddClientCA(p12.Cert)
	cred := &vendors.Credential{ID: 9, Vendor: vendors.APNs,
		Fields:  map[string]string{vendors.FieldBundleID: testTopic, vendors.FieldEnv: vendors.EnvProduction},
		Secrets: map[string][]byte{vendors.SecretP12: p12.Data, vendors.SecretPassword: []byte("s3cret-pw")}}
	s, err := New(cred, vendors.Endpoint{URL: a.URL(), Client: a.Client()})
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Send(context.Background(), testNotification(), []string{testToken})
	if rs[0].Err != nil || rs[0].MessageID == "" {
		t.Fatalf("Send with a client certificate = %+v, want OK", rs[0])
	}
	recs := a.Requests()
	if len(recs) != 1 || recs[0].Header.Get("authorization") != "" || recs[0].Header.Get("apns-topic") != testTopic {
		t.Fatalf("recorded %+v, want one request with the topic and no authorization", recs)
	}
	dry, err := s.DryRun(context.Background(), testNotification(), []string{testToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := dry[0].Header["authorization"]; ok {
		t.Errorf("certificate auth dry run shows an authorization header: %v", dry[0].Header)
	}
}

func TestSendClassifiesVendorAnswers(t *testing.T) {
	e := newTokenEnv(t)
	tests := []struct {
		name       string
		fail       fake.Failure
		kind       vendors.Kind
		status     int
		retryAfter time.Duration
	}{
		{"BadDeviceToken", fake.Failure{Code: "BadDeviceToken"}, vendors.InvalidToken, 400, 0},
		{"Unregistered", fake.Failure{Code: "Unregistered"}, vendors.InvalidToken, 410, 0},
		{"TooManyRequests with Retry-After", fake.Failure{Code: "TooManyRequests", RetryAfter: 7 * time.Second}, vendors.RateLimited, 429, 7 * time.Second},
		{"TooManyRequests without Retry-After", fake.Failure{Code: "TooManyRequests"}, vendors.RateLimited, 429, tooManyRequestsWait},
		{"InternalServerError", fake.Failure{Code: "InternalServerError"}, vendors.Retryable, 500, 0},
		{"ServiceUnavailable", fake.Failure{Code: "ServiceUnavailable"}, vendors.Retryable, 503, 0},
		{"Shutdown", fake.Failure{Code: "Shutdown"}, vendors.Retryable, 503, 0},
		{"PayloadTooLarge", fake.Failure{Code: "PayloadTooLarge"}, vendors.Rejected, 413, 0},
		{"TopicDisallowed", fake.Failure{Code: "TopicDisallowed"}, vendors.Rejected, 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.fake.ClearFaults()
			e.fake.FailToken(testToken, tc.fail)
			r := sendOne(t, e.sender, testToken)
			var ve *vendors.Error
			if r.Err == nil || r.MessageID != "" {
				t.Fatalf("Send = %+v, want a failure without a message id", r)
			}
			ve = r.Err.(*vendors.Error)
			if ve.Kind != tc.kind || ve.Status != tc.status || ve.Code != tc.fail.Code || ve.RetryAfter != tc.retryAfter {
				t.Errorf("got %+v, want kind %s status %d code %s retry %s", ve, tc.kind, tc.status, tc.fail.Code, tc.retryAfter)
			}
			if tc.status == 410 && !ve.Timestamp.Equal(e.fakeClock.Now().Truncate(time.Millisecond)) {
				t.Errorf("410 timestamp %s, want the fake's clock %s", ve.Timestamp, e.fakeClock.Now())
			}
			if tc.fail.Code == "BadDeviceToken" && !strings.Contains(ve.Message, vendors.EnvDevelopment) {
				t.Errorf("BadDeviceToken message %q should name the environment", ve.Message)
			}
			if strings.Contains(r.Err.Error(), testToken) {
				t.Errorf("error %q contains the device token", r.Err)
			}
		})
	}
}

func TestExpiredProviderTokenIsRenewedAndRetried(t *testing.T) {
	e := newTokenEnv(t)
	if r := sendOne(t, e.sender, testToken); r.Err != nil {
		t.Fatal(r.Err)
	}
	// The sender's clock lags: by its own count its JWT is 40 minutes old
	// and still usable, but APNs finds it 61 minutes old.
	e.fakeClock.Add(61 * time.Minute)
	e.senderTime.Add(40 * time.Minute)
	if r := sendOne(t, e.sender, testToken); r.Err != nil || r.MessageID == "" {
		t.Fatalf("Send after ExpiredProviderToken = %+v, want OK after a renewed JWT", r)
	}
	recs := e.fake.Requests()
	if len(recs) != 3 || recs[1].Status != 403 || recs[2].Status != 200 {
		t.Fatalf("recorded %d requests, want first OK, then 403 and a successful retry", len(recs))
	}
	old, renewed := recs[1].Header.Get("authorization"), recs[2].Header.Get("authorization")
	if old != recs[0].Header.Get("authorization") || old == renewed {
		t.Errorf("the retry must carry a new JWT")
	}
	if iat := bearerIAT(t, e, renewed); !iat.Equal(e.senderTime.Now().Truncate(time.Second)) {
		t.Errorf("renewed JWT iat %s, want %s", iat, e.senderTime.Now())
	}
}

func TestExpiredProviderTokenTwiceIsAuth(t *testing.T) {
	e := newTokenEnv(t)
	e.fakeClock.Add(3 * time.Hour)
	r := sendOne(t, e.sender, testToken)
	if vendors.KindOf(r.Err) != vendors.Auth || vendors.CodeOf(r.Err) != "ExpiredProviderToken" {
		t.Fatalf("Send = %v, want Auth ExpiredProviderToken", r.Err)
	}
	recs := e.fake.Requests()
	if len(recs) != 2 || recs[0].Header.Get("authorization") == recs[1].Header.Get("authorization") {
		t.Fatalf("recorded %d requests, want exactly one retry with a new JWT", len(recs))
	}
}

func TestExpiredProviderTokenBurstRenewsOnce(t *testing.T) {
	e := newTokenEnv(t)
	if r := sendOne(t, e.sender, testToken); r.Err != nil {
		t.Fatal(r.Err)
	}
	e.fakeClock.Add(61 * time.Minute)
	e.senderTime.Add(40 * time.Minute)
	var wg sync.WaitGroup
	results := make([]vendors.Result, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.sender.Send(context.Background(), testNotification(), []string{testToken})[0]
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.Err != nil {
			t.Errorf("send %d: %v", i, r.Err)
		}
	}
	bearers := map[string]bool{}
	for _, rec := range e.fake.Requests() {
		bearers[rec.Header.Get("authorization")] = true
	}
	if len(bearers) != 2 {
		t.Errorf("saw %d distinct JWTs, want 2 (the stale one and a single renewal)", len(bearers))
	}
}

func TestHTTP2ConnectionIsReused(t *testing.T) {
	e := newTokenEnv(t)
	if r := sendOne(t, e.sender, testToken); r.Err != nil {
		t.Fatal(r.Err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 5; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				e.sender.Send(context.Background(), testNotification(), []string{testToken})
			}
		}()
	}
	wg.Wait()
	st := e.fake.Stats()
	if st.Conns != 1 || st.HTTP2 != 51 || e.fake.Len() != 51 {
		t.Errorf("stats %+v over %d requests, want 51 HTTP/2 requests on 1 connection", st, e.fake.Len())
	}
}

func TestSendExtTooLargeSendsNothing(t *testing.T) {
	e := newTokenEnv(t)
	n := testNotification()
	n.Ext = strings.Repeat("x", 5000)
	rs := e.sender.Send(context.Background(), n, []string{testToken, testToken})
	for _, r := range rs {
		if vendors.KindOf(r.Err) != vendors.Rejected {
			t.Errorf("result %+v, want Rejected", r)
		}
	}
	if e.fake.Len() != 0 {
		t.Errorf("fake saw %d requests, want none", e.fake.Len())
	}
	if _, err := e.sender.DryRun(context.Background(), n, []string{testToken}); vendors.KindOf(err) != vendors.Rejected {
		t.Errorf("DryRun err = %v, want Rejected", err)
	}
}

func TestTransportFailureIsRetryable(t *testing.T) {
	e := newTokenEnv(t)
	e.fake.Close()
	r := sendOne(t, e.sender, testToken)
	if vendors.KindOf(r.Err) != vendors.Retryable || strings.Contains(r.Err.Error(), testToken) {
		t.Fatalf("Send to a closed server = %v, want Retryable without the token", r.Err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rs := e.sender.Send(ctx, testNotification(), []string{testToken}); vendors.KindOf(rs[0].Err) != vendors.Retryable {
		t.Fatalf("Send with a cancelled context = %v, want Retryable", rs[0].Err)
	}
}
