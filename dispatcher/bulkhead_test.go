package dispatcher

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

// A slow vendor fills its own slots and, once its backlog is full and its
// pace says the queue would take long, has further sends held back; a
// fast vendor's sends are admitted meanwhile, and a burst to a fast vendor
// waits in line instead of being held back.
func TestBulkheadsIsolateVendors(t *testing.T) {
	b := &Bulkheads{Limits: map[vendors.Vendor]int{vendors.Huawei: 2, vendors.APNs: 2}, Backlog: 3, BacklogWait: 50 * time.Millisecond}
	ctx := context.Background()
	// One slow request sets Huawei's pace at about 200 ms.
	rel, err := b.Acquire(ctx, vendors.Huawei)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	rel()

	var mu sync.Mutex
	var releases []func()
	hold := func(v vendors.Vendor) error {
		r, err := b.Acquire(ctx, v)
		if err == nil {
			mu.Lock()
			releases = append(releases, r)
			mu.Unlock()
		}
		return err
	}
	for range 2 { // Huawei's two slots, taken and held
		if err := hold(vendors.Huawei); err != nil {
			t.Fatal(err)
		}
	}
	waiting := make(chan error, 3)
	for range 3 { // its backlog: each gives its slot back once it gets one
		go func() {
			r, err := b.Acquire(ctx, vendors.Huawei)
			if err == nil {
				r()
			}
			waiting <- err
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if err := hold(vendors.Huawei); vendors.CodeOf(err) != codeBulkheadFull || vendors.KindOf(err) != vendors.RateLimited {
		t.Fatalf("a send past a slow vendor's full backlog: %v, want held back", err)
	}
	start := time.Now()
	if err := hold(vendors.APNs); err != nil || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("APNs waited %s (%v) while Huawei was full", time.Since(start), err)
	}

	// A burst to APNs: its pace is fast, so past the backlog sends wait.
	apns := &Bulkheads{Limits: map[vendors.Vendor]int{vendors.APNs: 2}, Backlog: 1, BacklogWait: time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := apns.Acquire(ctx, vendors.APNs)
			if err != nil {
				errs <- err
				return
			}
			time.Sleep(time.Millisecond)
			r()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a burst to a fast vendor was held back: %v", err)
	}
	mu.Lock()
	for _, r := range releases {
		r()
	}
	mu.Unlock()
	for range 3 {
		if err := <-waiting; err != nil {
			t.Fatalf("a send in the backlog: %v", err)
		}
	}
}

// Low-priority sends hold at most a quarter of a vendor's slots; a
// high-priority send gets one beside them at once, and a waiting low send
// goes once a low one ends.
func TestBulkheadLowQuarter(t *testing.T) {
	b := &Bulkheads{Limits: map[vendors.Vendor]int{vendors.APNs: 8}}
	low := withPriority(context.Background(), PriorityLow)
	var lows []func()
	for range 2 {
		r, err := b.Acquire(low, vendors.APNs)
		if err != nil {
			t.Fatal(err)
		}
		lows = append(lows, r)
	}
	third := make(chan func(), 1)
	go func() {
		r, err := b.Acquire(low, vendors.APNs)
		if err == nil {
			third <- r
		}
	}()
	select {
	case <-third:
		t.Fatal("a third low-priority send of 8 slots got one")
	case <-time.After(50 * time.Millisecond):
	}
	high := withPriority(context.Background(), PriorityHigh)
	for range 6 {
		r, err := b.Acquire(high, vendors.APNs)
		if err != nil {
			t.Fatal(err)
		}
		defer r()
	}
	lows[0]()
	select {
	case r := <-third:
		r()
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting low-priority send never got the slot a low one freed")
	}
	lows[1]()
}

// A low-priority send waits while urgent jobs run (up to YieldMax), and
// goes once they end; a high-priority send never waits for them.
func TestBulkheadLowYields(t *testing.T) {
	var urgent atomic.Bool
	urgent.Store(true)
	b := &Bulkheads{Urgent: urgent.Load, YieldMax: time.Minute}
	high, err := b.Acquire(withPriority(context.Background(), PriorityHigh), vendors.APNs)
	if err != nil {
		t.Fatal(err)
	}
	high()
	got := make(chan func(), 1)
	go func() {
		r, err := b.Acquire(withPriority(context.Background(), PriorityLow), vendors.APNs)
		if err == nil {
			got <- r
		}
	}()
	select {
	case <-got:
		t.Fatal("a low-priority send went while urgent jobs ran")
	case <-time.After(50 * time.Millisecond):
	}
	urgent.Store(false)
	select {
	case r := <-got:
		r()
	case <-time.After(5 * time.Second):
		t.Fatal("the low-priority send did not go once the urgent jobs ended")
	}
}
