package harmony

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
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const testProject = "101000000000000001"

// testClock is a clock the test moves; the fake and the client share it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fixture is a fake with one registered service account.
type fixture struct {
	f   *fake.Harmony
	acc *testcreds.HarmonyAccount
}

func newFixture(t *testing.T, opts fake.HarmonyOptions) *fixture {
	t.Helper()
	f := fake.NewHarmony(opts)
	t.Cleanup(f.Close)
	acc, err := f.NewAccount(testProject)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{f: f, acc: acc}
}

func (x *fixture) cred() *vendors.Credential {
	return &vendors.Credential{ID: 21, Vendor: Harmony,
		Fields: map[string]string{vendors.FieldProjectID: x.acc.ProjectID, vendors.FieldKeyID: x.acc.KeyID,
			FieldSubAccount: x.acc.SubAccount},
		Secrets: map[string][]byte{SecretPrivateKey: x.acc.PEM}}
}

func (x *fixture) sender(t *testing.T, cred *vendors.Credential, now func() time.Time) *Sender {
	t.Helper()
	s, err := New(cred, x.f.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	c := s.(*Sender)
	if now != nil {
		c.Now = now
	}
	return c
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

func TestSendIsVerifiedByTheFake(t *testing.T) {
	x := newFixture(t, fake.HarmonyOptions{})
	s := x.sender(t, x.cred(), nil)
	sendOK(t, s, "tokA", "tokB")
	reqs := x.f.Requests()
	if len(reqs) != 1 || reqs[0].Status != http.StatusOK || reqs[0].Path != "/v3/"+testProject+"/messages:send" {
		t.Fatalf("requests %+v", reqs)
	}
	h := reqs[0].Header
	if h.Get("push-type") != "0" || h.Get("Content-Type") != contentType || !strings.HasPrefix(h.Get("Authorization"), "Bearer ey") {
		t.Errorf("headers %v", h)
	}
	if strings.Contains(h.Get("Authorization"), string(x.acc.PEM)) {
		t.Error("the key is in the header")
	}
}

func TestJWTIsReusedThenRenewedAheadOfExpiry(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	x := newFixture(t, fake.HarmonyOptions{Now: clk.Now})
	s := x.sender(t, x.cred(), clk.Now)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); sendOK(t, s, fmt.Sprintf("tok%d", i)) }()
	}
	wg.Wait()
	clk.Add(50 * time.Minute)
	sendOK(t, s, "a")
	clk.Add(9 * time.Minute) // 59 min: inside the refresh margin, before expiry
	sendOK(t, s, "a")
	seen := map[string]bool{}
	for _, r := range x.f.Requests() {
		if r.Status != http.StatusOK {
			t.Fatalf("a request was refused: %d", r.Status)
		}
		seen[r.Header.Get("Authorization")] = true
	}
	if len(seen) != 2 {
		t.Fatalf("%d distinct JWTs for 52 sends over 59 minutes, want 2 (one renewal)", len(seen))
	}
}

func TestAuthRefusalMintsOnceThenReports(t *testing.T) {
	x := newFixture(t, fake.HarmonyOptions{})
	s := x.sender(t, x.cred(), nil)
	x.f.FailNext(1, fake.Failure{Code: fake.HarmonyJWTExpired})
	sendOK(t, s, "a")
	reqs := x.f.Requests()
	if len(reqs) != 2 || reqs[0].Status != http.StatusUnauthorized {
		t.Fatalf("after one refusal: %d requests", len(reqs))
	}
	x.f.Reset()
	x.f.FailNext(5, fake.Failure{Code: fake.HarmonyAuthError})
	rs := s.Send(context.Background(), testNotification(), []string{"a", "b"})
	for _, r := range rs {
		if r.Kind() != vendors.Auth || vendors.CodeOf(r.Err) != fake.HarmonyAuthError {
			t.Fatalf("%s: %v, want auth 80200001", r.Token, r.Err)
		}
	}
	if x.f.Len() != 2 {
		t.Fatalf("%d sends for a persistent auth refusal, want 2 (one resend)", x.f.Len())
	}
}

