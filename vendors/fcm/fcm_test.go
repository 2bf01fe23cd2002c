package fcm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const testProject = "demo-project"

// testClock is a settable clock shared by a fake and a test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// setup starts an FCM fake with a registered service account and builds a
// Sender for it.
func setup(t testing.TB) (*fake.FCM, *Sender, *testClock) {
	t.Helper()
	return setupTTL(t, 0)
}

// setupTTL is setup with the fake issuing access tokens that live ttl.
func setupTTL(t testing.TB, ttl time.Duration) (*fake.FCM, *Sender, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Now()}
	f := fake.NewFCM(fake.FCMOptions{Now: clk.Now, TokenTTL: ttl})
	t.Cleanup(f.Close)
	sa, err := f.NewServiceAccount(testProject)
	if err != nil {
		t.Fatal(err)
	}
	return f, newSender(t, sa.JSON, f.Endpoint()), clk
}

func newSender(t testing.TB, saJSON []byte, ep vendors.Endpoint) *Sender {
	t.Helper()
	cred := &vendors.Credential{ID: 7, Vendor: vendors.FCM,
		Secrets: map[string][]byte{vendors.SecretServiceAccount: saJSON}}
	s, err := New(cred, ep)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sender)
}

func testNotification() *vendors.Notification {
	return &vendors.Notification{ID: "c2c-1", Title: "Denny", Body: "See you at 8", Ext: `{"conv":"c2c_denny"}`,
		Android: vendors.AndroidOptions{ChannelID: "chat"}}
}

func sendOneToken(t *testing.T, s *Sender, token string) vendors.Result {
	t.Helper()
	rs := s.Send(context.Background(), testNotification(), []string{token})
	if len(rs) != 1 || rs[0].Token != token {
		t.Fatalf("Send returned %+v, want one result for %q", rs, token)
	}
	return rs[0]
}

func TestSendSuccessMatchesDryRun(t *testing.T) {
	f, s, _ := setup(t)
	r := sendOneToken(t, s, "dev_1:APA91b")
	if r.Err != nil || !strings.HasPrefix(r.MessageID, "projects/demo-project/messages/") {
		t.Fatalf("result = %+v, %v", r, r.Err)
	}
	reqs := f.Requests()
	if len(reqs) != 1 {
		t.Fatalf("fake saw %d sends, want 1", len(reqs))
	}
	got := reqs[0]
	dry, err := s.DryRun(context.Background(), testNotification(), []string{"dev_1:APA91b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := dry[0].URL; f.URL()+got.Path != want {
		t.Errorf("sent to %s, DryRun says %s", f.URL()+got.Path, want)
	}
	var sent, shown any
	if err := json.Unmarshal(got.Body, &sent); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(dry[0].Body), &shown); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(shown, sent); diff != "" {
		t.Errorf("DryRun body differs from the sent body (-dry +sent):\n%s", diff)
	}
	for k, v := range dry[0].Header {
		if k == "Authorization" {
			if v != vendors.Redacted || !strings.HasPrefix(got.Header.Get(k), "Bearer ya29.") {
				t.Errorf("Authorization: dry %q, sent %q", v, got.Header.Get(k))
			}
			continue
		}
		if sentV := got.Header.Get(k); sentV != v {
			t.Errorf("header %s: dry %q, sent %q", k, v, sentV)
		}
	}
}

