package honor

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/golden"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	testAppID    = "104000001"
	testClientID = "honor-client-1"
	testSecret   = "honor-client-secret-0123456789"
)

func testCred() *vendors.Credential {
	return &vendors.Credential{ID: 11, Vendor: vendors.Honor,
		Fields: map[string]string{vendors.FieldAppID: testAppID, vendors.FieldClientID: testClientID,
			vendors.FieldBadgeClass: "com.example.Main"},
		Secrets: map[string][]byte{vendors.SecretClientSecret: []byte(testSecret)}}
}

func newFake(t *testing.T, opts fake.HonorOptions) *fake.Honor {
	t.Helper()
	f := fake.NewHonor(opts)
	t.Cleanup(f.Close)
	f.AddApp(testAppID, testClientID, testSecret)
	return f
}

func newSender(t *testing.T, f *fake.Honor, cred *vendors.Credential) *Sender {
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

func sendOK(t *testing.T, s vendors.Sender, tokens ...string) {
	t.Helper()
	for _, r := range s.Send(context.Background(), testNotification(), tokens) {
		if r.Err != nil || r.MessageID == "" {
			t.Fatalf("%s: %v (message id %q)", r.Token, r.Err, r.MessageID)
		}
	}
}

func TestSendCarriesBearerAndTimestamp(t *testing.T) {
	f := newFake(t, fake.HonorOptions{})
	s := newSender(t, f, testCred())
	at := time.UnixMilli(1_764_000_000_123)
	s.Now = func() time.Time { return at }
	sendOK(t, s, "a", "b")
	req := f.Requests()[0]
	if req.Path != "/api/v1/"+testAppID+"/sendMessage" || !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
		t.Fatalf("path %s auth %q", req.Path, req.Header.Get("Authorization"))
	}
	if got := req.Header.Get("timestamp"); got != strconv.FormatInt(at.UnixMilli(), 10) {
		t.Fatalf("timestamp %q", got)
	}
	if len(req.Tokens) != 2 || f.TokenRequests() != 1 {
		t.Fatalf("%d tokens, %d OAuth calls", len(req.Tokens), f.TokenRequests())
	}
}

func TestConcurrentSendsShareOneAccessToken(t *testing.T) {
	f := newFake(t, fake.HonorOptions{})
	s := newSender(t, f, testCred())
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Send(context.Background(), testNotification(), []string{fmt.Sprint("t", i)})
		}()
	}
	wg.Wait()
	if f.TokenRequests() != 1 || f.Len() != 50 {
		t.Fatalf("%d OAuth calls, %d sends; want 1, 50", f.TokenRequests(), f.Len())
	}
}

func TestAuthRefusalIsRetriedExactlyOnce(t *testing.T) {
	f := newFake(t, fake.HonorOptions{})
	s := newSender(t, f, testCred())
	sendOK(t, s, "a")
	f.ExpireTokens()
	sendOK(t, s, "a")
	if f.TokenRequests() != 2 || f.Len() != 3 || f.Requests()[1].Status != http.StatusUnauthorized {
		t.Fatalf("expired token: %d OAuth calls, %d sends", f.TokenRequests(), f.Len())
	}
	f.Reset()
	f.FailNext(1, fake.Failure{Status: http.StatusUnauthorized})
	sendOK(t, s, "a")
	f.Reset()
	f.FailNext(3, fake.Failure{Status: http.StatusUnauthorized})
	rs := s.Send(context.Background(), testNotification(), []string{"a"})
	if rs[0].Kind() != vendors.Auth || f.Len() != 2 {
		t.Fatalf("persistent 401: %v after %d sends, want auth after 2", rs[0].Err, f.Len())
	}
}

func TestWrongSecretAndShortTokenPath(t *testing.T) {
	f := newFake(t, fake.HonorOptions{})
	cred := testCred()
	cred.Secrets[vendors.SecretClientSecret] = []byte("wrong-secret")
	rs := newSender(t, f, cred).Send(context.Background(), testNotification(), []string{"a"})
	if rs[0].Kind() != vendors.Auth || vendors.CodeOf(rs[0].Err) != "unauthorized_client" || f.Len() != 0 {
		t.Fatalf("got %v with %d sends, want auth unauthorized_client and no send", rs[0].Err, f.Len())
	}
	if strings.Contains(rs[0].Err.Error(), "wrong-secret") {
		t.Fatal("error leaks the secret")
	}
}

