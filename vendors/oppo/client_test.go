package oppo

import (
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	testAppKey = "oppo-key"
	testSecret = "oppo-master"
)

// testClock is a settable clock; the adapter and the fake each get one so a
// test can move the vendor's time without moving ours.
type testClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func testStart() time.Time               { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
func tokenN(i int) string                { return fake.OPPOToken(i) }
func newTestCred(fields map[string]string) *vendors.Credential {
	f := map[string]string{vendors.FieldAppKey: testAppKey, vendors.FieldChannelID: "im"}
	for k, v := range fields {
		f[k] = v
	}
	return &vendors.Credential{ID: 7, Vendor: vendors.OPPO, Fields: f,
		Secrets: map[string][]byte{vendors.SecretMasterSecret: []byte(testSecret)}}
}

// newFixture starts a fake, registers the test app and builds a Sender on
// it; both clocks start at testStart.
func newFixture(t *testing.T) (*fake.OPPO, *Sender, *testClock) {
	t.Helper()
	vendorClock := newClock(testStart())
	f := fake.NewOPPO(fake.OPPOOptions{Now: vendorClock.Now})
	t.Cleanup(f.Close)
	f.AddApp(testAppKey, testSecret, "im", "calls")
	s := newSender(t, f, newTestCred(nil))
	return f, s, vendorClock
}

func newSender(t *testing.T, f *fake.OPPO, cred *vendors.Credential) *Sender {
	t.Helper()
	snd, err := New(cred, vendors.Endpoint{URL: f.URL(), Client: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	s := snd.(*Sender)
	clk := newClock(testStart())
	s.now = clk.Now
	return s
}

func testNotification() *vendors.Notification {
	return &vendors.Notification{ID: "c2c-1", Title: "Denny", Body: "See you at 8", Ext: `{"conv":"c2c_denny"}`,
		ExpireAt: testStart().Add(24 * time.Hour)}
}

func paths(reqs []fake.Recorded) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Path
	}
	return out
}

func countPath(reqs []fake.Recorded, p string) int {
	n := 0
	for _, r := range reqs {
		if r.Path == p {
			n++
		}
	}
	return n
}

func TestSendUnicast(t *testing.T) {
	f, s, _ := newFixture(t)
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if len(rs) != 1 || rs[0].Err != nil || rs[0].MessageID == "" || rs[0].Token != tokenN(1) {
		t.Fatalf("results %+v", rs)
	}
	req := f.Requests()[1]
	form, _ := url.ParseQuery(string(req.Body))
	if req.Path != unicastPath || form.Get("auth_token") == "" || !strings.Contains(form.Get("message"), `"action_parameters":"{\"conv\":\"c2c_denny\"}"`) {
		t.Errorf("request %s %s", req.Path, req.Body)
	}
}

func TestSendBatchPartialFailures(t *testing.T) {
	f, s, _ := newFixture(t)
	f.FailToken(tokenN(2), fake.Failure{Code: "10000"})
	f.FailToken(tokenN(3), fake.Failure{Code: "-1"})
	tokens := []string{tokenN(1), tokenN(2), tokenN(3), "malformed", tokenN(5)}
	rs := s.Send(t.Context(), testNotification(), tokens)
	want := []vendors.Kind{vendors.OK, vendors.InvalidToken, vendors.Retryable, vendors.InvalidToken, vendors.OK}
	if len(rs) != len(tokens) {
		t.Fatalf("%d results for %d tokens", len(rs), len(tokens))
	}
	for i, r := range rs {
		if r.Token != tokens[i] || r.Kind() != want[i] {
			t.Errorf("result %d: token %q kind %v (%v), want %q %v", i, r.Token, r.Kind(), r.Err, tokens[i], want[i])
		}
	}
	if vendors.CodeOf(rs[1].Err) != "10000" || rs[0].MessageID == "" {
		t.Errorf("code %q, message id %q", vendors.CodeOf(rs[1].Err), rs[0].MessageID)
	}
	reqs := f.Requests()
	if countPath(reqs, unicastBatchPath) != 1 || len(reqs[1].Tokens) != len(tokens) {
		t.Errorf("requests %v", paths(reqs))
	}
}

func TestBatchOfThousand(t *testing.T) {
	f, s, _ := newFixture(t)
	tokens := make([]string, MaxBatch)
	for i := range tokens {
		tokens[i] = tokenN(i)
	}
	rs := s.Send(t.Context(), testNotification(), tokens)
	for i, r := range rs {
		if r.Err != nil || r.Token != tokens[i] {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if n := countPath(f.Requests(), unicastBatchPath); n != 1 {
		t.Errorf("%d batch requests, want 1", n)
	}
	over := append(tokens, tokenN(MaxBatch))
	if rs := s.Send(t.Context(), testNotification(), over); len(rs) != len(over) || rs[0].Kind() != vendors.Rejected {
		t.Errorf("1001 tokens: %d results, kind %v", len(rs), rs[0].Kind())
	}
}

func TestConcurrentSendsShareOneAuth(t *testing.T) {
	f, s, _ := newFixture(t)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Send(t.Context(), testNotification(), []string{tokenN(i)})[0].Err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("send %d: %v", i, err)
		}
	}
	if n := f.TokenRequests(); n != 1 {
		t.Errorf("%d auth calls, want 1", n)
	}
}

func TestAuthErrorRefreshesOnceAndResends(t *testing.T) {
	f, s, _ := newFixture(t)
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	f.Reset()
	f.FailNext(1, fake.Failure{Code: "11"})
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if rs[0].Err != nil {
		t.Fatalf("after refresh: %v", rs[0].Err)
	}
	reqs := f.Requests()
	if got := paths(reqs); len(got) != 3 || got[0] != unicastPath || got[1] != authPath || got[2] != unicastPath {
		t.Errorf("requests %v, want unicast, auth, unicast", got)
	}
	if f.TokenRequests() != 2 {
		t.Errorf("%d auth calls, want 2", f.TokenRequests())
	}
	// A second auth answer after the refresh is final: classified, not retried.
	f.Reset()
	f.FailNext(2, fake.Failure{Code: "29"})
	rs = s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if rs[0].Kind() != vendors.Auth || vendors.CodeOf(rs[0].Err) != "29" || f.Len() != 3 {
		t.Errorf("twice auth: %v after %v", rs[0].Err, paths(f.Requests()))
	}
}

func TestVendorSideExpiryRefreshes(t *testing.T) {
	f, s, _ := newFixture(t)
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	// The vendor drops every token it issued; ours still looks valid to us,
	// so only the vendor's 11 reveals it.
	f.ExpireTokens()
	f.Reset()
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	got := paths(f.Requests())
	if rs[0].Err != nil || f.TokenRequests() != 2 || len(got) != 3 || got[1] != authPath {
		t.Errorf("err %v, %d auth calls, requests %v", rs[0].Err, f.TokenRequests(), got)
	}
	if first := f.Requests()[0]; first.Status != 200 || !strings.Contains(string(first.Body), "auth_token=") {
		t.Errorf("first request %+v", first)
	}
}

// TestTokenRefreshedAheadOfExpiry moves both clocks close to the end of the
// token's 24 hours: the sender refreshes before the vendor would refuse.
func TestTokenRefreshedAheadOfExpiry(t *testing.T) {
	f, s, vendorClock := newFixture(t)
	s.now = vendorClock.Now
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	vendorClock.Add(22 * time.Hour)
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if f.TokenRequests() != 1 {
		t.Fatalf("refreshed after 22 h: %d auth calls", f.TokenRequests())
	}
	vendorClock.Add(90 * time.Minute)
	f.Reset()
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if got := paths(f.Requests()); rs[0].Err != nil || f.TokenRequests() != 2 || len(got) != 2 || got[0] != authPath {
		t.Errorf("at 23.5 h: err %v, requests %v", rs[0].Err, got)
	}
}

func TestDailyQuotaWaitsForChinaMidnight(t *testing.T) {
	f, s, _ := newFixture(t)
	// 10:00 UTC is 18:00 in China: the quota resets in 6 hours.
	f.FailNext(1, fake.Failure{Code: "33"})
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1), tokenN(2)})
	for _, r := range rs {
		if r.Kind() != vendors.RateLimited || vendors.RetryAfterOf(r.Err) != 6*time.Hour || vendors.CodeOf(r.Err) != "33" {
			t.Errorf("quota: %v", r.Err)
		}
	}
}