// TestFakeRefusesForeignJWTs: a key the fake does not trust, a key of
// another project and a wrong sub_account are all 80200001.
func TestFakeRefusesForeignJWTs(t *testing.T) {
	x := newFixture(t, fake.HarmonyOptions{})
	other, err := testcreds.NewHarmonyAccount(testProject)
	if err != nil {
		t.Fatal(err)
	}
	untrusted := x.cred()
	untrusted.Fields[vendors.FieldKeyID] = other.KeyID
	untrusted.Secrets[SecretPrivateKey] = other.PEM
	wrongIss := x.cred()
	wrongIss.Fields[FieldSubAccount] = "999"
	forged := x.cred()
	forged.Secrets[SecretPrivateKey] = other.PEM // the right kid, another key
	x.f.AddKey("202000000000000002", other.KeyID+"b", other.SubAccount, &other.Key.PublicKey)
	otherProject := x.cred()
	otherProject.Fields[vendors.FieldKeyID] = other.KeyID + "b"
	otherProject.Fields[FieldSubAccount] = other.SubAccount
	otherProject.Secrets[SecretPrivateKey] = other.PEM
	for name, cred := range map[string]*vendors.Credential{"untrusted key": untrusted, "wrong iss": wrongIss,
		"forged signature": forged, "another project's key": otherProject} {
		rs := x.sender(t, cred, nil).Send(context.Background(), testNotification(), []string{"a"})
		if rs[0].Kind() != vendors.Auth || vendors.CodeOf(rs[0].Err) != fake.HarmonyAuthError {
			t.Errorf("%s: %v, want auth 80200001", name, rs[0].Err)
		}
	}
}

func TestPartialAndWholeFailures(t *testing.T) {
	x := newFixture(t, fake.HarmonyOptions{})
	s := x.sender(t, x.cred(), nil)
	x.f.FailToken("b", fake.Failure{Code: "noRight"})
	x.f.FailToken("d", fake.Failure{Code: "noPushTypeRight"})
	rs := s.Send(context.Background(), testNotification(), []string{"a", "b", "c", "d", "bad token!"})
	for i, want := range []vendors.Kind{vendors.OK, vendors.InvalidToken, vendors.OK, vendors.Rejected, vendors.InvalidToken} {
		if rs[i].Kind() != want {
			t.Fatalf("%s is %s (%v), want %s", rs[i].Token, rs[i].Kind(), rs[i].Err, want)
		}
	}
	rs = s.Send(context.Background(), testNotification(), []string{"b", "bad token!"})
	if rs[0].Kind() != vendors.InvalidToken || vendors.CodeOf(rs[0].Err) != "noRight" || vendors.CodeOf(rs[1].Err) != "tokenFormatError" {
		t.Fatalf("all invalid: %v / %v", rs[0].Err, rs[1].Err)
	}
	x.f.FailNext(1, fake.Failure{RetryAfter: 3 * time.Second})
	if rs := s.Send(context.Background(), testNotification(), []string{"a"}); rs[0].Kind() != vendors.RateLimited ||
		vendors.RetryAfterOf(rs[0].Err) != 3*time.Second {
		t.Fatalf("503: %v", rs[0].Err)
	}
}

func TestDevelopmentCertificateSendsTestMessages(t *testing.T) {
	x := newFixture(t, fake.HarmonyOptions{})
	cred := x.cred()
	cred.Fields[vendors.FieldEnv] = vendors.EnvDevelopment
	s := x.sender(t, cred, nil)
	if s.MaxBatch() != maxTestBatch {
		t.Fatalf("MaxBatch %d, want %d", s.MaxBatch(), maxTestBatch)
	}
	tokens := make([]string, maxTestBatch)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("tok%d", i)
	}
	sendOK(t, s, tokens...)
	if x.f.TestMessages(testProject) != 1 || !strings.Contains(string(x.f.Requests()[0].Body), `"testMessage":true`) {
		t.Fatalf("test messages %d, body %s", x.f.TestMessages(testProject), x.f.Requests()[0].Body)
	}
	if rs := s.Send(context.Background(), testNotification(), append(tokens, "one-too-many")); rs[0].Kind() != vendors.Rejected || x.f.Len() != 1 {
		t.Fatalf("11 test tokens: %v, %d sends", rs[0].Err, x.f.Len())
	}
}

