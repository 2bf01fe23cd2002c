package api

import (
	"sync"
	"time"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
)

// appLimiter admits each app's jobs through a token bucket of its own, in
// this API process: N API processes behind a balancer admit up to N times
// an app's rate. That bounds what one app can queue ahead of the others
// without a Redis round trip per request.
type appLimiter struct {
	limits configs.Limits
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; full buckets (idle apps) are
// forgotten first, which admits exactly what keeping them would.
const maxBuckets = 10000

func newAppLimiter(l configs.Limits, now func() time.Time) *appLimiter {
	return &appLimiter{limits: l, now: now, buckets: map[string]*bucket{}}
}

// admit takes n jobs from app's bucket. It returns 0 when admitted, or how
// long until n jobs would be.
func (l *appLimiter) admit(app string, n int) time.Duration {
	lim := l.limits.For(app)
	if lim.JobsPerSecond <= 0 {
		return 0
	}
	burst := float64(lim.Burst)
	if burst <= 0 {
		burst = max(lim.JobsPerSecond, 1)
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[app]
	if b == nil {
		l.evict(now)
		b = &bucket{tokens: burst, last: now}
		l.buckets[app] = b
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*lim.JobsPerSecond)
	b.last = now
	if need := float64(n); b.tokens < need {
		if need > burst {
			need = burst
		}
		return time.Duration((need - b.tokens) / lim.JobsPerSecond * float64(time.Second))
	}
	b.tokens -= float64(n)
	return 0
}

// evict drops buckets that have refilled when the map is full; called with
// l.mu held.
func (l *appLimiter) evict(now time.Time) {
	if len(l.buckets) < maxBuckets {
		return
	}
	for app, b := range l.buckets {
		lim := l.limits.For(app)
		if now.Sub(b.last).Seconds()*lim.JobsPerSecond >= float64(max(lim.Burst, int(lim.JobsPerSecond), 1)) {
			delete(l.buckets, app)
		}
	}
	if len(l.buckets) >= maxBuckets {
		// Every app is busy: forget one arbitrary bucket rather than grow.
		for app := range l.buckets {
			delete(l.buckets, app)
			break
		}
	}
}

// checkJobLimits applies the app's size limits to a decoded job: a 400
// naming the limit.
func (s *Server) checkJobLimits(j *dispatcher.Job) error {
	lim := s.Limits.For(j.AppID)
	switch {
	case lim.MaxRecipients > 0 && len(j.Recipients) > lim.MaxRecipients:
		return badRequest("recipients", "%d recipients, more than this app's limit (limits.max_recipients = %d)", len(j.Recipients), lim.MaxRecipients)
	case lim.MaxDevices > 0 && len(j.Devices) > lim.MaxDevices:
		return badRequest("devices", "%d devices, more than this app's limit (limits.max_devices = %d)", len(j.Devices), lim.MaxDevices)
	}
	return nil
}

// admitJobs applies each job's limits to jobs about to be enqueued: the
// size limits of each job, then the app's rate for all of them at once. It
// returns the error to answer (400 naming the limit, 429 with
// Retry-After), nil to go on. POST /v1/messages calls it; so should every
// other enqueue route.
func (s *Server) admitJobs(jobs ...*dispatcher.Job) error {
	per := map[string]int{}
	for _, j := range jobs {
		if err := s.checkJobLimits(j); err != nil {
			return err
		}
		per[j.AppID]++
	}
	for app, n := range per {
		if wait := s.limiter.admit(app, n); wait > 0 {
			return tooMany(wait, "app %s is over its rate (limits.jobs_per_second = %g)", app, s.Limits.For(app).JobsPerSecond)
		}
	}
	return nil
}