func TestFlowControlIsRateLimited(t *testing.T) {
	f, s, _ := newFixture(t)
	f.FailNext(1, fake.Failure{Code: "-2", RetryAfter: 30 * time.Second})
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if rs[0].Kind() != vendors.RateLimited || vendors.RetryAfterOf(rs[0].Err) != 30*time.Second {
		t.Errorf("flow control: %v", rs[0].Err)
	}
}

func TestMissingChannelIsCountedNotFailed(t *testing.T) {
	f, _, _ := newFixture(t)
	s := newSender(t, f, newTestCred(map[string]string{vendors.FieldChannelID: ""}))
	var hooked atomic.Int64
	s.OnMissingChannel(func(n int) { hooked.Add(int64(n)) })
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1), tokenN(2)})
	if rs[0].Err != nil || rs[1].Err != nil {
		t.Fatalf("results %+v", rs)
	}
	n := testNotification()
	n.Android.ChannelID = "calls"
	s.Send(t.Context(), n, []string{tokenN(3)})
	if s.MissingChannel() != 2 || hooked.Load() != 2 || f.NoChannel() != 2 {
		t.Errorf("MissingChannel %d, hook %d, fake %d; want 2", s.MissingChannel(), hooked.Load(), f.NoChannel())
	}
}

func TestDryRunShowsTheSignedRequestWithoutSending(t *testing.T) {
	f, s, _ := newFixture(t)
	tokens := []string{tokenN(1), tokenN(2)}
	reqs, err := s.DryRun(t.Context(), testNotification(), tokens)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("DryRun: %v %v", reqs, err)
	}
	if f.Len() != 0 {
		t.Fatalf("DryRun reached the vendor: %v", paths(f.Requests()))
	}
	dr := reqs[0]
	if dr.URL != f.URL()+unicastBatchPath || dr.Method != "POST" || !strings.HasPrefix(dr.Body, "auth_token="+vendors.Redacted+"&") {
		t.Errorf("dry run %+v", dr)
	}
	if strings.Contains(dr.Body, testSecret) {
		t.Error("dry run shows the master secret")
	}
	s.Send(t.Context(), testNotification(), tokens)
	sent, _ := url.ParseQuery(string(f.Requests()[1].Body))
	shown, _ := url.ParseQuery(strings.TrimPrefix(dr.Body, "auth_token="+vendors.Redacted+"&"))
	if sent.Get("messages") != shown.Get("messages") {
		t.Errorf("dry run body differs from the sent one:\n%s\n%s", shown.Get("messages"), sent.Get("messages"))
	}
}

func TestNewValidatesCredential(t *testing.T) {
	if _, err := New(&vendors.Credential{Vendor: vendors.OPPO, Fields: map[string]string{vendors.FieldAppKey: "k"}}, vendors.Endpoint{}); err == nil {
		t.Error("no master_secret accepted")
	}
	cred := newTestCred(nil)
	cred.Click = vendors.Click{Action: vendors.ClickURL, Target: "ftp://x"}
	if _, err := New(cred, vendors.Endpoint{}); err == nil {
		t.Error("bad click accepted")
	}
	s, err := New(newTestCred(nil), vendors.Endpoint{})
	if err != nil || s.(*Sender).sendURL != DefaultURL || s.(*Sender).authURL != DefaultURL+authPath || s.MaxBatch() != 1000 || s.Vendor() != vendors.OPPO {
		t.Errorf("defaults: %+v %v", s, err)
	}
}
