package vendorhttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

// stalling returns a server whose handler runs stall and then waits for
// the test to end, and closes it after releasing the handler.
func stalling(t *testing.T, stall func(w http.ResponseWriter)) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stall(w)
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv
}

// silentListener accepts TCP connections and never says a word: a vendor
// that took the connection and hangs (no TLS handshake, no answer).
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func post(t *testing.T, ep vendors.Endpoint, url string) (Answer, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	return Exchange(NewClient(vendors.Huawei, ep), req, vendors.Huawei, 1<<10, "send: ")
}

func TestExchangeTimesOut(t *testing.T) {
	const deadline = 300 * time.Millisecond
	headersThenStall := stalling(t, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"code":`))
		w.(http.Flusher).Flush()
	})
	noAnswer := stalling(t, func(http.ResponseWriter) {})
	silent := "https://" + silentListener(t)
	cases := []struct {
		name, url  string
		wantStatus int
	}{
		{"accepts and never answers", noAnswer.URL, 0},
		{"answers headers then stalls the body", headersThenStall.URL, http.StatusOK},
		{"accepts TCP and never starts TLS", silent, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := post(t, vendors.Endpoint{URL: c.url, Timeout: deadline}, c.url)
			took := time.Since(start)
			var ve *vendors.Error
			if !errors.As(err, &ve) || ve.Kind != vendors.Retryable || ve.Code != vendors.CodeTimeout {
				t.Fatalf("err = %v, want a retryable %q error", err, vendors.CodeTimeout)
			}
			if ve.Status != c.wantStatus {
				t.Errorf("status %d, want %d", ve.Status, c.wantStatus)
			}
			if took > 5*deadline {
				t.Errorf("took %s, deadline %s", took, deadline)
			}
		})
	}
}

func TestExchangeAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		_, _ = w.Write([]byte(`{"code":"80000000"}`))
	}))
	defer srv.Close()
	a, err := post(t, vendors.Endpoint{URL: srv.URL, Timeout: time.Second}, srv.URL)
	if err != nil || a.Status != http.StatusOK || string(a.Body) != `{"code":"80000000"}` {
		t.Fatalf("answer %+v, err %v", a, err)
	}
}

func TestNoRedirects(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the redirect was followed")
	}))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	a, err := post(t, vendors.Endpoint{URL: srv.URL, Allowed: loopback(t)}, srv.URL)
	if err != nil || a.Status != http.StatusTemporaryRedirect {
		t.Fatalf("answer %d, err %v; want the 307 itself", a.Status, err)
	}
}

func loopback(t *testing.T) *vendors.AddressList {
	t.Helper()
	l, err := vendors.ParseAddressList([]string{"127.0.0.1/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	defer other.Close()
	cases := []struct {
		name string
		ep   vendors.Endpoint
		url  string
		ok   bool
	}{
		{"configured endpoint is trusted", vendors.Endpoint{URL: srv.URL}, srv.URL, true},
		{"configured auth endpoint is trusted", vendors.Endpoint{AuthURL: srv.URL + "/oauth"}, srv.URL, true},
		{"another port of the same host is not", vendors.Endpoint{URL: srv.URL}, other.URL, false},
		{"unconfigured loopback is refused", vendors.Endpoint{}, srv.URL, false},
		{"allowed network", vendors.Endpoint{Allowed: loopback(t)}, other.URL, true},
		{"a name resolving to loopback is refused", vendors.Endpoint{},
			strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := post(t, c.ep, c.url)
			if c.ok {
				if err != nil || string(a.Body) != "ok" {
					t.Fatalf("answer %q, err %v", a.Body, err)
				}
				return
			}
			if !errors.Is(err, ErrNotAllowed) || vendors.CodeOf(err) != vendors.CodeNotAllowed || vendors.KindOf(err) != vendors.Retryable {
				t.Fatalf("err = %v, want a retryable %s", err, vendors.CodeNotAllowed)
			}
		})
	}
}

func TestPublic(t *testing.T) {
	cases := map[string]bool{
		"8.8.8.8": true, "17.188.1.1": true, "2607:f8b0:4005:80a::200a": true, "1.1.1.1": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.5.4": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "100.127.255.254": false, "0.0.0.0": false,
		"224.0.0.1": false, "255.255.255.255": false, "240.0.0.1": false, "192.0.2.1": false,
		"::1": false, "::": false, "fe80::1": false, "fd00::1": false, "fc00::1": false, "ff02::1": false,
		"::ffff:127.0.0.1": false, "::ffff:8.8.8.8": true, "64:ff9b::a00:1": false, "64:ff9b::808:808": true,
		"2002:7f00:1::": false, "2002:808:808::": true, "2001:db8::1": false,
	}
	for s, want := range cases {
		if got := Public(netip.MustParseAddr(s)); got != want {
			t.Errorf("Public(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckCredentialURL(t *testing.T) {
	cases := []struct {
		url  string
		ep   vendors.Endpoint
		want string
	}{
		{"https://oauth2.googleapis.com/token", vendors.Endpoint{}, ""},
		{"https://8.8.8.8/token", vendors.Endpoint{}, ""},
		{"http://oauth2.googleapis.com/token", vendors.Endpoint{}, "https"},
		{"https://127.0.0.1:22/token", vendors.Endpoint{}, "public"},
		{"https://[::1]:22/token", vendors.Endpoint{}, "public"},
		{"https://169.254.169.254/token", vendors.Endpoint{}, "public"},
		{"https://127.0.0.1:22/token", vendors.Endpoint{Allowed: loopback(t)}, ""},
		{"https://127.0.0.1:8443/token", vendors.Endpoint{AuthURL: "https://127.0.0.1:8443"}, ""},
	}
	for _, c := range cases {
		err := CheckCredentialURL(c.url, c.ep)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckCredentialURL(%s) = %v, want %q", c.url, err, c.want)
		}
	}
}
