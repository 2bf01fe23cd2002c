package vendors

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestCachedPayload(t *testing.T) {
	var builds atomic.Int32
	build := func() ([]byte, error) { builds.Add(1); return []byte(`{"aps":{}}`), nil }
	a, b := &Notification{ID: "m1"}, &Notification{ID: "m1"}

	// Without a cache, every call builds.
	for range 3 {
		CachedPayload(context.Background(), a, "apns", build)
	}
	if builds.Load() != 3 {
		t.Fatalf("%d builds without a cache, want 3", builds.Load())
	}

	// With one, concurrent sends of one notification build once; another
	// notification (even an equal copy) or another kind builds again.
	builds.Store(0)
	ctx := WithPayloadCache(context.Background())
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if body, err := CachedPayload(ctx, a, "apns", build); err != nil || string(body) != `{"aps":{}}` {
				t.Errorf("body %q, %v", body, err)
			}
		}()
	}
	wg.Wait()
	CachedPayload(ctx, b, "apns", build)
	CachedPayload(ctx, a, "apns-voip", build)
	if builds.Load() != 3 {
		t.Fatalf("%d builds, want 3 (a once, its copy b, a's other kind)", builds.Load())
	}

	// An error is remembered too: the notification fails alike for every device.
	bad := &Notification{ID: "m2"}
	fail := errors.New("ext too large")
	for range 2 {
		if _, err := CachedPayload(ctx, bad, "apns", func() ([]byte, error) { builds.Add(1); return nil, fail }); !errors.Is(err, fail) {
			t.Fatalf("err %v, want %v", err, fail)
		}
	}
	if builds.Load() != 4 {
		t.Fatalf("a failing build ran %d times, want once", builds.Load()-3)
	}
}
