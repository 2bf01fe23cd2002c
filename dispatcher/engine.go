package dispatcher

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/semaphore"
)

// EngineConfig configures an Engine. Zero values are the documented
// defaults.
type EngineConfig struct {
	// Redis, Stream and Handler are required: the job stream and the
	// stages that run a job.
	Redis   redis.UniversalClient
	Stream  *JobStream
	Handler *Handler
	// Events receives each job's events in the pipeline that acknowledges
	// the job; Also (the webhook) gets them once written. Nil Events
	// writes no events.
	Events *StreamSink
	Also   EventSink
	// Consumer names this worker in the consumer group; default
	// hostname-pid-random.
	Consumer string
	// MaxJobs bounds the jobs this process works on at once (default
	// 1000). A job waiting on a vendor holds one of these and a slot of
	// its vendor's bulkhead, nothing else.
	MaxJobs int
	// MaxDeliveries bounds the recipients and devices of the jobs this
	// process works on at once (default 20 000): a job of 1 000 recipients
	// weighs 1 000, so fifty group broadcasts cannot hold fifty thousand
	// rendered notifications in memory together. A job larger than the
	// bound runs alone.
	MaxDeliveries int
	// ReadBatch bounds the entries taken per read (default 128).
	ReadBatch int
	// ClaimIdle is how long an entry may go untouched before another
	// worker takes it over: its worker is presumed dead (default 30s).
	// Entries a live worker still holds are touched every ClaimIdle/3.
	ClaimIdle time.Duration
	// ShutdownTimeout bounds how long running jobs may take once Run's
	// context ends (default 25s); unfinished ones are handed back at once.
	ShutdownTimeout time.Duration
	Log             *slog.Logger
}

// Engine works the job stream: it reads new jobs in batches, runs each
// through the stages (decode → resolve → plan → send → record) with at
// most MaxJobs at once, and acknowledges each job with its events in a
// shared pipeline. It takes over the jobs of dead workers, and on shutdown
// hands back what it could not finish.
type Engine struct {
	cfg    EngineConfig
	h      *Handler
	stream *JobStream
	log    *slog.Logger
	commit *committer
	slots  chan struct{}
	weight *semaphore.Weighted

	mu   sync.Mutex
	held map[string]time.Time
	wg   sync.WaitGroup
	// abandoned is set once unfinished jobs were handed back on shutdown:
	// their outcomes are dropped, since they run again elsewhere.
	abandoned atomic.Bool
}

// NewEngine returns an Engine; Run starts it.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.Redis == nil || cfg.Stream == nil || cfg.Handler == nil {
		return nil, fmt.Errorf("dispatcher: NewEngine needs Redis, Stream and Handler")
	}
	if cfg.MaxJobs <= 0 {
		cfg.MaxJobs = 1000
	}
	if cfg.ReadBatch <= 0 {
		cfg.ReadBatch = 128
	}
	if cfg.MaxDeliveries <= 0 {
		cfg.MaxDeliveries = 20000
	}
	if cfg.ClaimIdle <= 0 {
		cfg.ClaimIdle = 30 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 25 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Consumer == "" {
		cfg.Consumer = consumerName()
	}
	return &Engine{cfg: cfg, h: cfg.Handler, stream: cfg.Stream, log: cfg.Log,
		slots: make(chan struct{}, cfg.MaxJobs), weight: semaphore.NewWeighted(int64(cfg.MaxDeliveries)),
		held: map[string]time.Time{}}, nil
}

func consumerName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Run works the stream until ctx ends, then shuts down gracefully.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.stream.ensureGroup(ctx); err != nil {
		return err
	}
	e.commit = newCommitter(e.cfg.Redis, e.stream, e.cfg.Events, e.cfg.Also, e.log)
	// Jobs keep running past ctx for the shutdown timeout.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	go e.maintain(ctx, jobCtx)
	e.readLoop(ctx, jobCtx)
	e.shutdown(cancelJobs)
	return nil
}

// readLoop takes new entries while there are free job slots.
func (e *Engine) readLoop(ctx, jobCtx context.Context) {
	pause := 50 * time.Millisecond
	for ctx.Err() == nil {
		n := e.acquire(ctx, e.cfg.ReadBatch)
		if n == 0 {
			return
		}
		es, err := e.stream.read(ctx, e.cfg.Consumer, int64(n), 2*time.Second)
		e.release(n - len(es))
		if err != nil && ctx.Err() == nil {
			if isNoGroup(err) {
				// The stream was deleted (FLUSHALL, a new Redis): make it again.
				e.stream.ensureGroup(ctx)
			}
			e.log.Warn("could not read jobs from Redis; retrying", "err", err, "pause", pause)
			sleepCtx(ctx, pause)
			pause = min(pause*2, 2*time.Second)
			continue
		}
		pause = 50 * time.Millisecond
		for _, en := range es {
			e.start(jobCtx, en)
		}
	}
}

// acquire takes between 1 and n job slots, waiting for the first.
func (e *Engine) acquire(ctx context.Context, n int) int {
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	return 1 + e.tryAcquire(n-1)
}

