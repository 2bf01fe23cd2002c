package dispatcher

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestParseCPULine(t *testing.T) {
	for _, tc := range []struct {
		in          string
		busy, total uint64
		ok          bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"cpu  100 5 50 800 20 3 2 0 7 0\ncpu0 1 2 3 4\n", 160, 980, true},
		{"cpu  10 0 10 80\n", 20, 100, true},
		{"intr 1 2 3\n", 0, 0, false},
		{"cpu  1 x 3 4\n", 0, 0, false},
	} {
		busy, total, ok := parseCPULine([]byte(tc.in))
		if busy != tc.busy || total != tc.total || ok != tc.ok {
			t.Errorf("parseCPULine(%q) = %d, %d, %v; want %d, %d, %v", tc.in, busy, total, ok, tc.busy, tc.total, tc.ok)
		}
	}
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc/stat here: the pacer never holds a send")
	}
	s := newProcStat()
	time.Sleep(50 * time.Millisecond)
	if busy, ok := s.busy(); !ok || busy < 0 || busy > 1 {
		t.Fatalf("busy share over 50 ms = %v, %v; want a share in [0, 1]", busy, ok)
	}
}

func testPacer(max int) *LowPacer {
	p := NewLowPacer(func() bool { return true })
	p.Max, p.window = max, float64(max)
	return p
}

// The window halves while the box is busy and urgent work flows, grows
// back by a tenth when there is room, and opens once nothing urgent runs.
func TestLowPacerWindow(t *testing.T) {
	p := testPacer(64)
	steps := []struct {
		busy   float64
		urgent bool
		want   int
	}{
		{0.95, true, 32}, {0.95, true, 16}, {0.99, true, 8}, {0.80, true, 8}, // between Busy-0.1 and Busy: held
		{0.50, true, 9}, {0.50, true, 10}, {0.95, true, 5}, {0.95, true, 2}, {0.95, true, 1}, {0.95, true, 1},
		{0.99, false, 64},
	}
	for i, s := range steps {
		p.adjust(s.busy, s.urgent)
		if got := p.Window(); got != s.want {
			t.Fatalf("step %d (busy %.2f, urgent %v): window %d, want %d", i, s.busy, s.urgent, got, s.want)
		}
	}
}

// A low-priority send beyond the window waits until a send leaves or the
// window grows; sends of other priorities never wait on it.
func TestLowPacerHoldsLowSends(t *testing.T) {
	p := testPacer(4)
	for range 3 {
		p.adjust(0.99, true) // window 4 → 2 → 1 → 1
	}
	b := &Bulkheads{Limits: map[vendors.Vendor]int{vendors.APNs: 64}, Pacer: p}
	low := withPriority(context.Background(), PriorityLow)
	first, err := b.Acquire(low, vendors.APNs)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		r, err := b.Acquire(low, vendors.APNs)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	select {
	case <-got:
		t.Fatal("a second low-priority send went past a window of 1")
	case <-time.After(50 * time.Millisecond):
	}
	urgent, err := b.Acquire(withPriority(context.Background(), PriorityHigh), vendors.APNs)
	if err != nil {
		t.Fatal("a high-priority send waited on the low window:", err)
	}
	urgent()
	first()
	select {
	case r := <-got:
		r()
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting low-priority send was not let through when the first left")
	}
	// A cancelled wait leaves the window as it was.
	hold, _ := b.Acquire(low, vendors.APNs)
	ctx, cancel := context.WithTimeout(low, 20*time.Millisecond)
	defer cancel()
	if _, err := b.Acquire(ctx, vendors.APNs); err == nil {
		t.Fatal("a cancelled wait acquired a send")
	}
	hold()
	if p.inflight != 0 {
		t.Fatalf("%d sends still counted in flight", p.inflight)
	}
}

// signalResolver tells when it resolves.
type signalResolver struct {
	fixedResolver
	called chan struct{}
}

func (r signalResolver) Resolve(ctx context.Context, j *Job) ([]Delivery, []Drop, error) {
	close(r.called)
	return r.fixedResolver.Resolve(ctx, j)
}

