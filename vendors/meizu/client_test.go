package meizu

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	testAppID  = "100999"
	testSecret = "meizu-secret"
)

func testStart() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
func tokenN(i int) string  { return fake.MeizuToken(i) }
func tokensN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = tokenN(i)
	}
	return out
}

func newTestCred() *vendors.Credential {
	return &vendors.Credential{ID: 11, Vendor: vendors.Meizu,
		Fields:  map[string]string{vendors.FieldAppID: testAppID, vendors.FieldPackage: "com.example.im"},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte(testSecret)}}
}

func newFixture(t *testing.T) (*fake.Meizu, *Sender) {
	t.Helper()
	f := fake.NewMeizu(fake.MeizuOptions{Now: testStart})
	t.Cleanup(f.Close)
	f.AddApp(testAppID, testSecret)
	snd, err := New(newTestCred(), vendors.Endpoint{URL: f.URL(), Client: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	s := snd.(*Sender)
	s.now = testStart
	return f, s
}

func testNotification() *vendors.Notification {
	return &vendors.Notification{ID: "c2c-1", Title: "Denny", Body: "See you at 8", Ext: `{"conv":"c2c_denny"}`,
		ExpireAt: testStart().Add(24 * time.Hour)}
}

// chunks splits tokens as the dispatcher does, by MaxBatch.
func chunks(tokens []string, size int) [][]string {
	var out [][]string
	for len(tokens) > size {
		out = append(out, tokens[:size])
		tokens = tokens[size:]
	}
	return append(out, tokens)
}

func TestSendWithPerTargetFailures(t *testing.T) {
	f, s := newFixture(t)
	f.FailToken(tokenN(1), fake.Failure{Code: "110002"})
	f.FailToken(tokenN(2), fake.Failure{Code: "110010"}) // notification switch off
	f.FailToken(tokenN(3), fake.Failure{Code: "110011"})
	f.FailToken(tokenN(4), fake.Failure{Code: "513"})
	f.FailToken(tokenN(5), fake.Failure{Code: "520"})
	tokens := append(tokensN(7), "not a push id")
	rs := s.Send(t.Context(), testNotification(), tokens)
	want := []vendors.Kind{vendors.OK, vendors.InvalidToken, vendors.InvalidToken, vendors.RateLimited,
		vendors.Retryable, vendors.Rejected, vendors.OK, vendors.InvalidToken}
	if len(rs) != len(tokens) {
		t.Fatalf("%d results", len(rs))
	}
	for i, r := range rs {
		if r.Token != tokens[i] || r.Kind() != want[i] {
			t.Errorf("result %d: %q %v, want %v", i, r.Token, r.Err, want[i])
		}
	}
	if rs[0].MessageID == "" || vendors.CodeOf(rs[2].Err) != "110010" || vendors.RetryAfterOf(rs[3].Err) != 6*time.Hour {
		t.Errorf("msgId %q, code %q, quota wait %v", rs[0].MessageID, vendors.CodeOf(rs[2].Err), vendors.RetryAfterOf(rs[3].Err))
	}
	if vendors.CodeOf(rs[7].Err) != "110003" {
		t.Errorf("illegal pushId: %v", rs[7].Err)
	}
}

func TestBatchOf250IsThreeRequests(t *testing.T) {
	f, s := newFixture(t)
	tokens := tokensN(250)
	var results []vendors.Result
	for _, c := range chunks(tokens, s.MaxBatch()) {
		results = append(results, s.Send(t.Context(), testNotification(), c)...)
	}
	reqs := f.Requests()
	if len(reqs) != 3 || len(reqs[0].Tokens) != 100 || len(reqs[1].Tokens) != 100 || len(reqs[2].Tokens) != 50 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range results {
		if r.Err != nil || r.Token != tokens[i] {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if rs := s.Send(t.Context(), testNotification(), tokensN(101)); len(rs) != 101 || rs[0].Kind() != vendors.Rejected || f.Len() != 3 {
		t.Errorf("101 pushIds: %v", rs[0].Err)
	}
}

func TestTopLevelCodes(t *testing.T) {
	f, s := newFixture(t)
	cases := []struct {
		fl    fake.Failure
		kind  vendors.Kind
		after time.Duration
	}{
		{fake.Failure{Code: "110019"}, vendors.RateLimited, 6 * time.Hour}, // 18:00 in China
		{fake.Failure{Code: "110010"}, vendors.RateLimited, flowControlBackoff},
		{fake.Failure{Code: "110010", RetryAfter: time.Minute}, vendors.RateLimited, time.Minute},
		{fake.Failure{Code: "1003"}, vendors.Retryable, 0},
		{fake.Failure{Code: "110009"}, vendors.Rejected, 0},
		{fake.Failure{Code: "500", Status: 500}, vendors.Retryable, 0},
	}
	for _, c := range cases {
		f.FailNext(1, c.fl)
		for _, r := range s.Send(t.Context(), testNotification(), tokensN(2)) {
			if r.Kind() != c.kind || vendors.RetryAfterOf(r.Err) != c.after || vendors.CodeOf(r.Err) != c.fl.Code {
				t.Errorf("%+v: %v", c.fl, r.Err)
			}
		}
	}
}

func TestDryRunShowsSignNotSecret(t *testing.T) {
	f, s := newFixture(t)
	reqs, err := s.DryRun(t.Context(), testNotification(), tokensN(2))
	if err != nil || len(reqs) != 1 || f.Len() != 0 {
		t.Fatalf("DryRun: %v %v, %d sent", reqs, err, f.Len())
	}
	dr := reqs[0]
	form, _ := url.ParseQuery(dr.Body)
	if dr.URL != f.URL()+pushByPushIDPath || len(form.Get("sign")) != 32 || strings.Contains(dr.Body, testSecret) {
		t.Errorf("dry run %+v", dr)
	}
	s.Send(t.Context(), testNotification(), tokensN(2))
	if sent := string(f.Requests()[0].Body); sent != dr.Body {
		t.Errorf("dry run differs from the sent body:\n%s\n%s", dr.Body, sent)
	}
}

func TestNewValidatesCredential(t *testing.T) {
	c := newTestCred()
	delete(c.Fields, vendors.FieldPackage)
	if _, err := New(c, vendors.Endpoint{}); err == nil {
		t.Error("no package accepted")
	}
	snd, err := New(newTestCred(), vendors.Endpoint{})
	if err != nil || snd.(*Sender).sendURL != DefaultURL || snd.MaxBatch() != 100 || snd.Vendor() != vendors.Meizu {
		t.Errorf("defaults: %v", err)
	}
}