func TestTokenFallsBackToTheShortPathOn404(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		switch {
		case r.URL.Path == shortTokenPath:
			w.Write([]byte(`{"access_token":"AT","expires_in":3600,"token_type":"Bearer"}`))
		case strings.HasSuffix(r.URL.Path, "/sendMessage") && r.Header.Get("Authorization") == "Bearer AT":
			w.Write([]byte(`{"code":200,"message":"success","data":{"sendResult":true,"requestId":"r1"}}`))
		default:
			http.NotFound(w, r)
		}
	})
	srv := fake.StartTLS(mux)
	defer srv.Close()
	s, err := New(testCred(), vendors.Endpoint{URL: srv.URL(), AuthURL: srv.URL(), Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Send(context.Background(), testNotification(), []string{"a"})
	if len(rs) != 1 || rs[0].Err != nil || rs[0].MessageID != "r1" {
		t.Fatalf("results %+v", rs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 3 || paths[0] != tokenPath || paths[1] != shortTokenPath {
		t.Fatalf("paths %v", paths)
	}
}

func TestPerTokenAndWholeFailures(t *testing.T) {
	f := newFake(t, fake.HonorOptions{})
	s := newSender(t, f, testCred())
	f.FailToken("b", fake.Failure{Code: fake.HonorExpiredToken})
	f.FailToken("c", fake.Failure{Code: "81000001"})
	rs := s.Send(context.Background(), testNotification(), []string{"a", "b", "c", "d"})
	for i, want := range []vendors.Kind{vendors.OK, vendors.InvalidToken, vendors.Retryable, vendors.OK} {
		if rs[i].Kind() != want {
			t.Fatalf("%s: %s (%v), want %s", rs[i].Token, rs[i].Kind(), rs[i].Err, want)
		}
	}
	f.FailNext(1, fake.Failure{Status: http.StatusServiceUnavailable})
	if rs := s.Send(context.Background(), testNotification(), []string{"a"}); rs[0].Kind() != vendors.Retryable {
		t.Fatalf("503: %v", rs[0].Err)
	}
	f.FailNext(1, fake.Failure{Code: fake.HonorTooManyTokens})
	if rs := s.Send(context.Background(), testNotification(), []string{"a"}); rs[0].Kind() != vendors.Rejected {
		t.Fatalf("80300010: %v", rs[0].Err)
	}
}

func TestEveryGoldenInputIsAcceptedByTheFake(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.json")
	for _, in := range ins {
		var g goldenInput
		golden.ReadJSON(t, in, &g)
		f := fake.NewHonor(fake.HonorOptions{})
		defer f.Close()
		f.AddApp(g.Credential.Field(vendors.FieldAppID), g.Credential.Field(vendors.FieldClientID), testSecret)
		g.Credential.Secrets = map[string][]byte{vendors.SecretClientSecret: []byte(testSecret)}
		s := newSender(t, f, &g.Credential)
		if rs := s.Send(context.Background(), &g.Notification, g.Tokens); rs[0].Err != nil {
			t.Errorf("%s: %v", in, rs[0].Err)
		}
	}
}

func TestDryRunNeedsNoTokenAndRedacts(t *testing.T) {
	f := newFake(t, fake.HonorOptions{})
	s := newSender(t, f, testCred())
	at := time.UnixMilli(1_764_000_000_123)
	s.Now = func() time.Time { return at }
	reqs, err := s.DryRun(context.Background(), testNotification(), []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || f.Len() != 0 || f.TokenRequests() != 0 {
		t.Fatalf("%d requests shown, %d sends, %d OAuth calls", len(reqs), f.Len(), f.TokenRequests())
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.URL != f.URL()+"/api/v1/"+testAppID+"/sendMessage" {
		t.Errorf("request line %s %s", r.Method, r.URL)
	}
	if r.Header["Authorization"] != vendors.Redacted || r.Header["Timestamp"] != "1764000000123" ||
		r.Header["Content-Type"] != contentType {
		t.Errorf("headers %v", r.Header)
	}
	set, _ := settingsOf(testCred())
	want, _ := buildBody(*testNotification(), set, []string{"a"}, at)
	if r.Body != string(want) {
		t.Errorf("body %s\nwant %s", r.Body, want)
	}
}

func TestNewValidatesTheCertificate(t *testing.T) {
	s, err := New(testCred(), vendors.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	if send, token := s.(*Sender).URLs(); send != SendHost+"/api/v1/"+testAppID+"/sendMessage" ||
		strings.Join(token, " ") != AuthHost+tokenPath+" "+AuthHost+shortTokenPath {
		t.Errorf("default URLs %s %v", send, token)
	}
	for _, name := range []string{vendors.FieldAppID, vendors.FieldClientID, vendors.SecretClientSecret} {
		cred := testCred()
		delete(cred.Fields, name)
		delete(cred.Secrets, name)
		if _, err := New(cred, vendors.Endpoint{}); err == nil {
			t.Errorf("missing %s: no error", name)
		}
	}
}

// vendors.honor.auth_endpoint is a full token URL or a base; the short
// path is tried on the realm URL's host only.
func TestAuthEndpointIsAFullURLOrABase(t *testing.T) {
	const realm = "/auth/realms/developer/protocol/openid-connect/token"
	cases := []struct{ configured, want string }{
		{"", "https://iam.developer.hihonor.com" + realm + " https://iam.developer.hihonor.com/auth/token"},
		{"https://iam.example", "https://iam.example" + realm + " https://iam.example/auth/token"},
		{"https://iam.example/", "https://iam.example" + realm + " https://iam.example/auth/token"},
		{"https://iam.example" + realm, "https://iam.example" + realm + " https://iam.example/auth/token"},
	}
	for _, c := range cases {
		s, err := New(testCred(), vendors.Endpoint{AuthURL: c.configured})
		if err != nil {
			t.Fatal(err)
		}
		_, token := s.(*Sender).URLs()
		if got := strings.Join(token, " "); got != c.want {
			t.Errorf("auth_endpoint %q: token URLs %s, want %s", c.configured, got, c.want)
		}
	}
}
