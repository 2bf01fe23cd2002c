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
	// ReadAheadBytes bounds the job payload read ahead per priority
	// (default 1 MiB, at least one entry), as ReadBatch bounds the
	// entries: a backlog of large jobs is not held in memory 128 at a
	// time.
	ReadAheadBytes int
	// ReadBatch bounds the entries taken per read and those read ahead
	// per priority (default 128).
	ReadBatch int
	// AppShare is the fraction of MaxJobs and MaxDeliveries one app may
	// hold (worker.app_share; default 0.5, 1 for no bound), so one app's
	// burst leaves room for every other app's jobs. An app's first job
	// always runs.
	AppShare float64
	// ClaimIdle is how long an entry may go untouched before another
	// worker takes it over: its worker is presumed dead (default 30s).
	// Entries a live worker still holds are touched every ClaimIdle/3.
	ClaimIdle time.Duration
	// ShutdownTimeout bounds how long running jobs may take once Run's
	// context ends (default 25s); unfinished ones are handed back at once.
	ShutdownTimeout time.Duration
	// NoPacing turns off the pacing of low-priority sends by spare CPU
	// (LowPacer), which is on by default.
	NoPacing bool
	Log      *slog.Logger
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
	sched  *scheduler

	runners runners

	// urgent counts the running jobs of a priority above low: while any
	// runs, low-priority sends yield (Bulkheads.Urgent).
	urgent atomic.Int64
	// urgentAt is when (unix ns) the last job above low priority started;
	// pacer paces low-priority sends while that is recent.
	urgentAt atomic.Int64
	pacer    *LowPacer

	mu   sync.Mutex
	held map[entryRef]time.Time
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
	if cfg.ReadAheadBytes <= 0 {
		cfg.ReadAheadBytes = defaultReadAheadBytes
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
	if cfg.AppShare <= 0 || cfg.AppShare > 1 {
		cfg.AppShare = 0.5
	}
	e := &Engine{cfg: cfg, h: cfg.Handler, stream: cfg.Stream, log: cfg.Log,
		slots: make(chan struct{}, cfg.MaxJobs), weight: semaphore.NewWeighted(int64(cfg.MaxDeliveries)),
		sched: newScheduler(cfg.MaxJobs, cfg.MaxDeliveries, cfg.AppShare, cfg.ReadBatch),
		held:  map[entryRef]time.Time{}, runners: runners{work: make(chan func()), idle: runnerIdle}}
	e.sched.roomBytes = cfg.ReadAheadBytes
	if b := cfg.Handler.cfg.Bulkheads; b != nil && b.Urgent == nil {
		b.Urgent = func() bool { return e.urgent.Load() > 0 }
		if b.Pacer == nil && !cfg.NoPacing {
			b.Pacer = NewLowPacer(e.urgentRecent)
			if b.Metrics != nil {
				b.Pacer.gauge = b.Metrics.LowWindow
				b.Pacer.gauge.Set(float64(b.Pacer.Max))
			}
		}
		e.pacer = b.Pacer
	}
	return e, nil
}

// runners are the goroutines that run jobs: one that finishes a job waits
// up to idle for the next instead of exiting. A new goroutine starts with
// a small stack that a job grows again, copying it several times (a tenth
// of the worker's CPU at 4 000 one-device jobs a second, in runtime.copystack);
// a kept one has it grown already. At most MaxJobs run, since each job
// holds a slot; the idle ones leave within idle.
type runners struct {
	work chan func()
	idle time.Duration
}

// runnerIdle is how long a runner waits for its next job.
const runnerIdle = 2 * time.Second

// do runs f on an idle runner, or on a new one when none is idle.
func (r *runners) do(f func()) {
	select {
	case r.work <- f:
	default:
		go r.loop(f)
	}
}

func (r *runners) loop(f func()) {
	t := time.NewTimer(r.idle)
	defer t.Stop()
	for {
		f()
		t.Reset(r.idle)
		select {
		case f = <-r.work:
		case <-t.C:
			return
		}
	}
}

// urgentRecent reports whether a job above low priority started within
// the last second.
func (e *Engine) urgentRecent() bool {
	return time.Since(time.Unix(0, e.urgentAt.Load())) < time.Second
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
	go e.maintain(ctx)
	if e.pacer != nil {
		go e.pacer.Run(ctx)
	}
	var readers sync.WaitGroup
	for i := range e.stream.shards {
		readers.Add(1)
		go func() {
			defer readers.Done()
			e.readLoop(ctx, &e.stream.shards[i])
		}()
	}
	e.dispatch(ctx, jobCtx)
	readers.Wait()
	e.shutdown(cancelJobs)
	return nil
}

// readLoop reads new entries of one shard into the scheduler, from the
// streams of the priorities that have room there: one blocking command
// for all of them (a shard's streams share a Redis Cluster slot).
func (e *Engine) readLoop(ctx context.Context, sh *shard) {
	pause := 50 * time.Millisecond
	for ctx.Err() == nil {
		e.sched.waitRoom(ctx)
		prios, n := e.sched.withRoom()
		if len(prios) == 0 {
			continue
		}
		// A read blocks for new jobs while every priority has room; with
		// one full, it blocks only briefly, so the full one is read again
		// as soon as its entries start (a blocked read cannot be woken).
		block := time.Second
		if len(prios) < int(numPriorities) {
			block = fullBlock
		}
		es, err := e.stream.read(ctx, e.cfg.Consumer, sh, prios, int64(min(n, e.cfg.ReadBatch)), block)
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
		e.queue(es)
	}
}

// fullBlock is how long a read blocks while a priority's read-ahead is full.
const fullBlock = 5 * time.Millisecond

