package fake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// seen collects what a sandbox observer was shown.
type seen struct {
	mu   sync.Mutex
	reqs map[vendors.Vendor][]fake.Recorded
}

func (s *seen) add(v vendors.Vendor, r fake.Recorded) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs[v] = append(s.reqs[v], r)
}

func (s *seen) of(v vendors.Vendor) []fake.Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]fake.Recorded(nil), s.reqs[v]...)
}

// TestSandboxObserveSeesEveryVendor checks that an observer sees each
// vendor's accepted request with its vendor, tokens, body and time, and
// that keep decides whether the log still retains it.
func TestSandboxObserveSeesEveryVendor(t *testing.T) {
	for _, keep := range []bool{true, false} {
		sb := fake.StartSandbox()
		t.Cleanup(sb.Close)
		obs := &seen{reqs: map[vendors.Vendor][]fake.Recorded{}}
		sb.Observe(obs.add, keep)
		for _, c := range sandboxCases(t) {
			if err := sb.Trust(c.cred); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if r := sendOne(t, sb, c); r.Err != nil {
				t.Fatalf("%s: %v", c.name, r.Err)
			}
			v := c.cred.Vendor
			got := obs.of(v)
			if len(got) == 0 {
				t.Fatalf("%s (keep %v): the observer saw nothing", c.name, keep)
			}
			last := got[len(got)-1]
			if last.Status != 200 || !contains(last.Tokens, c.token) || len(last.Body) == 0 || last.At.Before(start) {
				t.Fatalf("%s: observed status %d tokens %v body %d B at %v", c.name, last.Status, last.Tokens, len(last.Body), last.At)
			}
			if kept := sb.Recorder(v).Len() > 0; kept != keep {
				t.Fatalf("%s: log retains requests = %v with keep %v", c.name, kept, keep)
			}
		}
	}
}

// TestServerDelayAndHang checks that a delayed fake answers no sooner than
// its delay, that a hung fake never answers (the client gives up and the
// fake records nothing), and that SetDelay(0) restores normal answers.
func TestServerDelayAndHang(t *testing.T) {
	sb := fake.StartSandbox()
	t.Cleanup(sb.Close)
	c := sandboxCases(t)[0] // APNs, token auth
	if err := sb.Trust(c.cred); err != nil {
		t.Fatal(err)
	}
	srv := sb.Server(vendors.APNs)
	const delay = 150 * time.Millisecond
	srv.SetDelay(delay)
	start := time.Now()
	if r := sendOne(t, sb, c); r.Err != nil {
		t.Fatalf("delayed: %v", r.Err)
	}
	if took := time.Since(start); took < delay {
		t.Fatalf("a fake delayed by %v answered after %v", delay, took)
	}

	srv.Hang()
	before := sb.APNs.Len()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req := newAPNsRequest(t, ctx, sb)
	if _, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a hung fake answered: %v", err)
	}
	if sb.APNs.Len() != before {
		t.Fatalf("a hung request reached the log")
	}

	srv.SetDelay(0)
	if r := sendOne(t, sb, c); r.Err != nil {
		t.Fatalf("after SetDelay(0): %v", r.Err)
	}
	if sb.Server("nokia") != nil {
		t.Fatal("a server for an unknown vendor")
	}
}

func newAPNsRequest(t *testing.T, ctx context.Context, sb *fake.Sandbox) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sb.APNs.URL()+"/3/device/abab", strings.NewReader(`{"aps":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
