package huawei

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/golden"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	testAppID  = "104000001"
	testSecret = "hw-app-secret-0123456789"
)

// testClock is a clock the test moves; the fake and the client share it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func testCred() *vendors.Credential {
	return &vendors.Credential{ID: 9, Vendor: vendors.Huawei,
		Fields:  map[string]string{vendors.FieldAppID: testAppID, vendors.FieldBadgeClass: "com.example.Main"},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte(testSecret)}}
}

func newFake(t *testing.T, opts fake.HuaweiOptions) *fake.Huawei {
	t.Helper()
	f := fake.NewHuawei(opts)
	t.Cleanup(f.Close)
	f.AddApp(testAppID, testSecret)
	return f
}

func newSender(t *testing.T, f *fake.Huawei, cred *vendors.Credential) *Sender {
	t.Helper()
	s, err := New(cred, vendors.Endpoint{URL: f.URL(), AuthURL: f.URL(), Client: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sender)
}

func testNotification() *vendors.Notification {
	return &vendors.Notification{ID: "m1", Title: "Denny", Body: "See you at 8", Ext: `{"k":1}`, Badge: vendors.IntPtr(2)}
}

func sendOK(t *testing.T, s vendors.Sender, tokens ...string) []vendors.Result {
	t.Helper()
	rs := s.Send(context.Background(), testNotification(), tokens)
	for _, r := range rs {
		if r.Err != nil || r.MessageID == "" {
			t.Fatalf("%s: %v (message id %q)", r.Token, r.Err, r.MessageID)
		}
	}
	return rs
}

func TestConcurrentSendsShareOneAccessToken(t *testing.T) {
	f := newFake(t, fake.HuaweiOptions{})
	s := newSender(t, f, testCred())
	var wg sync.WaitGroup
	results := make([][]vendors.Result, 200)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.Send(context.Background(), testNotification(), []string{fmt.Sprintf("tok-%d", i)})
		}()
	}
	wg.Wait()
	for i, rs := range results {
		if len(rs) != 1 || rs[0].Err != nil {
			t.Fatalf("send %d: %+v", i, rs)
		}
	}
	if n := f.TokenRequests(); n != 1 {
		t.Fatalf("%d OAuth calls for 200 concurrent sends, want 1", n)
	}
	if n := f.Len(); n != 200 {
		t.Fatalf("%d send requests, want 200", n)
	}
}

func TestExpiredTokenIsRefreshedAndResentExactlyOnce(t *testing.T) {
	f := newFake(t, fake.HuaweiOptions{})
	s := newSender(t, f, testCred())
	sendOK(t, s, "a")
	f.ExpireTokens()
	sendOK(t, s, "a")
	if n := f.TokenRequests(); n != 2 {
		t.Fatalf("%d OAuth calls, want 2 (one refresh)", n)
	}
	reqs := f.Requests()
	want := []int{http.StatusOK, http.StatusUnauthorized, http.StatusOK}
	if len(reqs) != len(want) {
		t.Fatalf("%d send requests, want %d", len(reqs), len(want))
	}
	for i, r := range reqs {
		if r.Status != want[i] {
			t.Errorf("request %d: status %d, want %d", i, r.Status, want[i])
		}
	}
	if reqs[1].Header.Get("Authorization") == reqs[2].Header.Get("Authorization") {
		t.Error("the resend used the expired token")
	}
}

func TestAuthRefusalIsRetriedOnceThenReported(t *testing.T) {
	f := newFake(t, fake.HuaweiOptions{})
	s := newSender(t, f, testCred())
	f.FailNext(1, fake.Failure{Code: fake.HuaweiTokenExpired})
	sendOK(t, s, "a")
	if f.Len() != 2 || f.TokenRequests() != 2 {
		t.Fatalf("after one refusal: %d sends, %d OAuth calls; want 2, 2", f.Len(), f.TokenRequests())
	}
	f.Reset()
	f.FailNext(5, fake.Failure{Code: fake.HuaweiAuthError})
	rs := s.Send(context.Background(), testNotification(), []string{"a", "b"})
	for _, r := range rs {
		if r.Kind() != vendors.Auth || vendors.CodeOf(r.Err) != fake.HuaweiAuthError {
			t.Fatalf("%s: %v, want auth 80200001", r.Token, r.Err)
		}
	}
	if f.Len() != 2 {
		t.Fatalf("%d sends for a persistent auth refusal, want 2 (one resend)", f.Len())
	}
}

