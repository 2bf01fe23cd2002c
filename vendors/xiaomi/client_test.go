package xiaomi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	testPackage = "com.example.chat"
	testSecret  = "xm-secret-0123456789"
)

func testCred() *vendors.Credential {
	return &vendors.Credential{ID: 7, Vendor: vendors.Xiaomi,
		Fields:  map[string]string{vendors.FieldPackage: testPackage},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte(testSecret)}}
}

func newFake(t *testing.T) (*fake.Xiaomi, vendors.Sender) {
	t.Helper()
	f := fake.NewXiaomi(fake.XiaomiOptions{})
	t.Cleanup(f.Close)
	f.AddApp(testPackage, testSecret)
	s, err := New(testCred(), vendors.Endpoint{URL: f.URL(), Client: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return f, s
}

func testNotification() *vendors.Notification {
	return &vendors.Notification{ID: "m1", Title: "Denny", Body: "See you at 8", Ext: `{"k":1}`}
}

func TestBatchOf2500IsThreeRequestsAndPartialFailuresAreExact(t *testing.T) {
	f, s := newFake(t)
	tokens := make([]string, 2500)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("regid-%04d", i)
	}
	bad := map[string]bool{tokens[3]: true, tokens[1500]: true, tokens[2499]: true}
	for tok := range bad {
		f.FailToken(tok, fake.Failure{Code: "bad_regid"})
	}
	var rs []vendors.Result
	for start := 0; start < len(tokens); start += s.MaxBatch() {
		end := min(start+s.MaxBatch(), len(tokens))
		rs = append(rs, s.Send(context.Background(), testNotification(), tokens[start:end])...)
	}
	reqs := f.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, want := range []int{1000, 1000, 500} {
		if got := len(reqs[i].Tokens); got != want || reqs[i].Status != http.StatusOK {
			t.Errorf("request %d: %d ids status %d, want %d ids", i, got, reqs[i].Status, want)
		}
	}
	if len(rs) != len(tokens) {
		t.Fatalf("%d results for %d tokens", len(rs), len(tokens))
	}
	for i, r := range rs {
		want := vendors.OK
		if bad[tokens[i]] {
			want = vendors.InvalidToken
		}
		if r.Token != tokens[i] || r.Kind() != want {
			t.Fatalf("result %d: %s %s (%v), want %s", i, r.Token, r.Kind(), r.Err, want)
		}
		if want == vendors.OK && !strings.HasPrefix(r.MessageID, "scm") {
			t.Fatalf("result %d: MessageID %q", i, r.MessageID)
		}
	}
}

func TestRequestCarriesSecretAndValidForm(t *testing.T) {
	f, s := newFake(t)
	rs := s.Send(context.Background(), testNotification(), []string{"r1", "r2"})
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("send: %v", r.Err)
		}
	}
	req := f.Requests()[0]
	if req.Path != "/v3/message/regid" || req.Header.Get("Authorization") != "key="+testSecret {
		t.Fatalf("path %s auth %q", req.Path, req.Header.Get("Authorization"))
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("extra.ext") != `{"k":1}` || form.Get("registration_id") != "r1,r2" {
		t.Errorf("form = %v", form)
	}
}

func TestVendorAnswersAreClassified(t *testing.T) {
	cases := []struct {
		name string
		set  func(f *fake.Xiaomi)
		want vendors.Kind
		code string
	}{
		{"quota", func(f *fake.Xiaomi) { f.FailNext(1, fake.Failure{Code: fake.XiaomiDailyQuota}) }, vendors.RateLimited, "10034"},
		{"too frequent", func(f *fake.Xiaomi) { f.FailNext(1, fake.Failure{Code: fake.XiaomiTooFrequent}) }, vendors.RateLimited, "10027"},
		{"503 without body", func(f *fake.Xiaomi) { f.FailNext(1, fake.Failure{Status: 503}) }, vendors.Retryable, ""},
		{"all tokens bad", func(f *fake.Xiaomi) {
			f.FailToken("r1", fake.Failure{Code: "bad"})
			f.FailToken("r2", fake.Failure{Code: "bad"})
		}, vendors.InvalidToken, "20301"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, s := newFake(t)
			c.set(f)
			rs := s.Send(context.Background(), testNotification(), []string{"r1", "r2"})
			for _, r := range rs {
				if r.Kind() != c.want || vendors.CodeOf(r.Err) != c.code {
					t.Fatalf("%s: %s %v, want %s code %q", r.Token, r.Kind(), r.Err, c.want, c.code)
				}
			}
		})
	}
}

