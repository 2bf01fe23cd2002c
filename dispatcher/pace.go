package dispatcher

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pushd/pushd/internal/procstat"
)

// LowPacer gives low-priority work — a broadcast's vendor sends and the
// resolution of its recipients — the machine's spare CPU only, while
// messages of a higher priority are flowing. A broadcast drained as fast
// as the vendors take it saturates the cores (pushd, Redis and, on one
// box, everything else), and Go has no goroutine priorities: a one-to-one
// message then queues for CPU behind the broadcast at every step. The
// pacer bounds the low-priority sends and resolutions in flight with a
// window that halves while the machine is busier than Busy and grows back
// while it is not (as TCP's congestion window does), and opens fully once
// no urgent job has started for a second. Against a real vendor a send spends its time
// waiting on the network, not on the CPU, so the window stays open and a
// broadcast keeps its throughput; on a saturated box it yields.
//
// The CPU is read from /proc/stat (the whole machine, every Interval); where
// that is unavailable the pacer never holds a send.
type LowPacer struct {
	// Busy is the share of the machine's CPU above which the window
	// shrinks (default 0.85); below Busy-0.1 it grows.
	Busy float64
	// Interval is how often the CPU is sampled and the window adjusted
	// (default 20ms).
	Interval time.Duration
	// Max is the widest window (default 256 low-priority sends).
	Max int

	// sample returns the CPU busy share since the previous call (false
	// when unknown); /proc/stat's (procStat.busy) by default.
	sample func() (float64, bool)
	// urgentRecent reports that a job above low priority started lately.
	urgentRecent func() bool
	// gauge, when set, shows the window (pushd_low_priority_window).
	gauge prometheus.Gauge

	mu       sync.Mutex
	window   float64
	inflight int
	// waiters are the sends waiting for room, first come first served:
	// each is granted (its channel closed, its room counted in inflight)
	// as a send leaves or the window grows, one at a time, so a release
	// wakes one waiter, not all of them.
	waiters list.List
}

// NewLowPacer returns a pacer with the defaults; urgentRecent reports
// whether a job above low priority started in the last second.
func NewLowPacer(urgentRecent func() bool) *LowPacer {
	p := &LowPacer{Busy: 0.85, Interval: 20 * time.Millisecond, Max: 256, urgentRecent: urgentRecent}
	p.sample = newProcStat().busy
	p.window = float64(p.Max)
	return p
}

// Run samples the CPU and adjusts the window until ctx ends. It samples
// only while low-priority work runs or waits, since reading /proc/stat
// costs about a percent of a core at this rate; so when an urgent job
// arrives in the middle of a broadcast the baseline is at most one
// Interval old and the first tick already acts on the window. With no
// urgent job about the window opens; with no low-priority work it stays
// as it is.
func (p *LowPacer) Run(ctx context.Context) {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	sampling := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !p.lowActive() {
			sampling = false // nothing to pace: no baseline to keep
			if !p.urgentRecent() {
				p.adjust(0, false)
			}
			continue
		}
		busy, ok := p.sample()
		switch {
		case !p.urgentRecent():
			p.adjust(0, false) // open
		case ok && sampling:
			p.adjust(busy, true)
		}
		sampling = ok
	}
}

// lowActive reports whether low-priority work is in flight or waiting.
func (p *LowPacer) lowActive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight > 0 || p.waiters.Len() > 0
}

// adjust moves the window by one sample: halved when the machine is busy
// and urgent work flows, grown by a tenth (at least one send) when it has
// room, and fully open when no urgent job is about.
func (p *LowPacer) adjust(busy float64, urgent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.window
	switch {
	case !urgent:
		p.window = float64(p.Max)
	case busy > p.Busy:
		// Halve what is used, not an open window nobody fills: a
		// broadcast's 60 sends in flight under a window of 256 would
		// otherwise take two halvings before the first one bites.
		base := p.window
		if n := float64(p.inflight); n > 0 && n < base {
			base = n
		}
		p.window = max(base/2, 1)
	case busy < p.Busy-0.1:
		p.window = min(p.window+max(p.window/10, 1), float64(p.Max))
	}
	if p.window > before {
		p.grant()
	}
	if p.gauge != nil && p.window != before {
		p.gauge.Set(p.window)
	}
}

// grant lets the first waiters in while the window has room; p.mu is
// held.
func (p *LowPacer) grant() {
	for p.inflight < int(p.window) && p.waiters.Len() > 0 {
		ch := p.waiters.Remove(p.waiters.Front()).(chan struct{})
		p.inflight++
		close(ch)
	}
}

// Window is the number of low-priority sends allowed in flight now.
func (p *LowPacer) Window() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(p.window)
}

// acquire waits for room in the window and returns its release. A nil
// pacer admits at once.
func (p *LowPacer) acquire(ctx context.Context) (release func(), err error) {
	if p == nil {
		return func() {}, nil
	}
	p.mu.Lock()
	if p.inflight < int(p.window) && p.waiters.Len() == 0 {
		p.inflight++
		p.mu.Unlock()
		return p.release, nil
	}
	ch := make(chan struct{})
	el := p.waiters.PushBack(ch)
	p.mu.Unlock()
	select {
	case <-ch:
		return p.release, nil
	case <-ctx.Done():
		p.mu.Lock()
		select {
		case <-ch: // granted meanwhile: give the room back
			p.mu.Unlock()
			p.release()
		default:
			p.waiters.Remove(el)
			p.mu.Unlock()
		}
		return nil, ctx.Err()
	}
}

func (p *LowPacer) release() {
	p.mu.Lock()
	p.inflight--
	p.grant()
	p.mu.Unlock()
}

// procStat reads the machine's CPU time from /proc/stat.
type procStat struct {
	busyTicks, totalTicks uint64
	ok                    bool
}

func newProcStat() *procStat {
	s := &procStat{}
	s.busy() // the baseline
	return s
}

// busy returns the share of CPU time not idle since the previous call.
func (s *procStat) busy() (float64, bool) {
	c, ok := procstat.Read()
	if !ok {
		return 0, false
	}
	busy, total := c.Busy(), c.Total
	prev := *s
	s.busyTicks, s.totalTicks, s.ok = busy, total, true
	if !prev.ok || total <= prev.totalTicks || busy < prev.busyTicks {
		return 0, false
	}
	return float64(busy-prev.busyTicks) / float64(total-prev.totalTicks), true
}

// parseCPULine reads the first line of /proc/stat ("cpu  user nice system
// idle iowait irq softirq steal …", in clock ticks): busy is everything
// but idle and iowait.
func parseCPULine(b []byte) (busy, total uint64, ok bool) {
	c, ok := procstat.Parse(b)
	return c.Busy(), c.Total, ok
}
