package dispatcher

import (
	"context"
	"sync"
	"time"

	"github.com/pushd/pushd/vendors"
)

// DefaultConcurrency is a vendor's in-flight limit when neither
// worker.vendor_concurrency nor its descriptor (Descriptor.Concurrency)
// says: the Chinese vendors' batch APIs carry up to 1 000 devices a
// request and publish per-app QPS limits in the thousands, so a few
// requests in flight saturate them (vendor-protocols.md, "Batch sizes").
const DefaultConcurrency = 16

// DefaultVendorConcurrency returns v's default in-flight limit: its
// descriptor's (APNs and FCM multiplex many HTTP/2 streams), else
// DefaultConcurrency.
func DefaultVendorConcurrency(v vendors.Vendor) int {
	if d, ok := vendors.Lookup(v); ok && d.Concurrency > 0 {
		return d.Concurrency
	}
	return DefaultConcurrency
}

// Bulkheads bound the requests in flight per vendor, so that the time
// jobs spend waiting on one vendor holds that vendor's capacity only: a
// vendor answering in 3 s fills its own slots while every other vendor's
// sends go on. A send waits for a slot. When its vendor already has
// Backlog sends waiting and the vendor is slow — its requests have lately
// held a slot for longer than BacklogWait on average — the send is handed
// back as held (retried later without counting as a failed attempt): a
// slow vendor's queue cannot grow to hold every job a worker has in
// memory, while a vendor that is merely busy (a burst to a fast vendor, or
// a worker short of CPU) keeps every send in line.
type Bulkheads struct {
	// Limits maps a vendor to its in-flight limit; absent vendors get
	// DefaultVendorConcurrency.
	Limits map[vendors.Vendor]int
	// Backlog is how many sends may wait per vendor whatever its pace
	// (default 512); past it, a send is held back when the vendor's
	// requests take longer than BacklogWait (default 1s) on average.
	Backlog     int
	BacklogWait time.Duration
	// Metrics, when set, receives pushd_inflight, pushd_send_wait_seconds
	// and pushd_bulkhead_held_total.
	Metrics *Metrics
	// Urgent, when set, reports that jobs of higher priority than low are
	// running: a low-priority send then yields to them, up to YieldMax
	// (default 20 ms) per send, so a broadcast leaves the worker's CPU to
	// the messages people wait for (the engine sets it).
	Urgent   func() bool
	YieldMax time.Duration
	// Pacer, when set, bounds the low-priority sends in flight by the
	// machine's spare CPU while urgent jobs flow (the engine sets it).
	Pacer *LowPacer

	once  sync.Once
	heads map[vendors.Vendor]*bulkhead
}

type bulkhead struct {
	slots chan struct{}
	// low bounds the slots low-priority sends hold or wait for to a
	// quarter: a broadcast leaves the rest of the vendor to the messages
	// people wait for, and queues at most that many requests ahead of
	// them on the vendor's connections (`pushd bench --shape fair`).
	low     chan struct{}
	mu      sync.Mutex
	waiting int
	// pace is the moving average of how long a request holds a slot.
	pace time.Duration
}

// observe folds one request's time in a slot into the pace.
func (h *bulkhead) observe(d time.Duration) {
	h.mu.Lock()
	if h.pace == 0 {
		h.pace = d
	} else {
		h.pace += (d - h.pace) / 8
	}
	h.mu.Unlock()
}

func (b *Bulkheads) init() {
	b.heads = map[vendors.Vendor]*bulkhead{}
	for _, v := range vendors.All() {
		n := b.Limits[v]
		if n <= 0 {
			n = DefaultVendorConcurrency(v)
		}
		b.heads[v] = &bulkhead{slots: make(chan struct{}, n), low: make(chan struct{}, max(n/4, 1))}
	}
}

// codeBulkheadFull is the code of a send its vendor's full bulkhead held
// back: no request was made.
const codeBulkheadFull = "bulkhead_full"

// Acquire waits for a slot of v and returns its release. A nil Bulkheads
// admits everything.
func (b *Bulkheads) Acquire(ctx context.Context, v vendors.Vendor) (release func(), err error) {
	if b == nil {
		return func() {}, nil
	}
	b.once.Do(b.init)
	h := b.heads[v]
	if h == nil {
		return func() {}, nil
	}
	start := time.Now()
	low := priorityOf(ctx) == PriorityLow
	paced := func() {}
	if low {
		// The vendor's low-priority slot first, then the pacer's window:
		// the window then counts only sends that can reach the vendor,
		// and its first halving bites (see LowPacer.adjust).
		b.yield(ctx)
		select {
		case h.low <- struct{}{}:
		case <-ctx.Done():
			return nil, &vendors.Error{Vendor: v, Kind: vendors.Retryable, Code: "cancelled", Message: ctx.Err().Error()}
		}
		var err error
		if paced, err = b.Pacer.acquire(ctx); err != nil {
			<-h.low
			return nil, &vendors.Error{Vendor: v, Kind: vendors.Retryable, Code: "cancelled", Message: err.Error()}
		}
	}
	select {
	case h.slots <- struct{}{}:
	default:
		if err := b.wait(ctx, h, v); err != nil {
			if low {
				<-h.low
				paced()
			}
			return nil, err
		}
	}
	if m := b.Metrics; m != nil {
		m.SendWait.WithLabelValues(string(v)).Observe(time.Since(start).Seconds())
		m.Inflight.WithLabelValues(string(v)).Inc()
	}
	acquired := time.Now()
	return func() {
		h.observe(time.Since(acquired))
		<-h.slots
		if low {
			<-h.low
			paced()
		}
		if m := b.Metrics; m != nil {
			m.Inflight.WithLabelValues(string(v)).Dec()
		}
	}, nil
}

// yield waits, up to YieldMax, while urgent jobs run.
func (b *Bulkheads) yield(ctx context.Context) {
	if b.Urgent == nil || !b.Urgent() {
		return
	}
	max := b.YieldMax
	if max <= 0 {
		max = 20 * time.Millisecond
	}
	deadline := time.Now().Add(max)
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for b.Urgent() && time.Now().Before(deadline) {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// wait queues for a slot of h unless its backlog is full.
func (b *Bulkheads) wait(ctx context.Context, h *bulkhead, v vendors.Vendor) error {
	backlog := b.Backlog
	if backlog <= 0 {
		backlog = 512
	}
	wait := b.BacklogWait
	if wait <= 0 {
		wait = time.Second
	}
	h.mu.Lock()
	over := h.waiting >= backlog && h.pace > wait
	h.waiting++
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.waiting--
		h.mu.Unlock()
	}()
	if over {
		if b.Metrics != nil {
			b.Metrics.Held.WithLabelValues(string(v)).Inc()
		}
		return &vendors.Error{Vendor: v, Kind: vendors.RateLimited, Code: codeBulkheadFull, RetryAfter: time.Second,
			Message: "too many sends waiting for this slow vendor; held back for later"}
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &vendors.Error{Vendor: v, Kind: vendors.Retryable, Code: "cancelled", Message: ctx.Err().Error()}
	}
}
