package fcm

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// counting is a TLS server (trusted by every fake's client: httptest
// servers share one certificate) that counts requests and answers with
// handler, released when the test ends.
func counting(t *testing.T, handler func(w http.ResponseWriter, release <-chan struct{})) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		handler(w, release)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv, &n
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

func portOf(t *testing.T, rawURL string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(strings.TrimPrefix(rawURL, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func loopbackList(t *testing.T) *vendors.AddressList {
	t.Helper()
	l, err := vendors.ParseAddressList([]string{"127.0.0.1/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// sendWithTokenURI sends one notification with a service account whose
// token_uri is tokenURI, FCM itself being f, and returns the error text.
func sendWithTokenURI(t *testing.T, f *fake.FCM, tokenURI string, allowed *vendors.AddressList) vendors.Result {
	t.Helper()
	sa, err := testcreds.NewServiceAccount(testProject, tokenURI)
	if err != nil {
		t.Fatal(err)
	}
	f.AddServiceAccount(sa.Email, &sa.Key.PublicKey)
	ep := vendors.Endpoint{URL: f.URL(), Client: f.Client(), Allowed: allowed, Timeout: 2 * time.Second}
	return sendOneToken(t, newSender(t, sa.JSON, ep), "dev_1")
}

func TestTokenURIGuard(t *testing.T) {
	f := fake.NewFCM(fake.FCMOptions{})
	t.Cleanup(f.Close)
	notOAuth, hits := counting(t, func(w http.ResponseWriter, _ <-chan struct{}) {
		http.Error(w, "<html>admin console</html>", http.StatusNotFound)
	})
	open, closed := portOf(t, notOAuth.URL), closedPort(t)

	t.Run("a name resolving to loopback: open and closed ports look alike", func(t *testing.T) {
		a := sendWithTokenURI(t, f, "https://localhost:"+open+"/token", nil)
		b := sendWithTokenURI(t, f, "https://localhost:"+closed+"/token", nil)
		assertSameUnreachable(t, a, b)
		if hits.Load() != 0 {
			t.Errorf("%d requests reached the loopback server", hits.Load())
		}
	})
	t.Run("a loopback literal is refused when the sender is built, alike for both ports", func(t *testing.T) {
		var msgs []string
		for _, port := range []string{open, closed} {
			sa, err := testcreds.NewServiceAccount(testProject, "https://127.0.0.1:"+port+"/token")
			if err != nil {
				t.Fatal(err)
			}
			cred := &vendors.Credential{ID: 7, Vendor: vendors.FCM, Secrets: map[string][]byte{vendors.SecretServiceAccount: sa.JSON}}
			_, err = New(cred, vendors.Endpoint{URL: f.URL(), Client: f.Client()})
			if err == nil {
				t.Fatalf("port %s: sender built", port)
			}
			msgs = append(msgs, strings.ReplaceAll(err.Error(), port, "PORT"))
		}
		if msgs[0] != msgs[1] || !strings.Contains(msgs[0], "not a public address") {
			t.Errorf("errors differ or do not say why: %q vs %q", msgs[0], msgs[1])
		}
	})
	t.Run("allowed loopback: a server that is not OAuth and a closed port look alike", func(t *testing.T) {
		a := sendWithTokenURI(t, f, "https://127.0.0.1:"+open+"/token", loopbackList(t))
		b := sendWithTokenURI(t, f, "https://127.0.0.1:"+closed+"/token", loopbackList(t))
		assertSameUnreachable(t, a, b)
		if hits.Load() != 1 {
			t.Errorf("%d requests reached the allowed server, want 1", hits.Load())
		}
	})
	t.Run("an allowed loopback fake works", func(t *testing.T) {
		r := sendWithTokenURI(t, f, f.TokenURI(), loopbackList(t))
		if r.Err != nil || r.MessageID == "" {
			t.Fatalf("result %+v", r)
		}
	})
}

func assertSameUnreachable(t *testing.T, a, b vendors.Result) {
	t.Helper()
	for _, r := range []vendors.Result{a, b} {
		if vendors.KindOf(r.Err) != vendors.Retryable || vendors.CodeOf(r.Err) != vendors.CodeUnreachable {
			t.Fatalf("err = %v, want retryable %s", r.Err, vendors.CodeUnreachable)
		}
	}
	if a.Err.Error() != b.Err.Error() {
		t.Errorf("errors tell the ports apart:\n%s\n%s", a.Err, b.Err)
	}
	if want := "fcm: endpoint_unreachable: token endpoint unreachable or not allowed [retryable]"; a.Err.Error() != want {
		t.Errorf("error %q, want %q", a.Err, want)
	}
}

func TestSendTimesOut(t *testing.T) {
	const deadline = 300 * time.Millisecond
	never := func(w http.ResponseWriter, release <-chan struct{}) { <-release }
	stallBody := func(w http.ResponseWriter, release <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"name":`))
		w.(http.Flusher).Flush()
		<-release
	}
	cases := []struct {
		name     string
		handler  func(http.ResponseWriter, <-chan struct{})
		stallFCM bool
		code     string
	}{
		{"FCM never answers", never, true, vendors.CodeTimeout},
		{"FCM stalls the body", stallBody, true, vendors.CodeTimeout},
		{"token endpoint never answers", never, false, vendors.CodeUnreachable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := fake.NewFCM(fake.FCMOptions{})
			t.Cleanup(f.Close)
			sa, err := f.NewServiceAccount(testProject)
			if err != nil {
				t.Fatal(err)
			}
			stall, hits := counting(t, c.handler)
			ep := f.Endpoint()
			ep.Timeout = deadline
			if c.stallFCM {
				ep.URL = stall.URL
			} else {
				ep.AuthURL = stall.URL + "/token"
			}
			s := newSender(t, sa.JSON, ep)
			start := time.Now()
			r := s.Send(context.Background(), testNotification(), []string{"dev_1"})[0]
			took := time.Since(start)
			if vendors.KindOf(r.Err) != vendors.Retryable || vendors.CodeOf(r.Err) != c.code {
				t.Fatalf("err = %v, want retryable %s", r.Err, c.code)
			}
			if took > 5*deadline {
				t.Errorf("took %s, deadline %s", took, deadline)
			}
			if hits.Load() != 1 {
				t.Errorf("%d requests to the stalling server, want 1 (no SDK retry)", hits.Load())
			}
		})
	}
}