func TestFakeRefusesWhatXiaomiRefuses(t *testing.T) {
	f, s := newFake(t)
	cases := []struct {
		name string
		n    *vendors.Notification
		cred func(*vendors.Credential)
		code string
	}{
		{"empty title", &vendors.Notification{Body: "b"}, nil, fake.XiaomiEmptyText},
		{"wrong secret", testNotification(), func(c *vendors.Credential) { c.Secrets[vendors.SecretAppSecret] = []byte("nope") }, fake.XiaomiBadSecret},
		{"wrong package", testNotification(), func(c *vendors.Credential) { c.Fields[vendors.FieldPackage] = "com.other" }, fake.XiaomiBadPackage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sender := s
			if c.cred != nil {
				cred := testCred()
				c.cred(cred)
				var err error
				if sender, err = New(cred, vendors.Endpoint{URL: f.URL(), Client: f.Client()}); err != nil {
					t.Fatal(err)
				}
			}
			rs := sender.Send(context.Background(), c.n, []string{"r1"})
			if rs[0].Kind() != vendors.Rejected || vendors.CodeOf(rs[0].Err) != c.code {
				t.Fatalf("got %s %v, want rejected %s", rs[0].Kind(), rs[0].Err, c.code)
			}
			if strings.Contains(rs[0].Err.Error(), testSecret) {
				t.Fatal("error leaks the secret")
			}
		})
	}
}

func TestOversizedBatchIsRejectedWithoutARequest(t *testing.T) {
	f, s := newFake(t)
	rs := s.Send(context.Background(), testNotification(), make([]string, 1001))
	if len(rs) != 1001 || rs[0].Kind() != vendors.Rejected || f.Len() != 0 {
		t.Fatalf("%d results, kind %s, %d requests", len(rs), rs[0].Kind(), f.Len())
	}
}

func TestDryRunShowsTheExactRequestRedacted(t *testing.T) {
	f, s := newFake(t)
	reqs, err := s.DryRun(context.Background(), testNotification(), []string{"r1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || f.Len() != 0 {
		t.Fatalf("%d requests shown, %d sent", len(reqs), f.Len())
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.URL != f.URL()+"/v3/message/regid" {
		t.Errorf("request line %s %s", r.Method, r.URL)
	}
	if r.Header["Authorization"] != vendors.Redacted || r.Header["Content-Type"] != contentType {
		t.Errorf("headers %v", r.Header)
	}
	want := buildForm(*testNotification(), settings{Package: testPackage, Click: vendors.Click{Action: vendors.ClickOpenApp}}, []string{"r1"}, s.(*Sender).now())
	if r.Body != want.Encode() {
		t.Errorf("body %s\nwant %s", r.Body, want.Encode())
	}
	if strings.Contains(fmt.Sprint(r), testSecret) {
		t.Fatal("dry run leaks the secret")
	}
}

func TestNewPicksTheRegionHostAndValidates(t *testing.T) {
	cred := testCred()
	cred.Fields[vendors.FieldRegion] = RegionGlobal
	s, err := New(cred, vendors.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(*Sender).sendURL; got != HostGlobal+sendPath {
		t.Errorf("global send URL %s", got)
	}
	cred.Fields[vendors.FieldRegion] = ""
	if s, _ = New(cred, vendors.Endpoint{}); s.(*Sender).sendURL != HostChina+sendPath {
		t.Errorf("cn send URL %s", s.(*Sender).sendURL)
	}
	bad := []func(*vendors.Credential){
		func(c *vendors.Credential) { c.Fields[vendors.FieldRegion] = "mars" },
		func(c *vendors.Credential) { delete(c.Fields, vendors.FieldPackage) },
		func(c *vendors.Credential) { delete(c.Secrets, vendors.SecretAppSecret) },
		func(c *vendors.Credential) { c.Click = vendors.Click{Action: vendors.ClickURL, Target: "ftp://x"} },
	}
	for i, mod := range bad {
		c := testCred()
		mod(c)
		if _, err := New(c, vendors.Endpoint{}); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}