func TestTokenIsRefreshedAheadOfExpiry(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	f := newFake(t, fake.HuaweiOptions{Now: clk.Now})
	s := newSender(t, f, testCred())
	s.Now = clk.Now
	sendOK(t, s, "a")
	clk.Add(50 * time.Minute)
	sendOK(t, s, "a")
	if n := f.TokenRequests(); n != 1 {
		t.Fatalf("%d OAuth calls at 50 min, want 1", n)
	}
	clk.Add(9 * time.Minute) // 59 min: inside the refresh margin, before expiry
	sendOK(t, s, "a")
	if n := f.TokenRequests(); n != 2 {
		t.Fatalf("%d OAuth calls at 59 min, want 2", n)
	}
	if f.Len() != 3 {
		t.Fatalf("%d sends, want 3 (no refusal)", f.Len())
	}
}

func TestWrongSecretIsAnAuthErrorWithoutASend(t *testing.T) {
	f := newFake(t, fake.HuaweiOptions{})
	cred := testCred()
	cred.Secrets[vendors.SecretAppSecret] = []byte("wrong-secret")
	rs := newSender(t, f, cred).Send(context.Background(), testNotification(), []string{"a"})
	if rs[0].Kind() != vendors.Auth || vendors.CodeOf(rs[0].Err) != "1101" {
		t.Fatalf("got %v, want auth 1101", rs[0].Err)
	}
	if f.Len() != 0 || f.TokenRequests() != 1 {
		t.Fatalf("%d sends, %d OAuth calls; want 0, 1", f.Len(), f.TokenRequests())
	}
	if strings.Contains(rs[0].Err.Error(), "wrong-secret") {
		t.Fatal("error leaks the secret")
	}
}

func TestPartialAndWholeFailures(t *testing.T) {
	for _, mapForm := range []bool{false, true} {
		f := newFake(t, fake.HuaweiOptions{IllegalTokensMap: mapForm})
		s := newSender(t, f, testCred())
		f.FailToken("b", fake.Failure{Code: fake.HuaweiAllInvalid})
		f.FailToken("d", fake.Failure{Code: fake.HuaweiAllInvalid})
		rs := s.Send(context.Background(), testNotification(), []string{"a", "b", "c", "d", "e"})
		for i, want := range []vendors.Kind{vendors.OK, vendors.InvalidToken, vendors.OK, vendors.InvalidToken, vendors.OK} {
			if rs[i].Kind() != want {
				t.Fatalf("map form %v: %s is %s (%v), want %s", mapForm, rs[i].Token, rs[i].Kind(), rs[i].Err, want)
			}
		}
		rs = s.Send(context.Background(), testNotification(), []string{"b", "d"})
		if rs[0].Kind() != vendors.InvalidToken || vendors.CodeOf(rs[0].Err) != fake.HuaweiAllInvalid {
			t.Fatalf("all invalid: %v", rs[0].Err)
		}
	}
	f := newFake(t, fake.HuaweiOptions{})
	s := newSender(t, f, testCred())
	f.FailNext(1, fake.Failure{Status: http.StatusServiceUnavailable})
	if rs := s.Send(context.Background(), testNotification(), []string{"a"}); rs[0].Kind() != vendors.Retryable {
		t.Fatalf("503: %v", rs[0].Err)
	}
}

func TestFullBatchWithLongTextIsAcceptedByTheFake(t *testing.T) {
	f := newFake(t, fake.HuaweiOptions{})
	s := newSender(t, f, testCred())
	tokens := make([]string, s.MaxBatch())
	for i := range tokens {
		tokens[i] = fmt.Sprintf("%0130d", i) // real tokens are ~130 characters
	}
	n := testNotification()
	n.Body = strings.Repeat("很长的消息", 400)
	rs := s.Send(context.Background(), n, tokens)
	if len(rs) != len(tokens) || rs[999].Err != nil {
		t.Fatalf("%d results, last %v", len(rs), rs[len(rs)-1].Err)
	}
	if rs := s.Send(context.Background(), n, append(tokens, "one-too-many")); rs[0].Kind() != vendors.Rejected || f.Len() != 1 {
		t.Fatalf("1001 tokens: %v, %d sends", rs[0].Err, f.Len())
	}
}