func TestConcurrentSendsFetchOneToken(t *testing.T) {
	f, s, _ := setup(t)
	const n = 50
	results := make([]vendors.Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.Send(context.Background(), testNotification(), []string{"dev_" + string(rune('a'+i%26))})[0]
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.Err != nil {
			t.Fatalf("send %d: %v", i, r.Err)
		}
	}
	if got := f.TokenRequests(); got != 1 {
		t.Errorf("token endpoint called %d times for %d sends, want 1", got, n)
	}
	if got := f.Len(); got != n {
		t.Errorf("fake saw %d sends, want %d", got, n)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name       string
		fl         fake.Failure
		kind       vendors.Kind
		code       string
		status     int
		retryAfter time.Duration
	}{
		{"unregistered", fake.Failure{Code: "UNREGISTERED"}, vendors.InvalidToken, CodeUnregistered, 404, 0},
		{"invalid argument", fake.Failure{Code: "INVALID_ARGUMENT"}, vendors.Rejected, CodeInvalidArgument, 400, 0},
		{"invalid token", fake.Failure{Code: "INVALID_ARGUMENT", Message: "The registration token is not a valid FCM registration token"},
			vendors.InvalidToken, CodeInvalidArgument, 400, 0},
		{"sender id mismatch", fake.Failure{Code: "SENDER_ID_MISMATCH"}, vendors.InvalidToken, CodeSenderIDMismatch, 403, 0},
		{"quota", fake.Failure{Code: "QUOTA_EXCEEDED", RetryAfter: 30 * time.Second}, vendors.RateLimited, CodeQuotaExceeded, 429, 30 * time.Second},
		{"unavailable", fake.Failure{Code: "UNAVAILABLE"}, vendors.Retryable, CodeUnavailable, 503, 0},
		{"unavailable with retry-after", fake.Failure{Code: "UNAVAILABLE", RetryAfter: 7 * time.Second}, vendors.Retryable, CodeUnavailable, 503, 7 * time.Second},
		{"internal", fake.Failure{Code: "INTERNAL"}, vendors.Retryable, CodeInternal, 500, 0},
		{"third party auth", fake.Failure{Code: "THIRD_PARTY_AUTH_ERROR"}, vendors.Rejected, CodeThirdPartyAuthError, 401, 0},
		{"unauthenticated", fake.Failure{Code: "UNAUTHENTICATED"}, vendors.Auth, PlatformUnauthenticated, 401, 0},
		{"permission denied", fake.Failure{Code: "PERMISSION_DENIED"}, vendors.Auth, PlatformPermissionDenied, 403, 0},
	}
	f, s, _ := setup(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.Len()
			f.FailNext(1, tc.fl)
			start := time.Now()
			r := sendOneToken(t, s, "dev_1")
			var ve *vendors.Error
			if !errors.As(r.Err, &ve) {
				t.Fatalf("err = %v, want *vendors.Error", r.Err)
			}
			if ve.Kind != tc.kind || ve.Code != tc.code || ve.Status != tc.status || ve.RetryAfter != tc.retryAfter || ve.Vendor != vendors.FCM {
				t.Errorf("got %+v, want kind %s code %s status %d retry-after %s", ve, tc.kind, tc.code, tc.status, tc.retryAfter)
			}
			if r.MessageID != "" {
				t.Errorf("MessageID = %q on failure", r.MessageID)
			}
			// The SDK must not retry on its own: the dispatcher owns retries.
			if got := f.Len() - before; got != 1 {
				t.Errorf("fake saw %d attempts, want exactly 1", got)
			}
			if d := time.Since(start); d > 900*time.Millisecond {
				t.Errorf("send took %s: the SDK backed off", d)
			}
		})
	}
}

func TestUnauthenticatedDropsCachedToken(t *testing.T) {
	f, s, clk := setupTTL(t, 2*time.Minute)
	if r := sendOneToken(t, s, "dev_1"); r.Err != nil {
		t.Fatal(r.Err)
	}
	// The fake's clock passes the token's expiry while ours has not: FCM
	// answers 401 and the adapter must fetch a new token next time.
	clk.Add(3 * time.Minute)
	r := sendOneToken(t, s, "dev_1")
	if vendors.KindOf(r.Err) != vendors.Auth || vendors.CodeOf(r.Err) != PlatformUnauthenticated {
		t.Fatalf("expired token: %v, want auth UNAUTHENTICATED", r.Err)
	}
	if r := sendOneToken(t, s, "dev_1"); r.Err != nil {
		t.Fatalf("after refresh: %v", r.Err)
	}
	if got := f.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
}

func TestTokenEndpointRefusal(t *testing.T) {
	f := fake.NewFCM(fake.FCMOptions{})
	defer f.Close()
	// A service account the fake does not know: Google's invalid_grant.
	sa, err := testcreds.NewServiceAccount(testProject, f.TokenURI())
	if err != nil {
		t.Fatal(err)
	}
	s := newSender(t, sa.JSON, f.Endpoint())
	r := sendOneToken(t, s, "dev_1")
	var ve *vendors.Error
	if !errors.As(r.Err, &ve) || ve.Kind != vendors.Auth || ve.Code != "invalid_grant" || ve.Status != 400 {
		t.Fatalf("err = %#v, want auth invalid_grant 400", r.Err)
	}
	if strings.Contains(ve.Error(), "PRIVATE KEY") {
		t.Error("error mentions the private key")
	}
	if f.TokenRequests() != 1 || f.Len() != 0 {
		t.Errorf("token requests %d, sends %d; want 1 and 0 (no SDK retry)", f.TokenRequests(), f.Len())
	}
}

