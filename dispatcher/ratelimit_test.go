package dispatcher

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/internal/testredis"
)

// twoWorkers returns two limiters with their own Redis connections on one
// database: what two pushd processes see.
func twoWorkers(t *testing.T, perCert map[int64]float64) (*RateLimits, *RateLimits) {
	db := testredis.New(t)
	a := redis.NewClient(db.Options())
	b := redis.NewClient(db.Options())
	t.Cleanup(func() { a.Close(); b.Close() })
	return NewRateLimits(a, "pushd:", perCert, 0), NewRateLimits(b, "pushd:", perCert, 0)
}

func TestRateLimitSharedAcrossWorkers(t *testing.T) {
	w1, w2 := twoWorkers(t, map[int64]float64{7: 10}) // 100ms apart, burst 1
	clock := time.Unix(1_800_000_000, 0)
	now := func() time.Time { return clock }
	w1.Now, w2.Now = now, now
	ctx := context.Background()
	steps := []struct {
		w       *RateLimits
		maxWait time.Duration
		ok      bool
		wait    time.Duration
	}{
		{w1, 0, true, 0},                                            // the first request goes at once
		{w2, 0, false, 100 * time.Millisecond},                      // the other worker sees the slot taken
		{w2, 150 * time.Millisecond, true, 100 * time.Millisecond},  // and may reserve the next one
		{w1, 150 * time.Millisecond, false, 200 * time.Millisecond}, // the one after is too far off
	}
	for i, s := range steps {
		ok, wait, err := s.w.Reserve(ctx, 7, s.maxWait)
		if err != nil || ok != s.ok || wait != s.wait {
			t.Fatalf("step %d: ok=%v wait=%s err=%v, want ok=%v wait=%s", i, ok, wait, err, s.ok, s.wait)
		}
	}
	clock = clock.Add(200 * time.Millisecond)
	if ok, wait, _ := w1.Reserve(ctx, 7, 0); !ok || wait != 0 {
		t.Fatalf("after 200ms: ok=%v wait=%s, want a free slot", ok, wait)
	}
	if ok, _, _ := w2.Reserve(ctx, 8, 0); !ok {
		t.Fatal("a certificate without a limit was limited")
	}
}

func TestRateLimitHoldsUnderConcurrentWorkers(t *testing.T) {
	const rate = 50.0
	w1, w2 := twoWorkers(t, map[int64]float64{3: rate})
	var mu sync.Mutex
	var grants []time.Time
	perWorker := map[*RateLimits]int{}
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	for _, w := range []*RateLimits{w1, w2, w1, w2} { // two goroutines per worker
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < 600*time.Millisecond {
				back, err := w.Wait(ctx, 3)
				if err != nil || back > 0 {
					continue
				}
				mu.Lock()
				grants = append(grants, time.Now())
				perWorker[w]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := grants[len(grants)-1].Sub(start)
	// GCRA allows rate·t requests plus the burst (5 at 50/s) in any span t.
	limit := int(rate*elapsed.Seconds()) + 5 + 1
	if len(grants) > limit || len(grants) < int(rate*0.6*0.7) {
		t.Fatalf("%d requests granted in %s at %v/s, want at most %d and not far below", len(grants), elapsed, rate, limit)
	}
	if perWorker[w1] == 0 || perWorker[w2] == 0 {
		t.Fatalf("grants per worker %d and %d: both workers should get slots", perWorker[w1], perWorker[w2])
	}
	t.Logf("%d requests in %s across two workers at a limit of %v/s (%d and %d per worker)", len(grants), elapsed.Round(time.Millisecond), rate, perWorker[w1], perWorker[w2])
}

func TestRateLimitWaitHandsBackBeyondMaxWait(t *testing.T) {
	w, _ := twoWorkers(t, nil)
	w.Default, w.MaxWait = 1, 20*time.Millisecond // one request per second
	ctx := context.Background()
	if back, err := w.Wait(ctx, 9); back != 0 || err != nil {
		t.Fatalf("first request: back=%s err=%v", back, err)
	}
	back, err := w.Wait(ctx, 9)
	if err != nil || back < 900*time.Millisecond || back > time.Second {
		t.Fatalf("second request: back=%s err=%v, want about 1s", back, err)
	}
	var none *RateLimits
	if back, err := none.Wait(ctx, 9); back != 0 || err != nil {
		t.Fatal("nil limits must not limit")
	}
}