func (e *Engine) release(n int) {
	for range n {
		<-e.slots
	}
}

// start runs one entry in its own goroutine; its slot is already taken.
func (e *Engine) start(ctx context.Context, en entry) {
	e.mu.Lock()
	e.held[en.id] = time.Now()
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer e.release(1)
		// The entry stays held (and so kept fresh, and never taken over
		// by this worker's own reclaim) until its outcome is written.
		defer func() {
			e.mu.Lock()
			delete(e.held, en.id)
			e.mu.Unlock()
		}()
		op := e.run(ctx, en)
		if op == nil || e.abandoned.Load() {
			return // handed back: another run does it
		}
		op.ack = en.id
		op.done = make(chan struct{})
		e.commit.submit(op)
		<-op.done
	}()
}

// run runs one job, recovering from a panic of the stages: the job is then
// handed to asynq, which archives it with the panic as its reason.
func (e *Engine) run(ctx context.Context, en entry) (op *commitOp) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("job panicked; archiving it", "entry", en.id, "panic", fmt.Sprint(p))
			op = e.h.slowPath(ctx, en.payload, fmt.Sprintf("panic: %v", p))
		}
	}()
	return e.h.runStreamJob(ctx, en, e.commit, e.admit)
}

// admit waits until a job of n targets fits within MaxDeliveries and
// returns its release; a job larger than the bound waits for all of it.
func (e *Engine) admit(ctx context.Context, n int) (release func(), err error) {
	w := int64(min(max(n, 1), e.cfg.MaxDeliveries))
	if err := e.weight.Acquire(ctx, w); err != nil {
		return nil, err
	}
	return func() { e.weight.Release(w) }, nil
}

// maintain takes over dead workers' entries and keeps this worker's
// entries from looking dead.
func (e *Engine) maintain(ctx, jobCtx context.Context) {
	every := max(e.cfg.ClaimIdle/3, 100*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	e.reclaim(ctx, jobCtx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.touch(ctx, every)
		e.reclaim(ctx, jobCtx)
	}
}

// touch resets the idle time of entries held for longer than age.
func (e *Engine) touch(ctx context.Context, age time.Duration) {
	var ids []string
	now := time.Now()
	e.mu.Lock()
	for id, since := range e.held {
		if now.Sub(since) >= age {
			ids = append(ids, id)
			e.held[id] = now
		}
	}
	e.mu.Unlock()
	if err := e.stream.touch(ctx, e.cfg.Consumer, ids); err != nil && ctx.Err() == nil {
		e.log.Warn("could not extend the lease of running jobs", "jobs", len(ids), "err", err)
	}
}

// reclaim takes over, while there are free slots, entries idle for longer
// than ClaimIdle. It never waits for a slot (the maintenance loop that
// calls it also keeps this worker's own entries fresh), and it never starts
// again an entry this worker is still running.
func (e *Engine) reclaim(ctx, jobCtx context.Context) {
	for ctx.Err() == nil {
		n := e.tryAcquire(e.cfg.ReadBatch)
		if n == 0 {
			return
		}
		es, gone, err := e.stream.reclaim(ctx, e.cfg.Consumer, e.cfg.ClaimIdle, int64(n))
		if err != nil {
			e.release(n)
			if ctx.Err() == nil && !isNoGroup(err) {
				e.log.Warn("could not take over stale jobs", "err", err)
			}
			return
		}
		for _, id := range gone {
			e.commit.submit(&commitOp{ack: id})
		}
		fresh := es[:0]
		e.mu.Lock()
		for _, en := range es {
			if _, running := e.held[en.id]; !running {
				fresh = append(fresh, en)
			}
		}
		e.mu.Unlock()
		e.release(n - len(fresh))
		if len(fresh) > 0 {
			e.log.Info("took over jobs of a worker that stopped", "jobs", len(fresh))
		}
		for _, en := range fresh {
			e.start(jobCtx, en)
		}
		if len(es)+len(gone) < n {
			return
		}
	}
}

// tryAcquire takes up to n free job slots without waiting.
func (e *Engine) tryAcquire(n int) int {
	got := 0
	for got < n {
		select {
		case e.slots <- struct{}{}:
			got++
		default:
			return got
		}
	}
	return got
}

// shutdown lets running jobs finish within ShutdownTimeout, hands back the
// rest so any worker takes them at once, and flushes the committer.
func (e *Engine) shutdown(cancelJobs context.CancelFunc) {
	finished := make(chan struct{})
	go func() { e.wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(e.cfg.ShutdownTimeout):
		e.mu.Lock()
		ids := make([]string, 0, len(e.held))
		for id := range e.held {
			ids = append(ids, id)
		}
		e.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := e.stream.handBack(ctx, e.cfg.Consumer, ids, e.cfg.ClaimIdle+time.Hour); err != nil {
			e.log.Warn("could not hand back unfinished jobs; another worker takes them after worker.claim_idle", "jobs", len(ids), "err", err)
		} else {
			e.log.Info("handed back unfinished jobs", "jobs", len(ids))
		}
		cancel()
		e.abandoned.Store(true)
		cancelJobs()
		<-finished
	}
	e.commit.close(5 * time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