func TestTransportFailureIsRetryableAndNotRetried(t *testing.T) {
	f, _, _ := setup(t)
	sa, err := f.NewServiceAccount("other-project")
	if err != nil {
		t.Fatal(err)
	}
	dead := fake.NewFCM(fake.FCMOptions{})
	deadURL := dead.URL()
	dead.Close()
	ep := f.Endpoint()
	ep.URL = deadURL
	s := newSender(t, sa.JSON, ep)
	start := time.Now()
	r := sendOneToken(t, s, "dev_1")
	if vendors.KindOf(r.Err) != vendors.Retryable {
		t.Fatalf("err = %v, want retryable", r.Err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("send took %s: the SDK retried", d)
	}
}

func TestCancelledContext(t *testing.T) {
	_, s, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := s.Send(ctx, testNotification(), []string{"dev_1"})[0]
	if !errors.Is(r.Err, context.Canceled) || vendors.KindOf(r.Err) != vendors.Retryable {
		t.Fatalf("err = %v, want context.Canceled (retryable)", r.Err)
	}
}

func TestLongTextAcceptedByFake(t *testing.T) {
	f, s, _ := setup(t)
	n := testNotification()
	n.Body = strings.Repeat("长", 3000)
	n.Ext = strings.Repeat("e", 2000)
	if r := s.Send(context.Background(), n, []string{"dev_1"})[0]; r.Err != nil {
		t.Fatalf("shrunk message refused: %v", r.Err)
	}
	body := f.Requests()[0].Body
	if !strings.Contains(string(body), `"ext":"`+n.Ext+`"`) || len(body) > PayloadLimit+200 {
		t.Errorf("sent %d bytes, ext kept: %v", len(body), strings.Contains(string(body), n.Ext))
	}
}

func TestExtTooLargeSendsNothing(t *testing.T) {
	f, s, _ := setup(t)
	n := testNotification()
	n.Ext = strings.Repeat("e", PayloadLimit)
	rs := s.Send(context.Background(), n, []string{"dev_1"})
	if !errors.Is(rs[0].Err, vendors.ErrExtTooLarge) && !strings.Contains(rs[0].Err.Error(), vendors.ErrExtTooLarge.Error()) {
		t.Fatalf("err = %v, want ErrExtTooLarge", rs[0].Err)
	}
	if vendors.KindOf(rs[0].Err) != vendors.Rejected || f.Len() != 0 {
		t.Errorf("kind %s, %d sends; want rejected and none", vendors.KindOf(rs[0].Err), f.Len())
	}
}

func TestLegacyServerKeyRefused(t *testing.T) {
	key := "AAAAa1b2c3d:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx"
	cred := &vendors.Credential{ID: 3, Vendor: vendors.FCM, Secrets: map[string][]byte{vendors.SecretServiceAccount: []byte(key)}}
	_, err := New(cred, vendors.Endpoint{})
	if !errors.Is(err, ErrLegacyServerKey) {
		t.Fatalf("err = %v, want ErrLegacyServerKey", err)
	}
	msg := err.Error()
	for _, want := range []string{"2024", "service-account JSON", "legacy"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "APA91b") {
		t.Errorf("error %q quotes the key", msg)
	}
}

func TestNewRequiresServiceAccount(t *testing.T) {
	_, err := New(&vendors.Credential{ID: 4, Vendor: vendors.FCM}, vendors.Endpoint{})
	if err == nil || !strings.Contains(err.Error(), vendors.SecretServiceAccount) {
		t.Fatalf("err = %v, want service_account is required", err)
	}
}

func TestDryRunDefaultsAndRedaction(t *testing.T) {
	sa, err := testcreds.NewServiceAccount("prod-project", "https://oauth2.googleapis.com/token")
	if err != nil {
		t.Fatal(err)
	}
	s := newSender(t, sa.JSON, vendors.Endpoint{})
	reqs, err := s.DryRun(context.Background(), testNotification(), []string{"dev_1", "dev_2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	r := reqs[1]
	if r.Method != "POST" || r.URL != "https://fcm.googleapis.com/v1/projects/prod-project/messages:send" {
		t.Errorf("request line %s %s", r.Method, r.URL)
	}
	if r.Header["Authorization"] != vendors.Redacted || r.Header["X-Goog-Api-Format-Version"] != "2" || r.Header["Content-Type"] != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	if !strings.Contains(r.Body, `"token":"dev_2"`) || strings.Contains(r.Body, "PRIVATE KEY") {
		t.Errorf("body %s", r.Body)
	}
}

// A test push that asks for it sees FCM's raw answer to messages:send —
// and never the token endpoint's, whose body is an access token.
func TestRawAnswerOfSendOnly(t *testing.T) {
	_, s, _ := setup(t)
	ctx, answers := vendors.WithAnswerCapture(context.Background())
	rs := s.Send(ctx, testNotification(), []string{"dev_1:APA91b"})
	if rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	got := answers()
	if len(got) != 1 || got[0].Status != 200 || !strings.Contains(got[0].Body, "projects/demo-project/messages/") {
		t.Fatalf("answers %+v, want the one 200 of messages:send", got)
	}
	if strings.Contains(got[0].Body, "access_token") {
		t.Fatal("the token endpoint's answer was captured")
	}
}
