package tokencache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	var fetches atomic.Int32
	release := make(chan struct{})
	c := New(func(ctx context.Context) (string, time.Duration, error) {
		fetches.Add(1)
		<-release
		return "tok-1", time.Hour, nil
	}, time.Minute, nil)
	var wg sync.WaitGroup
	got := make([]string, 200)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = c.Token(context.Background())
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Fatalf("fetches = %d, want 1", n)
	}
	for i, g := range got {
		if g != "tok-1" {
			t.Fatalf("caller %d got %q", i, g)
		}
	}
}

func TestRefreshAheadOfExpiryAndInvalidate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	n := 0
	c := New(func(ctx context.Context) (string, time.Duration, error) {
		n++
		return "tok-" + string(rune('0'+n)), time.Hour, nil
	}, 2*time.Minute, func() time.Time { return now })
	ctx := context.Background()
	first, _ := c.Token(ctx)
	now = now.Add(57 * time.Minute)
	if tok, _ := c.Token(ctx); tok != first {
		t.Fatalf("token refreshed too early: %q", tok)
	}
	now = now.Add(90 * time.Second) // 58.5 min: inside the 2-minute margin
	second, _ := c.Token(ctx)
	if second == first {
		t.Fatal("token not refreshed inside the margin")
	}
	c.Invalidate(first) // stale token: must not drop the new one
	if tok, _ := c.Token(ctx); tok != second {
		t.Fatalf("invalidating a stale token dropped the current one: %q", tok)
	}
	c.Invalidate(second)
	if tok, _ := c.Token(ctx); tok == second || n != 3 {
		t.Fatalf("after invalidate got %q with %d fetches", tok, n)
	}
}

func TestFetchErrorIsReturnedAndNotCached(t *testing.T) {
	fail := true
	c := New(func(ctx context.Context) (string, time.Duration, error) {
		if fail {
			return "", 0, errors.New("auth down")
		}
		return "ok", time.Hour, nil
	}, 0, nil)
	if _, err := c.Token(context.Background()); err == nil {
		t.Fatal("want error")
	}
	fail = false
	if tok, err := c.Token(context.Background()); err != nil || tok != "ok" {
		t.Fatalf("got %q, %v", tok, err)
	}
}
