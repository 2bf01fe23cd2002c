package dispatcher

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// MemoryGuard keeps headroom in Redis for draining the queue. A queue's
// Redis runs with maxmemory and the noeviction policy; once intake has used
// the last byte, Redis refuses the writes workers need too. The guard
// samples INFO memory (at most once per Interval, in the background, one
// sample shared by every request of the process) and reports Full from
// the moment used_memory reaches High·maxmemory until it falls below
// Low·maxmemory. The API refuses new jobs while Full (503 + Retry-After);
// workers never look at it, so they keep draining.
type MemoryGuard struct {
	rdb      redis.UniversalClient
	high     float64
	low      float64
	interval time.Duration
	log      *slog.Logger

	mu       sync.Mutex
	full     bool
	ratio    float64
	used     int64
	maxBytes int64
	warned   bool
	// added is what this process queued since the last sample (an
	// estimate of the bytes): between two samples at 9 000 jobs/s intake
	// could otherwise overshoot the high-water mark by megabytes.
	added atomic.Int64

	ratioGauge prometheus.Gauge
	refused    prometheus.Counter
	stop       chan struct{}
	stopped    chan struct{}
	once       sync.Once
}

// GuardConfig tunes a MemoryGuard. Zero values are the defaults.
type GuardConfig struct {
	// High and Low are the water marks as fractions of maxmemory
	// (defaults 0.85 and 0.75).
	High, Low float64
	// Interval is the sampling period (default 1s).
	Interval time.Duration
	Log      *slog.Logger
	// Registerer receives pushd_redis_memory_ratio and
	// pushd_intake_refused_total{reason="redis_full"}; nil registers none.
	Registerer prometheus.Registerer
}

// NewMemoryGuard starts sampling rdb; Close stops it.
func NewMemoryGuard(rdb redis.UniversalClient, cfg GuardConfig) *MemoryGuard {
	if cfg.High <= 0 || cfg.High > 1 {
		cfg.High = 0.85
	}
	if cfg.Low <= 0 || cfg.Low >= cfg.High {
		cfg.Low = cfg.High - 0.10
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	g := &MemoryGuard{rdb: rdb, high: cfg.High, low: cfg.Low, interval: cfg.Interval, log: cfg.Log,
		stop: make(chan struct{}), stopped: make(chan struct{}),
		ratioGauge: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "pushd", Name: "redis_memory_ratio",
			Help: "Redis used_memory / maxmemory as last sampled (0 when maxmemory is not set)."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "pushd", Name: "intake_refused_total",
			Help: "Jobs refused at intake, by reason.", ConstLabels: prometheus.Labels{"reason": "redis_full"}}),
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(g.ratioGauge, g.refused)
	}
	g.sample(context.Background())
	go g.loop()
	return g
}

// Close stops sampling; later calls do nothing.
func (g *MemoryGuard) Close() {
	g.once.Do(func() { close(g.stop) })
	<-g.stopped
}

// Full reports whether intake must refuse new jobs, and counts a refusal
// when it must: the last sample is above the high-water mark, or would be
// with what this process queued since.
func (g *MemoryGuard) Full() bool {
	g.mu.Lock()
	full := g.full
	if !full && g.maxBytes > 0 {
		full = float64(g.used+g.added.Load()) >= g.high*float64(g.maxBytes)
	}
	g.mu.Unlock()
	if full {
		g.refused.Inc()
	}
	return full
}

// jobOverhead is what Redis spends on a pending job besides its JSON
// (stream entry, dedupe member), measured with pushd bench.
const jobOverhead = 256

// Added tells the guard that jobs of n bytes of JSON were queued.
func (g *MemoryGuard) Added(jobs, n int) { g.added.Add(int64(n + jobs*jobOverhead)) }

// State returns the last sample: used/max ratio, maxmemory (0 = none), and
// whether the guard is refusing jobs.
func (g *MemoryGuard) State() (ratio float64, maxmemory int64, full bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ratio, g.maxBytes, g.full
}

func (g *MemoryGuard) loop() {
	defer close(g.stopped)
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), g.interval)
			g.sample(ctx)
			cancel()
		}
	}
}

// sample reads INFO memory and moves between the water marks. A failed
// sample keeps the last state: the guard is not a health check.
func (g *MemoryGuard) sample(ctx context.Context) {
	info, err := g.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return
	}
	// Redis measures maxmemory against used_memory less its AOF and
	// replication buffers (mem_not_counted_for_evict); so does the guard.
	used := infoInt(info, "used_memory") - infoInt(info, "mem_not_counted_for_evict")
	maxm := infoInt(info, "maxmemory")
	g.mu.Lock()
	defer g.mu.Unlock()
	g.added.Store(0)
	g.maxBytes, g.used = maxm, used
	if maxm <= 0 {
		g.ratio, g.full = 0, false
		if !g.warned {
			g.warned = true
			g.log.Warn("Redis has no maxmemory: it can grow without bound and pushd cannot keep headroom for draining",
				"hint", "set maxmemory (e.g. 75% of the host's RAM) and maxmemory-policy noeviction; see docs/operations.md")
		}
		return
	}
	g.ratio = float64(used) / float64(maxm)
	g.ratioGauge.Set(g.ratio)
	switch {
	case !g.full && g.ratio >= g.high:
		g.full = true
		g.log.Warn("Redis memory above the high-water mark: refusing new jobs until it drains",
			"used_memory", used, "maxmemory", maxm, "high_water", g.high, "low_water", g.low)
	case g.full && g.ratio < g.low:
		g.full = false
		g.log.Info("Redis memory below the low-water mark: taking new jobs again", "used_memory", used, "maxmemory", maxm)
	}
}

// infoInt returns the integer field name of an INFO reply, 0 if absent.
func infoInt(info, name string) int64 {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}