func TestEveryGoldenInputIsAcceptedByTheFake(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.json")
	for _, in := range ins {
		var g goldenInput
		golden.ReadJSON(t, in, &g)
		f := newFake(t, fake.HuaweiOptions{})
		f.AddApp(g.Credential.Field(vendors.FieldAppID), testSecret)
		g.Credential.Secrets = map[string][]byte{vendors.SecretAppSecret: []byte(testSecret)}
		s := newSender(t, f, &g.Credential)
		if rs := s.Send(context.Background(), &g.Notification, g.Tokens); rs[0].Err != nil {
			t.Errorf("%s: %v", in, rs[0].Err)
		}
	}
}

func TestDryRunNeedsNoTokenAndRedacts(t *testing.T) {
	f := newFake(t, fake.HuaweiOptions{})
	s := newSender(t, f, testCred())
	reqs, err := s.DryRun(context.Background(), testNotification(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || f.Len() != 0 || f.TokenRequests() != 0 {
		t.Fatalf("%d requests shown, %d sends, %d OAuth calls", len(reqs), f.Len(), f.TokenRequests())
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.URL != f.URL()+"/v1/"+testAppID+"/messages:send" {
		t.Errorf("request line %s %s", r.Method, r.URL)
	}
	if r.Header["Authorization"] != vendors.Redacted || r.Header["Content-Type"] != contentType {
		t.Errorf("headers %v", r.Header)
	}
	set, _ := settingsOf(testCred())
	want, _ := buildBody(*testNotification(), set, []string{"a", "b"}, s.Now())
	if r.Body != string(want) {
		t.Errorf("body %s\nwant %s", r.Body, want)
	}
}

func TestNewValidatesTheCertificate(t *testing.T) {
	s, err := New(testCred(), vendors.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if send, token := s.(*Sender).URLs(); send != SendHost+"/v1/"+testAppID+"/messages:send" ||
		len(token) != 1 || token[0] != AuthHost+"/oauth2/v3/token" {
		t.Errorf("default URLs %s %v", send, token)
	}
	bad := []func(*vendors.Credential){
		func(c *vendors.Credential) { delete(c.Fields, vendors.FieldAppID) },
		func(c *vendors.Credential) { delete(c.Secrets, vendors.SecretAppSecret) },
		func(c *vendors.Credential) {
			c.Click = vendors.Click{Action: vendors.ClickURL, Target: "http://plain.example"}
		},
	}
	for i, mod := range bad {
		cred := testCred()
		mod(cred)
		if _, err := New(cred, vendors.Endpoint{}); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}

// A test push that asks for it sees Huawei's raw answer to the push
// request — never the OAuth exchange's, whose body is an access token.
func TestRawAnswerOfPushOnly(t *testing.T) {
	f := newFake(t, fake.HuaweiOptions{})
	s := newSender(t, f, testCred())
	ctx, answers := vendors.WithAnswerCapture(context.Background())
	rs := s.Send(ctx, testNotification(), []string{"tok-1"})
	if rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	got := answers()
	if len(got) != 1 || got[0].Status != 200 || !strings.Contains(got[0].Body, "80000000") {
		t.Fatalf("answers %+v, want the one answer of the push request", got)
	}
	if strings.Contains(got[0].Body, "access_token") {
		t.Fatal("the OAuth answer was captured")
	}
}

// vendors.huawei.auth_endpoint is a full token URL or a base.
func TestAuthEndpointIsAFullURLOrABase(t *testing.T) {
	cases := []struct{ configured, want string }{
		{"", "https://oauth-login.cloud.huawei.com/oauth2/v3/token"},
		{"https://oauth.example", "https://oauth.example/oauth2/v3/token"},
		{"https://oauth.example/", "https://oauth.example/oauth2/v3/token"},
		{"https://oauth.example/oauth2/v3/token", "https://oauth.example/oauth2/v3/token"},
	}
	for _, c := range cases {
		s, err := New(testCred(), vendors.Endpoint{AuthURL: c.configured})
		if err != nil {
			t.Fatal(err)
		}
		if _, got := s.(*Sender).URLs(); len(got) != 1 || got[0] != c.want {
			t.Errorf("auth_endpoint %q: token URLs %v, want %s", c.configured, got, c.want)
		}
	}
}
