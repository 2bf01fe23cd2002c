package faulttest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// fullToken matches an APNs-shaped device token (every token these tests
// use is one). Logs may carry a token's short hash (12 hex digits), never
// the token.
var fullToken = regexp.MustCompile(`[0-9a-fA-F]{64}`)

// scanner collects every log line and API answer of one test and, when the
// test ends, fails it if any of them holds a registered secret or a full
// device token.
type scanner struct {
	mu      sync.Mutex
	secrets map[string]string // secret → what it is
	bufs    []*capture
}

// capture is one captured text (a log, the API answers, a child's output).
type capture struct {
	what string
	mu   sync.Mutex
	b    bytes.Buffer
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.Write(p)
}

func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b.String()
}

// newScanner returns a scanner that checks everything it captured when t
// ends.
func newScanner(t *testing.T) *scanner {
	s := &scanner{secrets: map[string]string{}}
	t.Cleanup(func() {
		for _, f := range s.findings() {
			t.Errorf("secret scan: %s", f)
		}
	})
	return s
}

// secret registers a value that must never be logged or answered.
func (s *scanner) secret(what, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[v] = what
}

// capture returns a new captured text.
func (s *scanner) capture(what string) *capture {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &capture{what: what}
	s.bufs = append(s.bufs, c)
	return c
}

// logs returns a writer for a process's logs.
func (s *scanner) logs() io.Writer { return s.capture("log") }

// findings lists every leak found, naming the secret by what it is (never
// by its value).
func (s *scanner) findings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.bufs {
		text := c.String()
		for v, what := range s.secrets {
			if strings.Contains(text, v) {
				out = append(out, fmt.Sprintf("%s contains the %s", c.what, what))
			}
		}
		if m := fullToken.FindAllString(text, -1); len(m) > 0 {
			out = append(out, fmt.Sprintf("%s contains %d full device tokens (first starts %.8s…)", c.what, len(m), m[0]))
		}
	}
	return out
}

// lines returns how many lines were captured, for the reports.
func (s *scanner) lines() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.bufs {
		n += strings.Count(c.String(), "\n")
	}
	return n
}

// recordingTransport copies every API answer into the scanner.
type recordingTransport struct {
	base http.RoundTripper
	scan *scanner
	once sync.Once
	buf  *capture
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.once.Do(func() { rt.buf = rt.scan.capture("API answer") })
	resp, err := rt.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	// The request path may hold a device token (the device routes); only
	// what pushd answered is scanned.
	fmt.Fprintf(rt.buf, "%s → %d %s\n", r.Method, resp.StatusCode, b)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

func TestScannerFindsPlantedSecrets(t *testing.T) {
	s := &scanner{secrets: map[string]string{}}
	s.secret("master key", "bWFzdGVyLWtleS0wMDAx")
	log := s.logs()
	fmt.Fprintln(log, `{"msg":"sent","token":"3f2a9c0b1d4e"}`)
	if f := s.findings(); len(f) != 0 {
		t.Fatalf("a token hash was flagged: %v", f)
	}
	fmt.Fprintln(log, `{"msg":"oops","key":"bWFzdGVyLWtleS0wMDAx","path":"/3/device/`+strings.Repeat("ab", 32)+`"}`)
	f := s.findings()
	if len(f) != 2 || !strings.Contains(f[0]+f[1], "master key") || !strings.Contains(f[0]+f[1], "full device token") {
		t.Fatalf("findings %v, want the master key and the token", f)
	}
	for _, x := range f {
		if strings.Contains(x, "bWFzdGVyLWtleS0wMDAx") {
			t.Fatal("a finding repeats the secret")
		}
	}
}
