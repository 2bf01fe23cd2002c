package vivo

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	testAppID  = "10004"
	testAppKey = "vivo-key"
	testSecret = "vivo-secret"
)

// testClock is a settable clock.
type testClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

func testStart() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
func tokenN(i int) string  { return fake.VivoToken(i) }
func tokensN(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = tokenN(i)
	}
	return out
}

func newTestCred() *vendors.Credential {
	return &vendors.Credential{ID: 9, Vendor: vendors.Vivo,
		Fields:  map[string]string{vendors.FieldAppID: testAppID, vendors.FieldAppKey: testAppKey, vendors.FieldCategory: "IM"},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte(testSecret)}}
}

// newFixture starts a fake and a Sender on it, both on the returned clock.
func newFixture(t *testing.T) (*fake.Vivo, *Sender, *testClock) {
	t.Helper()
	clk := newClock(testStart())
	f := fake.NewVivo(fake.VivoOptions{Now: clk.Now})
	t.Cleanup(f.Close)
	f.AddApp(testAppID, testAppKey, testSecret)
	snd, err := New(newTestCred(), vendors.Endpoint{URL: f.URL(), Client: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	s := snd.(*Sender)
	s.now = clk.Now
	return f, s, clk
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

// chunks splits tokens as the dispatcher does, by MaxBatch.
func chunks(tokens []string, size int) [][]string {
	var out [][]string
	for len(tokens) > size {
		out = append(out, tokens[:size])
		tokens = tokens[size:]
	}
	return append(out, tokens)
}

func TestSendSingle(t *testing.T) {
	f, s, _ := newFixture(t)
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if len(rs) != 1 || rs[0].Err != nil || rs[0].MessageID == "" {
		t.Fatalf("results %+v", rs)
	}
	var body map[string]any
	_ = json.Unmarshal(f.Requests()[1].Body, &body)
	if body["regId"] != tokenN(1) || body["notifyType"] != float64(4) || body["category"] != "IM" {
		t.Errorf("body %s", f.Requests()[1].Body)
	}
}

func TestBatchOf1500IsOneSaveAndTwoPushes(t *testing.T) {
	f, s, _ := newFixture(t)
	tokens := tokensN(1500)
	f.FailToken(tokens[7], fake.Failure{Code: "10302"})
	f.FailToken(tokens[1200], fake.Failure{Code: "10302"})
	var results []vendors.Result
	for _, c := range chunks(tokens, s.MaxBatch()) {
		results = append(results, s.Send(t.Context(), testNotification(), c)...)
	}
	reqs := f.Requests()
	if countPath(reqs, saveListPath) != 1 || countPath(reqs, pushListPath) != 2 || countPath(reqs, sendPath) != 0 {
		t.Fatalf("requests %v", paths(reqs))
	}
	if len(results) != len(tokens) {
		t.Fatalf("%d results", len(results))
	}
	for i, r := range results {
		want := vendors.OK
		if i == 7 || i == 1200 {
			want = vendors.InvalidToken
		}
		if r.Token != tokens[i] || r.Kind() != want {
			t.Fatalf("result %d: %q %v, want %v", i, r.Token, r.Err, want)
		}
	}
	var p1, p2 listPush
	_ = json.Unmarshal(reqs[2].Body, &p1)
	_ = json.Unmarshal(reqs[3].Body, &p2)
	if p1.TaskID == "" || p1.TaskID != p2.TaskID || p1.RequestID == p2.RequestID || len(p1.RegIDs) != 1000 || len(p2.RegIDs) != 500 {
		t.Errorf("pushes: task %q/%q request %q/%q sizes %d/%d", p1.TaskID, p2.TaskID, p1.RequestID, p2.RequestID, len(p1.RegIDs), len(p2.RegIDs))
	}
}

func TestConcurrentChunksShareOneSave(t *testing.T) {
	f, s, _ := newFixture(t)
	var wg sync.WaitGroup
	for _, c := range chunks(tokensN(2500), MaxBatch) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range s.Send(t.Context(), testNotification(), c) {
				if r.Err != nil {
					t.Errorf("%v", r.Err)
				}
			}
		}()
	}
	wg.Wait()
	reqs := f.Requests()
	if countPath(reqs, saveListPath) != 1 || countPath(reqs, pushListPath) != 3 || f.TokenRequests() != 1 {
		t.Errorf("requests %v, %d auth calls", paths(reqs), f.TokenRequests())
	}
}

func TestOtherContentSavesAgainAndTaskExpires(t *testing.T) {
	f, s, clk := newFixture(t)
	s.Send(t.Context(), testNotification(), tokensN(3))
	other := testNotification()
	other.Body = "changed"
	s.Send(t.Context(), other, tokensN(3))
	clk.Add(taskTTL)
	s.Send(t.Context(), testNotification(), tokensN(3))
	if n := countPath(f.Requests(), saveListPath); n != 3 {
		t.Errorf("%d saves, want 3 (new content, then expiry)", n)
	}
}

func TestUnknownTaskIsSavedAgainOnce(t *testing.T) {
	f, s, _ := newFixture(t)
	s.Send(t.Context(), testNotification(), tokensN(2))
	f.Reset()
	f.FailNext(1, fake.Failure{Code: "10151"})
	rs := s.Send(t.Context(), testNotification(), tokensN(2))
	got := paths(f.Requests())
	if rs[0].Err != nil || len(got) != 3 || got[0] != pushListPath || got[1] != saveListPath || got[2] != pushListPath {
		t.Errorf("err %v, requests %v", rs[0].Err, got)
	}
}

func TestConcurrentSendsShareOneAuth(t *testing.T) {
	f, s, _ := newFixture(t)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Send(t.Context(), testNotification(), []string{tokenN(i)})[0].Err; err != nil {
				t.Errorf("send %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if f.TokenRequests() != 1 {
		t.Errorf("%d auth calls, want 1", f.TokenRequests())
	}
}

func TestAuthErrorRefreshesOnceAndResends(t *testing.T) {
	f, s, _ := newFixture(t)
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	f.ExpireTokens()
	f.Reset()
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	got := paths(f.Requests())
	if rs[0].Err != nil || len(got) != 3 || got[0] != sendPath || got[1] != authPath || got[2] != sendPath || f.TokenRequests() != 2 {
		t.Errorf("err %v, requests %v", rs[0].Err, got)
	}
	f.Reset()
	f.FailNext(2, fake.Failure{Code: "10000"})
	rs = s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if rs[0].Kind() != vendors.Auth || f.Len() != 3 {
		t.Errorf("twice 10000: %v after %v", rs[0].Err, paths(f.Requests()))
	}
}

func TestTokenRefreshedEveryHour(t *testing.T) {
	f, s, clk := newFixture(t)
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	clk.Add(59 * time.Minute)
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if f.TokenRequests() != 1 {
		t.Fatalf("%d auth calls within the hour", f.TokenRequests())
	}
	clk.Add(2 * time.Minute)
	f.Reset()
	rs := s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if got := paths(f.Requests()); rs[0].Err != nil || f.TokenRequests() != 2 || got[0] != authPath {
		t.Errorf("after 61 min: err %v, requests %v", rs[0].Err, got)
	}
}

func TestQuotaWaitsForChinaMidnight(t *testing.T) {
	f, s, _ := newFixture(t)
	for _, c := range []string{"10070", "10252"} {
		f.FailNext(1, fake.Failure{Code: c})
		rs := s.Send(t.Context(), testNotification(), tokensN(3))
		for _, r := range rs {
			// 10:00 UTC is 18:00 in China: six hours to midnight.
			if r.Kind() != vendors.RateLimited || vendors.RetryAfterOf(r.Err) != 6*time.Hour || vendors.CodeOf(r.Err) != c {
				t.Errorf("%s: %v", c, r.Err)
			}
		}
	}
}

func TestDryRun(t *testing.T) {
	f, s, _ := newFixture(t)
	one, err := s.DryRun(t.Context(), testNotification(), []string{tokenN(1)})
	if err != nil || len(one) != 1 || one[0].URL != f.URL()+sendPath || one[0].Header["authToken"] != vendors.Redacted {
		t.Fatalf("single: %+v %v", one, err)
	}
	list, err := s.DryRun(t.Context(), testNotification(), tokensN(5))
	if err != nil || len(list) != 2 || list[0].URL != f.URL()+saveListPath || list[1].URL != f.URL()+pushListPath ||
		!strings.Contains(list[1].Body, taskPlaceholder) {
		t.Fatalf("list: %+v %v", list, err)
	}
	if f.Len() != 0 || f.TokenRequests() != 0 {
		t.Fatalf("DryRun reached the vendor: %v", paths(f.Requests()))
	}
	for _, r := range append(one, list...) {
		if strings.Contains(r.Body, testSecret) || strings.Contains(r.Body, "authToken") {
			t.Errorf("dry run leaks a credential: %+v", r)
		}
	}
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	if sent := string(f.Requests()[1].Body); sent != one[0].Body {
		t.Errorf("dry run differs from the sent body:\n%s\n%s", one[0].Body, sent)
	}
}

func TestNewValidatesCredential(t *testing.T) {
	bad := []func(c *vendors.Credential){
		func(c *vendors.Credential) { c.Fields[vendors.FieldAppID] = "abc" },
		func(c *vendors.Credential) { c.Fields[vendors.FieldClassification] = "2" },
		func(c *vendors.Credential) { delete(c.Secrets, vendors.SecretAppSecret) },
		func(c *vendors.Credential) { c.Click = vendors.Click{Action: vendors.ClickIntent} },
	}
	for i, mutate := range bad {
		c := newTestCred()
		mutate(c)
		if _, err := New(c, vendors.Endpoint{}); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	snd, err := New(newTestCred(), vendors.Endpoint{})
	if err != nil || snd.(*Sender).sendURL != DefaultURL || snd.(*Sender).st.Classification != 1 || snd.MaxBatch() != 1000 {
		t.Errorf("defaults: %v", err)
	}
}