// A low-priority job's resolution waits for room in the pacer's window
// like a send; a cancelled wait hands the job back (nil) rather than
// failing it.
func TestLowPacerHoldsLowResolutions(t *testing.T) {
	r := newStageRig(t, []Delivery{dev(1, vendors.APNs, "ok-1")}, nil)
	p := testPacer(1)
	r.h.cfg.Bulkheads = &Bulkheads{Pacer: p}
	hold, _ := p.acquire(context.Background())
	called := make(chan struct{})
	r.h.cfg.Resolver = signalResolver{fixedResolver: fixedResolver{ds: []Delivery{dev(1, vendors.APNs, "ok-1")}}, called: called}
	done := make(chan *commitOp, 1)
	low := withPriority(context.Background(), PriorityLow)
	go func() { done <- r.h.runStreamJob(low, streamEntry(t, false), nil, noAdmission) }()
	select {
	case <-called:
		t.Fatal("a low-priority job resolved with the pacer's window full")
	case <-time.After(50 * time.Millisecond):
	}
	hold()
	select {
	case op := <-done:
		if op == nil || len(op.events) != 1 || op.events[0].Type != EventSent {
			t.Fatalf("the job did not finish once the window had room: %+v", op)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the job never resolved")
	}

	hold, _ = p.acquire(context.Background())
	defer hold()
	ctx, cancel := context.WithCancel(low)
	r.h.cfg.Resolver = fixedResolver{ds: []Delivery{dev(1, vendors.APNs, "ok-2")}}
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if op := r.h.runStreamJob(ctx, streamEntry(t, false), nil, noAdmission); op != nil {
		t.Fatalf("a job whose wait was cancelled (shutdown) must be handed back, got %+v", op)
	}
	if len(r.queue.tasks) != 0 {
		t.Fatal("a cancelled job went to the asynq slow path")
	}
}

// Waiters are let in one at a time, first come first served, never past
// the window, and each release lets in exactly one.
func TestLowPacerGrantsInOrder(t *testing.T) {
	p := testPacer(8)
	for range 4 {
		p.adjust(0.99, true) // window 8 → 4 → 2 → 1 → 1
	}
	hold, _ := p.acquire(context.Background())
	const n = 20
	order := make(chan int, n)
	for i := range n {
		go func() {
			r, err := p.acquire(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			order <- i
			r()
		}()
		for { // queue them in a known order
			p.mu.Lock()
			queued := p.waiters.Len()
			p.mu.Unlock()
			if queued == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	hold()
	for want := range n {
		select {
		case got := <-order:
			if got != want {
				t.Fatalf("waiter %d let in as number %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d waiters were let in", want, n)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight != 0 || p.waiters.Len() != 0 {
		t.Fatalf("after all: %d in flight, %d waiting", p.inflight, p.waiters.Len())
	}
}

// Run reads the CPU only while there is something to pace, and shrinks
// the window from the second sample of a spell on.
func TestLowPacerRunSamplesOnlyWhenPacing(t *testing.T) {
	var urgent atomic.Bool
	var samples atomic.Int32
	p := NewLowPacer(urgent.Load)
	p.Interval = time.Millisecond
	p.sample = func() (float64, bool) { samples.Add(1); return 0.99, true }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)

	time.Sleep(30 * time.Millisecond)
	if n := samples.Load(); n != 0 {
		t.Fatalf("%d CPU samples with nothing to pace, want 0", n)
	}
	urgent.Store(true)
	low, err := p.acquire(context.Background()) // low-priority work in flight
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Window() > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("window %d after %d busy samples, want 1", p.Window(), samples.Load())
		}
		time.Sleep(time.Millisecond)
	}
	low()
	urgent.Store(false)
	for p.Window() != p.Max {
		if time.Now().After(deadline) {
			t.Fatalf("window %d with no urgent job, want it open (%d)", p.Window(), p.Max)
		}
		time.Sleep(time.Millisecond)
	}
}

// A halving halves the sends in flight when fewer than the window fill it,
// so the first one bites.
func TestLowPacerHalvesWhatIsUsed(t *testing.T) {
	p := testPacer(256)
	var rel []func()
	for range 40 {
		r, err := p.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rel = append(rel, r)
	}
	p.adjust(0.99, true)
	if got := p.Window(); got != 20 {
		t.Fatalf("window %d after one busy sample with 40 of 256 in flight, want 20", got)
	}
	for _, r := range rel {
		r()
	}
}

// While low-priority work runs the pacer keeps a baseline with nothing
// urgent about, so the first tick after an urgent job starts already
// halves the window.
func TestLowPacerActsOnTheFirstUrgentTick(t *testing.T) {
	var urgent atomic.Bool
	var samples, urgentSamples atomic.Int32
	var late atomic.Bool
	p := NewLowPacer(urgent.Load)
	p.Interval = 5 * time.Millisecond
	p.sample = func() (float64, bool) {
		samples.Add(1)
		// A second sample with urgent work about and the window still
		// open means the first one did not act.
		if urgent.Load() && urgentSamples.Add(1) >= 2 && p.Window() == p.Max {
			late.Store(true)
		}
		return 0.99, true
	}
	low, err := p.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer low()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for samples.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no baseline samples while low-priority work runs")
		}
		time.Sleep(time.Millisecond)
	}
	if w := p.Window(); w != p.Max {
		t.Fatalf("window %d with nothing urgent, want open (%d)", w, p.Max)
	}
	urgent.Store(true)
	for p.Window() == p.Max {
		if time.Now().After(deadline) {
			t.Fatal("the window never moved once urgent work flowed")
		}
		time.Sleep(time.Millisecond)
	}
	if late.Load() {
		t.Fatal("the first sample with urgent work about did not cut the window")
	}
	if w := p.Window(); w != 1 {
		// One send in flight: half of what is used.
		t.Fatalf("window %d after the first cut with one send in flight, want 1", w)
	}
}
