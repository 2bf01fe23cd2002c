package dispatcher

import (
	"sync"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Breakers are per-certificate circuit breakers: after Threshold consecutive
// requests that failed with a retryable error (the vendor is down), the
// certificate's sends stop for Cooldown, doubling up to MaxCooldown while the
// vendor stays down. After the cooldown one probe goes through (half-open);
// a success closes the breaker. A dead vendor so costs a few probes, not the
// whole queue's worth of requests; the sends held back are waits, not
// failed attempts, so they burn no retries (the job's expire_at bounds
// them). Each process keeps its own breakers.
type Breakers struct {
	Threshold   int
	Cooldown    time.Duration
	MaxCooldown time.Duration
	Now         func() time.Time

	mu    sync.Mutex
	state map[int64]*breaker
}

type breaker struct {
	failures  int
	openUntil time.Time
	cooldown  time.Duration
	probing   bool
}

// NewBreakers returns breakers with the given threshold and cooldowns.
func NewBreakers(threshold int, cooldown, maxCooldown time.Duration) *Breakers {
	return &Breakers{Threshold: threshold, Cooldown: cooldown, MaxCooldown: maxCooldown, state: map[int64]*breaker{}}
}

func (b *Breakers) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// Wait returns how long sends through cert must still wait, 0 when a send
// may go (closed, or this caller is the half-open probe).
func (b *Breakers) Wait(cert int64) time.Duration {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[cert]
	if s == nil || s.openUntil.IsZero() {
		return 0
	}
	if w := s.openUntil.Sub(b.now()); w > 0 {
		return w
	}
	if s.probing {
		return probeWait(s.cooldown)
	}
	s.probing = true
	return 0
}

// probeWait is how long other sends wait while the half-open probe is in
// flight: the probe takes one request's time, so they come back soon and
// follow it through a closed breaker, or meet the next cooldown.
func probeWait(cooldown time.Duration) time.Duration { return min(cooldown, time.Second) }

// Record feeds the results of one request through cert.
func (b *Breakers) Record(cert int64, rs []vendors.Result) {
	if b == nil || len(rs) == 0 {
		return
	}
	down := true
	for _, r := range rs {
		if r.Kind() != vendors.Retryable {
			down = false
			break
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[cert]
	if s == nil {
		s = &breaker{}
		b.state[cert] = s
	}
	if !down {
		*s = breaker{}
		return
	}
	s.failures++
	if s.probing || s.failures >= b.Threshold {
		switch {
		case s.cooldown == 0:
			s.cooldown = b.Cooldown
		case s.probing:
			s.cooldown = min(2*s.cooldown, b.MaxCooldown)
		}
		s.openUntil = b.now().Add(s.cooldown)
		s.probing = false
	}
}

// Open reports whether cert's breaker is open now.
func (b *Breakers) Open(cert int64) bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[cert]
	return s != nil && b.now().Before(s.openUntil)
}

// Holding returns how long sends through cert are held back, without
// claiming the half-open probe: the rest of the cooldown while open, a
// short wait while a probe is in flight, 0 when a send may try Wait.
func (b *Breakers) Holding(cert int64) time.Duration {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.state[cert]
	if s == nil || s.openUntil.IsZero() {
		return 0
	}
	if w := s.openUntil.Sub(b.now()); w > 0 {
		return w
	}
	if s.probing {
		return probeWait(s.cooldown)
	}
	return 0
}