func TestFullBatchWithLongTextIsAcceptedByTheFake(t *testing.T) {
	x := newFixture(t, fake.HarmonyOptions{})
	s := x.sender(t, x.cred(), nil)
	tokens := make([]string, s.MaxBatch())
	for i := range tokens {
		tokens[i] = fmt.Sprintf("MAMzLg%0124d", i) // real tokens are ~130 characters
	}
	n := testNotification()
	n.Body = strings.Repeat("很长的消息", 400)
	n.Ext = strings.Repeat("e", Descriptor().Ext.Limit)
	rs := s.Send(context.Background(), n, tokens)
	if len(rs) != len(tokens) || rs[999].Err != nil {
		t.Fatalf("%d results, last %v", len(rs), rs[len(rs)-1].Err)
	}
	if rs := s.Send(context.Background(), n, append(tokens, "one-too-many")); rs[0].Kind() != vendors.Rejected || x.f.Len() != 1 {
		t.Fatalf("1001 tokens: %v, %d sends", rs[0].Err, x.f.Len())
	}
}

func TestEveryGoldenInputIsAcceptedByTheFake(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.json")
	if len(ins) == 0 {
		t.Fatal("no golden inputs")
	}
	x := newFixture(t, fake.HarmonyOptions{})
	for _, in := range ins {
		var g goldenInput
		golden.ReadJSON(t, in, &g)
		x.f.AddKey(g.Credential.Field(vendors.FieldProjectID), g.Credential.Field(vendors.FieldKeyID),
			g.Credential.Field(FieldSubAccount), &x.acc.Key.PublicKey)
		g.Credential.Secrets = map[string][]byte{SecretPrivateKey: x.acc.PEM}
		g.Notification.ExpireAt = time.Time{} // the golden clock is in the past
		if rs := x.sender(t, &g.Credential, nil).Send(context.Background(), &g.Notification, g.Tokens); rs[0].Err != nil {
			t.Errorf("%s: %v", in, rs[0].Err)
		}
	}
}

func TestDryRunNeedsNoJWTAndRedacts(t *testing.T) {
	x := newFixture(t, fake.HarmonyOptions{})
	s := x.sender(t, x.cred(), nil)
	reqs, err := s.DryRun(context.Background(), testNotification(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || x.f.Len() != 0 {
		t.Fatalf("%d requests shown, %d sends", len(reqs), x.f.Len())
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.URL != x.f.URL()+"/v3/"+testProject+"/messages:send" {
		t.Errorf("request line %s %s", r.Method, r.URL)
	}
	if r.Header["Authorization"] != vendors.Redacted || r.Header["Push-Type"] != "0" {
		t.Errorf("headers %v", r.Header)
	}
	want, _ := buildBody(*testNotification(), s.set, []string{"a", "b"}, s.Now())
	if r.Body != string(want) {
		t.Errorf("body %s\nwant %s", r.Body, want)
	}
}

func TestNewValidatesTheCertificate(t *testing.T) {
	x := newFixture(t, fake.HarmonyOptions{})
	s, err := New(x.cred(), vendors.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if c := s.(*Sender); c.sendURL() != SendHost+"/v3/"+testProject+"/messages:send" || c.MaxBatch() != maxBatch {
		t.Errorf("default URL %s, batch %d", c.sendURL(), c.MaxBatch())
	}
	bad := map[string]func(*vendors.Credential){
		"no project":  func(c *vendors.Credential) { delete(c.Fields, vendors.FieldProjectID) },
		"no key id":   func(c *vendors.Credential) { delete(c.Fields, vendors.FieldKeyID) },
		"no account":  func(c *vendors.Credential) { delete(c.Fields, FieldSubAccount) },
		"no key":      func(c *vendors.Credential) { delete(c.Secrets, SecretPrivateKey) },
		"garbage key": func(c *vendors.Credential) { c.Secrets[SecretPrivateKey] = []byte("secret-garbage-1234") },
		"url click": func(c *vendors.Credential) {
			c.Click = vendors.Click{Action: vendors.ClickURL, Target: "https://x.example"}
		},
		"slash in id": func(c *vendors.Credential) { c.Fields[vendors.FieldProjectID] = "1/../2" },
	}
	for name, mutate := range bad {
		c := x.cred()
		mutate(c)
		_, err := New(c, vendors.Endpoint{})
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "secret-garbage") || strings.Contains(err.Error(), "MII") {
			t.Errorf("%s: error quotes the key: %v", name, err)
		}
	}
}