// queue holds entries read or taken over and hands them to the
// scheduler. Held entries are kept fresh (touch) until their outcome is
// written, and never taken over by this worker's own reclaim.
func (e *Engine) queue(es []entry) {
	if len(es) == 0 {
		return
	}
	now := time.Now()
	e.mu.Lock()
	for _, en := range es {
		e.held[en.ref()] = now
	}
	e.mu.Unlock()
	e.sched.add(es)
}

// dispatch starts the scheduler's entries as job slots free up.
func (e *Engine) dispatch(ctx, jobCtx context.Context) {
	for {
		select {
		case e.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		en, ok := e.sched.next(ctx)
		if !ok {
			e.release(1)
			return
		}
		e.start(jobCtx, en)
	}
}

func (e *Engine) release(n int) {
	for range n {
		<-e.slots
	}
}

// start runs one entry in its own goroutine; its slot is already taken.
func (e *Engine) start(ctx context.Context, en entry) {
	e.wg.Add(1)
	if en.prio != PriorityLow {
		e.urgent.Add(1)
		e.urgentAt.Store(time.Now().UnixNano())
	}
	e.runners.do(func() {
		defer e.wg.Done()
		defer e.release(1)
		if en.prio != PriorityLow {
			defer e.urgent.Add(-1)
		}
		defer e.sched.done(en)
		defer e.unhold(en.ref())
		op := e.run(ctx, en)
		if op == nil || e.abandoned.Load() {
			return // handed back: another run does it
		}
		op.ack = en.ref()
		op.done = make(chan struct{})
		e.commit.submit(op)
		<-op.done
	})
}

func (e *Engine) unhold(r entryRef) {
	e.mu.Lock()
	delete(e.held, r)
	e.mu.Unlock()
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
	return e.h.runStreamJob(withPriority(ctx, en.prio), en, e.commit, e.admit)
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
func (e *Engine) maintain(ctx context.Context) {
	every := max(e.cfg.ClaimIdle/3, 100*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	e.reclaim(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.touch(ctx, every)
		e.reclaim(ctx)
	}
}

// touch resets the idle time of entries held for longer than age.
func (e *Engine) touch(ctx context.Context, age time.Duration) {
	var refs []entryRef
	now := time.Now()
	e.mu.Lock()
	for r, since := range e.held {
		if now.Sub(since) >= age {
			refs = append(refs, r)
			e.held[r] = now
		}
	}
	e.mu.Unlock()
	if err := e.stream.touch(ctx, e.cfg.Consumer, refs); err != nil && ctx.Err() == nil {
		e.log.Warn("could not extend the lease of running jobs", "jobs", len(refs), "err", err)
	}
}

// reclaim takes over, while the scheduler has room, entries idle for
// longer than ClaimIdle, stream by stream. It never waits (the
// maintenance loop that calls it also keeps this worker's own entries
// fresh), and it never queues again an entry this worker still holds.
func (e *Engine) reclaim(ctx context.Context) {
	for i := range e.stream.shards {
		sh := &e.stream.shards[i]
		for _, p := range byRank {
			e.reclaimStream(ctx, sh.streams[p], p)
		}
	}
}

func (e *Engine) reclaimStream(ctx context.Context, stream string, p Priority) {
	for ctx.Err() == nil {
		room, n := e.sched.roomOf(p)
		if !room {
			return
		}
		n = min(n, e.cfg.ReadBatch)
		es, gone, err := e.stream.reclaim(ctx, e.cfg.Consumer, stream, p, e.cfg.ClaimIdle, int64(n))
		if err != nil {
			if ctx.Err() == nil && !isNoGroup(err) {
				e.log.Warn("could not take over stale jobs", "err", err)
			}
			return
		}
		for _, r := range gone {
			e.commit.submit(&commitOp{ack: r})
		}
		fresh := es[:0]
		e.mu.Lock()
		for _, en := range es {
			if _, running := e.held[en.ref()]; !running {
				fresh = append(fresh, en)
			}
		}
		e.mu.Unlock()
		if len(fresh) > 0 {
			e.log.Info("took over jobs of a worker that stopped", "jobs", len(fresh))
		}
		e.queue(fresh)
		if len(es)+len(gone) < n {
			return
		}
	}
}

// shutdown lets running jobs finish within ShutdownTimeout, hands back the
// rest so any worker takes them at once, and flushes the committer.
func (e *Engine) shutdown(cancelJobs context.CancelFunc) {
	// Entries read but not started go back at once.
	if queued := e.sched.drain(); len(queued) > 0 {
		refs := make([]entryRef, len(queued))
		for i, en := range queued {
			refs[i] = en.ref()
			e.unhold(refs[i])
		}
		e.handBack(refs)
	}
	finished := make(chan struct{})
	go func() { e.wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(e.cfg.ShutdownTimeout):
		e.mu.Lock()
		refs := make([]entryRef, 0, len(e.held))
		for r := range e.held {
			refs = append(refs, r)
		}
		e.mu.Unlock()
		e.handBack(refs)
		e.abandoned.Store(true)
		cancelJobs()
		<-finished
	}
	e.commit.close(5 * time.Second)
}

// handBack makes refs claimable by any worker at once.
func (e *Engine) handBack(refs []entryRef) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := e.stream.handBack(ctx, e.cfg.Consumer, refs, e.cfg.ClaimIdle+time.Hour); err != nil {
		e.log.Warn("could not hand back unfinished jobs; another worker takes them after worker.claim_idle", "jobs", len(refs), "err", err)
	} else {
		e.log.Info("handed back unfinished jobs", "jobs", len(refs))
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
