package dispatcher

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

var errNoCert = errors.New("no such certificate")

// credSource serves certificates 1..n at the version it is told.
type credSource struct {
	mu      sync.Mutex
	n       int64
	version int64
	reads   atomic.Int64
}

func (c *credSource) Credential(_ context.Context, id int64) (*vendors.Credential, error) {
	c.reads.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if id < 1 || id > c.n {
		return nil, errNoCert
	}
	return &vendors.Credential{ID: id, AppID: "app", Vendor: vendors.Xiaomi, Version: c.version}, nil
}

// closingSender counts its closes.
type closingSender struct {
	vendors.Sender
	closed *atomic.Int64
}

func (s closingSender) Vendor() vendors.Vendor { return vendors.Xiaomi }
func (s closingSender) MaxBatch() int          { return 1000 }
func (s closingSender) Close() error           { s.closed.Add(1); return nil }

// The pool is bounded (the least recently used certificate is evicted and
// its sender closed after the grace period), a rotated certificate's old
// sender is closed, and an unknown certificate id is not remembered.
func TestPoolIsBoundedAndClosesWhatItDrops(t *testing.T) {
	src := &credSource{n: 10, version: 1}
	var closed atomic.Int64
	reg := vendors.NewRegistry()
	reg.Register(vendors.Xiaomi, func(*vendors.Credential, vendors.Endpoint) (vendors.Sender, error) {
		return closingSender{closed: &closed}, nil
	}, vendors.Endpoint{})
	p := NewPool(src, reg, time.Hour)
	p.MaxEntries, p.CloseGrace = 3, 10*time.Millisecond
	p.IsNotFound = func(err error) bool { return errors.Is(err, errNoCert) }
	ctx := context.Background()
	for id := int64(1); id <= 5; id++ {
		if _, _, err := p.Sender(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(p.entries); n != 3 {
		t.Fatalf("%d entries, want the bound 3", n)
	}
	waitUntil(t, func() bool { return closed.Load() == 2 })

	for i := range 1000 {
		if _, _, err := p.Sender(ctx, int64(1000+i)); !errors.Is(err, errNoCert) {
			t.Fatal(err)
		}
	}
	if n := len(p.entries); n != 3 {
		t.Fatalf("%d entries after 1000 unknown ids, want the 3 known", n)
	}
	if c := closed.Load(); c != 2 {
		t.Fatalf("unknown ids closed %d senders, want only the 2 evicted before", c)
	}

	p2 := NewPool(src, reg, 0) // re-read every time
	p2.CloseGrace = 10 * time.Millisecond
	p2.Sender(ctx, 1)
	before := closed.Load()
	src.mu.Lock()
	src.version = 2
	src.mu.Unlock()
	p2.Sender(ctx, 1)
	waitUntil(t, func() bool { return closed.Load() >= before+1 })
}

// The queue UI sees who and how many, never text, ext or tokens.
func TestRedactedPayload(t *testing.T) {
	p := []byte(`{"app_id":"1400000001","msg_id":"m1","devices":[{"cert_id":1,"token":"7c1b9a3e5d0f2468"}],"offline_push":{"desc":"Meet at the bank at 8","ext":"{\"secret\":1}"}}`)
	got := RedactedPayload(TypeMessage, p)
	for _, leak := range []string{"7c1b9a3e5d0f2468", "Meet at the bank", "secret"} {
		if strings.Contains(got, leak) {
			t.Fatalf("%q shows %q", got, leak)
		}
	}
	if !strings.Contains(got, `"msg_id":"m1"`) || !strings.Contains(got, `"targets":1`) {
		t.Fatalf("%q lacks the message id or the target count", got)
	}
}
