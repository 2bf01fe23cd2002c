package dispatcher

import (
	"errors"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	h := newTestHandler(t, HandlerConfig{RetryBase: time.Second, RetryMax: 30 * time.Second})
	for n := 0; n < 40; n++ {
		want := min(time.Second<<min(n, 30), 30*time.Second)
		for i := 0; i < 50; i++ {
			d := h.backoff(n)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", n, d, want/2, want)
			}
		}
	}
}

func TestRetryDelayHonoursRateLimits(t *testing.T) {
	h := newTestHandler(t, HandlerConfig{RetryBase: time.Second, RetryMax: time.Minute})
	rl := &retryError{rateLimited: true, after: 7 * time.Second}
	// asynq keeps retry times in whole seconds, truncated: the extra
	// second keeps the retry from coming before the vendor's 7 s.
	if d := h.RetryDelay(5, rl, nil); d != 8*time.Second {
		t.Fatalf("rate-limited delay = %s, want the vendor's 7s and a second", d)
	}
	if IsFailure(rl) {
		t.Fatal("a rate limit must not count as a failure")
	}
	re := &retryError{after: 45 * time.Second}
	if d := h.RetryDelay(0, re, nil); d != 46*time.Second {
		t.Fatalf("retryable delay = %s, want at least the vendor's Retry-After", d)
	}
	if !IsFailure(re) || !IsFailure(errors.New("boom")) {
		t.Fatal("other errors are failures")
	}
}

func TestBreakerOpensHalfOpensAndCloses(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	b := NewBreakers(3, 10*time.Second, 40*time.Second)
	b.Now = func() time.Time { return clock }
	down := []vendors.Result{{Err: &vendors.Error{Kind: vendors.Retryable, Status: 503}}}
	up := []vendors.Result{{}}
	for i := 0; i < 2; i++ {
		b.Record(1, down)
	}
	if b.Wait(1) != 0 {
		t.Fatal("opened before the threshold")
	}
	b.Record(1, down)
	if w := b.Wait(1); w != 10*time.Second {
		t.Fatalf("wait = %s, want the 10s cooldown", w)
	}
	if b.Wait(2) != 0 {
		t.Fatal("another certificate is affected")
	}
	clock = clock.Add(10 * time.Second)
	if b.Wait(1) != 0 {
		t.Fatal("no half-open probe after the cooldown")
	}
	if b.Wait(1) == 0 {
		t.Fatal("a second caller passed while the probe is in flight")
	}
	b.Record(1, down) // the probe failed: cooldown doubles
	if w := b.Wait(1); w != 20*time.Second {
		t.Fatalf("wait after failed probe = %s, want 20s", w)
	}
	clock = clock.Add(20 * time.Second)
	b.Wait(1)
	b.Record(1, up)
	if b.Open(1) || b.Wait(1) != 0 {
		t.Fatal("a successful probe did not close the breaker")
	}
	// An invalid token is an answer from a live vendor, not an outage.
	for i := 0; i < 5; i++ {
		b.Record(1, []vendors.Result{{Err: &vendors.Error{Kind: vendors.InvalidToken}}})
	}
	if b.Open(1) {
		t.Fatal("invalid tokens opened the breaker")
	}
}

// A retry is never scheduled before the vendor's time, though asynq rounds
// schedules down to whole seconds.
func TestNotEarly(t *testing.T) {
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, in := range []time.Duration{0, time.Millisecond, 230 * time.Millisecond, 999 * time.Millisecond, time.Second, 2770 * time.Millisecond} {
		at := notEarly(base.Add(in))
		if at.Before(base.Add(in)) || at.Nanosecond() != 0 || at.Sub(base.Add(in)) >= time.Second {
			t.Errorf("notEarly(+%s) = +%s", in, at.Sub(base))
		}
	}
}
