// Package fake holds loopback fakes of every push vendor. Each fake checks
// what the real server checks (signatures, auth tokens, field rules, size
// limits), answers with the real server's success and error bodies, records
// every request, and can be told to fail: for one token, or for the next N
// requests, with any of the vendor's real errors. Unit tests, end-to-end
// tests, benchmarks and `pushd serve --sandbox` all use them.
package fake

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Recorded is one request a fake received and accepted for processing.
type Recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Tokens are the device tokens the request targeted.
	Tokens []string
	// Status is the HTTP status the fake answered.
	Status int
	At     time.Time
	// Validated means the request asked for validation only (FCM and
	// Huawei validate_only, vivo pushMode 1) and was checked but not
	// delivered: no phone shows it.
	Validated bool
}

// Failure is a canned vendor error: the fake answers with the vendor's real
// body for Code.
type Failure struct {
	// Status is the HTTP status; 0 means the vendor's usual status for Code.
	Status int
	// Code is the vendor's code or reason ("BadDeviceToken", "UNREGISTERED",
	// "80300007", "10000", …).
	Code string
	// Message overrides the vendor's usual message for Code.
	Message string
	// RetryAfter, when set, is sent as a Retry-After header (seconds).
	RetryAfter time.Duration
}

// Log records requests; it is safe for concurrent use.
type Log struct {
	mu   sync.Mutex
	reqs []Recorded
	// observe, when set by Observe, sees every added request; drop makes
	// Add forget the request once observed.
	observe func(Recorded)
	drop    bool
}

// Add appends r, after showing it to the observer set by Observe.
func (l *Log) Add(r Recorded) {
	l.mu.Lock()
	fn, drop := l.observe, l.drop
	if !drop {
		l.reqs = append(l.reqs, r)
	}
	l.mu.Unlock()
	if fn != nil {
		fn(r)
	}
}

// Requests returns a copy of every recorded request, oldest first.
func (l *Log) Requests() []Recorded {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Recorded(nil), l.reqs...)
}

// Len returns the number of recorded requests.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.reqs)
}

// Reset forgets every recorded request.
func (l *Log) Reset() {
	l.mu.Lock()
	l.reqs = nil
	l.mu.Unlock()
}

// Faults holds the failures a fake was told to inject. It is safe for
// concurrent use.
type Faults struct {
	mu       sync.Mutex
	perToken map[string]Failure
	counted  map[string][]Failure
	next     []Failure
}

// FailTokenTimes makes the next n requests for token fail with fl; later
// requests for it succeed again (a device that answers 503 twice, then 200).
func (f *Faults) FailTokenTimes(token string, n int, fl Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.counted == nil {
		f.counted = map[string][]Failure{}
	}
	for i := 0; i < n; i++ {
		f.counted[token] = append(f.counted[token], fl)
	}
}

// FailToken makes every request for token fail with f until ClearFaults.
func (f *Faults) FailToken(token string, fl Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.perToken == nil {
		f.perToken = map[string]Failure{}
	}
	f.perToken[token] = fl
}

// FailNext makes the next n requests fail with fl, whatever they target.
func (f *Faults) FailNext(n int, fl Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		f.next = append(f.next, fl)
	}
}

// ClearFaults removes every injected failure.
func (f *Faults) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.perToken = nil
	f.counted = nil
	f.next = nil
}

// TakeNext pops the next whole-request failure, if one is queued.
func (f *Faults) TakeNext() (Failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.next) == 0 {
		return Failure{}, false
	}
	fl := f.next[0]
	f.next = f.next[1:]
	return fl, true
}

// ForToken returns the failure injected for token, if any, consuming one
// of the failures queued by FailTokenTimes.
func (f *Faults) ForToken(token string) (Failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q := f.counted[token]; len(q) > 0 {
		f.counted[token] = q[1:]
		return q[0], true
	}
	fl, ok := f.perToken[token]
	return fl, ok
}

// Server is a fake's TLS listener with HTTP/2 enabled.
type Server struct {
	srv *httptest.Server
	// hold is how long every request waits before the fake sees it, in
	// nanoseconds; holdForever makes it wait until the client gives up.
	hold atomic.Int64
}

// StartTLS serves h over TLS with HTTP/2 on a loopback port.
func StartTLS(h http.Handler) *Server {
	srv := &Server{}
	s := httptest.NewUnstartedServer(srv.holding(h))
	s.EnableHTTP2 = true
	s.StartTLS()
	srv.srv = s
	return srv
}

// URL is the base URL, https://127.0.0.1:port.
func (s *Server) URL() string { return s.srv.URL }

// Client returns an HTTP client (HTTP/2 capable) that trusts the fake's
// certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CertPool returns a pool holding the fake's certificate.
func (s *Server) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.srv.Certificate())
	return p
}

// WriteCA writes the fake's certificate as PEM to path, for a config's
// vendors.<name>.ca_file.
func (s *Server) WriteCA(path string) error {
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	return os.WriteFile(path, b, 0o644)
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// clock is now, or time.Now when a fake's options bring no clock.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
