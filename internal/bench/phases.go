package bench

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// pending is what the pending-jobs phase measured.
type pending struct {
	jobs    int
	devices int64
	// bytes is the growth of Redis used_memory while the jobs were queued
	// with no worker running.
	bytes int64
}

// pendingPhase runs `pushd api` (no worker): it uploads the certificates,
// registers the shape's devices, then queues o.Pending jobs and measures
// what they cost Redis while they wait. The API process is stopped before
// returning; the jobs stay queued for the worker of the measured phase.
func (r *runner) pendingPhase(ctx context.Context, cfg string, e *env, info *FakeInfo, rdb *redis.Client, ctl *control) (pending, error) {
	c, base, err := r.startPushd(ctx, "api", cfg)
	if err != nil {
		return pending{}, err
	}
	defer c.stop(10 * time.Second)
	e.useAPI(base)
	if err := e.uploadCerts(ctx, info); err != nil {
		return pending{}, err
	}
	if err := r.sh.setup(ctx, e); err != nil {
		return pending{}, err
	}
	p := pending{jobs: r.o.Pending}
	if p.jobs == 0 {
		return p, nil
	}
	e.prefix, e.offset = "pending", 10_000_000
	before, err := redisInfo(ctx, rdb)
	if err != nil {
		return p, err
	}
	post := &poster{e: e, shape: r.sh, posters: r.o.Posters}
	if err := post.run(ctx, p.jobs); err != nil {
		return p, err
	}
	after, err := redisInfo(ctx, rdb)
	if err != nil {
		return p, err
	}
	p.bytes = after.UsedMemory - before.UsedMemory
	for i := range p.jobs {
		for _, n := range r.sh.devices(e, i) {
			p.devices += int64(n)
		}
	}
	return p, nil
}

// measuredPhase runs `pushd serve`, lets it drain the pending jobs, then
// posts the run's jobs and measures everything until the fake has every
// delivery.
func (r *runner) measuredPhase(ctx context.Context, cfg string, e *env, rdb *redis.Client, ctl *control, pend pending) (*Result, error) {
	srv, base, err := r.startPushd(ctx, "serve", cfg)
	if err != nil {
		return nil, err
	}
	e.useAPI(base)
	e.http = newHTTPClient(r.o.Posters)
	if pend.jobs > 0 {
		if err := r.awaitDevices(ctx, ctl, pend.devices); err != nil {
			return nil, fmt.Errorf("draining the pending jobs: %w", err)
		}
		sleep(ctx, r.o.Settle)
	}
	if err := ctl.reset(ctx); err != nil {
		return nil, err
	}
	e.prefix, e.offset = "run", 0
	want := r.expected(e)
	calBefore := Calibrate()
	// The peak so far is the start and the drain of the pending jobs; it
	// is kept, and the run's own peak measured from here.
	drainPeak, _ := PeakRSS(srv.pid())
	runPeakOK := ResetPeakRSS(srv.pid()) == nil
	before, err := snapshotOf(ctx, rdb, srv.pid(), r.fakePID)
	if err != nil {
		return nil, err
	}
	post := &poster{e: e, shape: r.sh, posters: r.o.Posters, rate: r.o.Rate}
	start := time.Now()
	stats, waitErr := r.awaitRun(ctx, ctl, post, want, start)
	end, endErr := cpuNow(srv.pid(), r.fakePID)
	calAfter := Calibrate()
	if waitErr == nil {
		sleep(ctx, r.o.Settle)
	}
	// The last readings are taken even after Ctrl-C or a timeout, so that
	// a partial result can be printed with the error.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	after, err := redisInfo(mctx, rdb)
	if err != nil {
		return nil, firstErr(waitErr, err)
	}
	runPeak, rssErr := PeakRSS(srv.pid())
	res := r.result(stats, want, start)
	res.setProcess(end.cpu-before.cpu, max(drainPeak, runPeak), firstErr(endErr, rssErr))
	if runPeakOK {
		res.RunPeakRSS = runPeak
	}
	res.setRedis(before.info, after, pend, post.posted.Load())
	if endErr == nil {
		res.setBox(end.cpu-before.cpu, end.fake-before.fake, end.loader-before.loader, after.CPU-before.info.CPU, r.o.Redis != "")
		res.Box.Steal = round(StealShare(before.machine, end.machine), 3)
		res.Box.CalibrationMS = [2]float64{round(calBefore.Seconds()*1000, 1), round(calAfter.Seconds()*1000, 1)}
	}
	return res, waitErr
}

// expected returns the deliveries the run's jobs should make, per vendor;
// a hung vendor is expected to receive nothing.
func (r *runner) expected(e *env) map[vendors.Vendor]int64 {
	want := map[vendors.Vendor]int64{}
	for i := range r.o.Jobs {
		for v, n := range r.sh.devices(e, i) {
			if r.o.Hang && v == r.o.Slow {
				continue
			}
			want[v] += int64(n)
		}
	}
	return want
}

// awaitDevices waits until the fakes received n devices in all.
func (r *runner) awaitDevices(ctx context.Context, ctl *control, n int64) error {
	return poll(ctx, r.o.Timeout, func() (bool, error) {
		st, err := ctl.stats(ctx)
		return err == nil && st.Devices() >= n, err
	})
}

// awaitRun posts the jobs and waits until every expected delivery reached
// its fake, printing progress; it returns the fakes' final stats.
func (r *runner) awaitRun(ctx context.Context, ctl *control, post *poster, want map[vendors.Vendor]int64, start time.Time) (Stats, error) {
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	posted := make(chan error, 1)
	go func() { posted <- post.run(ctx, r.o.Jobs) }()
	prog := &progress{w: r.o.Progress, total: total(want), jobs: r.o.Jobs, start: start}
	defer prog.done()
	var postErr error
	postDone := false
	for {
		st, err := ctl.stats(ctx)
		if err == nil {
			prog.show(st.Devices(), post.posted.Load())
			if complete(st, want) && postDone {
				return st, nil
			}
		}
		select {
		case postErr = <-posted:
			postDone = true
			if postErr != nil {
				return st, postErr
			}
		case <-ctx.Done():
			return st, fmt.Errorf("%w: %d of %d devices delivered, %d of %d jobs enqueued",
				ctx.Err(), st.Devices(), total(want), post.posted.Load(), r.o.Jobs)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// complete reports whether every vendor received what it should.
func complete(st Stats, want map[vendors.Vendor]int64) bool {
	for v, n := range want {
		if st.Vendors[string(v)].Devices < n {
			return false
		}
	}
	return true
}

func total(want map[vendors.Vendor]int64) int64 {
	var n int64
	for _, w := range want {
		n += w
	}
	return n
}

// snapshot is the state read before the measured run: Redis's figures
// and the CPU time so far of pushd, the fake vendor and the bench itself.
type snapshot struct {
	info              Info
	cpu, fake, loader time.Duration
	// machine is /proc/stat's totals (zero where there is none).
	machine MachineTicks
}

func snapshotOf(ctx context.Context, rdb *redis.Client, pid, fakePID int) (snapshot, error) {
	in, err := redisInfo(ctx, rdb)
	if err != nil {
		return snapshot{}, err
	}
	s, err := cpuNow(pid, fakePID)
	s.info = in
	return s, err
}

// cpuNow reads the CPU time so far of pushd, the fake vendor and the
// bench, and the machine's, when the run starts and when its last
// delivery was seen (Redis's is read with its INFO: at the end after the
// settle pause, when it is idle).
func cpuNow(pid, fakePID int) (snapshot, error) {
	var s snapshot
	var errs [3]error
	s.cpu, errs[0] = CPUTime(pid)
	s.fake, errs[1] = CPUTime(fakePID)
	s.loader, errs[2] = CPUTime(os.Getpid())
	s.machine, _ = ReadMachineTicks() // not every system has it: no steal figure then
	return s, firstErr(errs[:]...)
}

// redisInfo reads used_memory, commandstats and the server's CPU time.
func redisInfo(ctx context.Context, rdb *redis.Client) (Info, error) {
	s, err := rdb.Info(ctx, "memory", "commandstats", "cpu").Result()
	if err != nil {
		return Info{}, fmt.Errorf("redis INFO: %w", err)
	}
	return ParseInfo(s)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
