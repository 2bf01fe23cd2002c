package bench

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Result is what `pushd bench` reports (docs/benchmarks.md explains each
// figure).
type Result struct {
	Shape string `json:"shape"`
	Jobs  int    `json:"jobs"`
	// Rate is the target jobs/s of a steady-rate run, 0 when as fast as
	// possible; Slow describes the bulkhead scenario ("huawei=3s",
	// "huawei hang").
	Rate float64 `json:"rate,omitempty"`
	Slow string  `json:"slow,omitempty"`
	// Settings are the pushd settings the run changed (--set).
	Settings []string `json:"settings,omitempty"`
	// Expected and Delivered count devices (a device reached twice counts
	// twice in Delivered).
	Expected  int64 `json:"expected_devices"`
	Delivered int64 `json:"delivered_devices"`
	// Seconds is from the first enqueue to the last delivery at a fake;
	// PushesPerSec is Delivered / Seconds.
	Seconds      float64 `json:"seconds"`
	PushesPerSec float64 `json:"pushes_per_sec"`
	// CPUMicrosPerPush is the pushd serve process's user + system CPU
	// during the run, per delivered device.
	CPUMicrosPerPush float64 `json:"cpu_us_per_push"`
	// PeakRSS is VmHWM of the pushd serve process, bytes: its whole life,
	// start and the drain of the pending jobs included.
	PeakRSS int64 `json:"peak_rss_bytes"`
	// RunPeakRSS is its peak during the measured run alone (VmHWM reset
	// when the run starts), 0 where the peak cannot be reset.
	RunPeakRSS int64 `json:"run_peak_rss_bytes,omitempty"`
	// Latency is enqueue → vendor, over every delivered device.
	Latency Latency `json:"latency"`
	// Vendors breaks deliveries and latency down per vendor.
	Vendors map[string]VendorResult `json:"vendors"`
	// RedisCommandsPerJob is the growth of INFO commandstats calls during
	// the run, per job (Redis round trips are not observable from outside).
	RedisCommandsPerJob float64 `json:"redis_commands_per_job"`
	// RedisBytesPerCompletedJob is the growth of used_memory from before
	// the run to after its drain settled, per job.
	RedisBytesPerCompletedJob float64 `json:"redis_bytes_per_completed_job"`
	// RedisBytesPerPendingJob is the growth of used_memory while
	// PendingJobs jobs were queued with no worker, per job.
	RedisBytesPerPendingJob float64 `json:"redis_bytes_per_pending_job,omitempty"`
	PendingJobs             int     `json:"pending_jobs"`
	// Box is the CPU every process of the run spent per delivered push,
	// and so the throughput the machine's cores allow at those costs.
	Box *Box `json:"box,omitempty"`
	// Warning notes a figure that could not be measured.
	Warning string `json:"warning,omitempty"`
}

// VendorResult is one vendor's share of a run.
type VendorResult struct {
	Expected  int64   `json:"expected_devices"`
	Delivered int64   `json:"delivered_devices"`
	Refused   int64   `json:"refused_requests"`
	Latency   Latency `json:"latency"`
}

// result builds the Result of a run from the fakes' stats.
func (r *runner) result(st Stats, want map[vendors.Vendor]int64, start time.Time) *Result {
	res := &Result{Shape: r.o.Shape, Jobs: r.o.Jobs, Rate: r.o.Rate, Settings: r.o.Settings, Expected: total(want), Vendors: map[string]VendorResult{}}
	if r.o.Slow != "" {
		res.Slow = fmt.Sprintf("%s=%s", r.o.Slow, r.o.SlowDelay)
		if r.o.Hang {
			res.Slow = string(r.o.Slow) + " hang"
		}
	}
	var all Histogram
	var last int64
	names := map[string]bool{}
	for v := range want {
		names[string(v)] = true
	}
	if r.o.Slow != "" {
		names[string(r.o.Slow)] = true // a hung vendor is shown with nothing delivered
	}
	for name, vs := range st.Vendors {
		names[name] = names[name] || vs.Devices > 0 || vs.Refused > 0
	}
	for name := range names {
		vs := st.Vendors[name]
		res.Vendors[name] = VendorResult{Expected: want[vendors.Vendor(name)], Delivered: vs.Devices, Refused: vs.Refused,
			Latency: vs.Latency.Summary()}
		res.Delivered += vs.Devices
		all.Merge(vs.Latency)
		last = max(last, vs.Last)
	}
	res.Latency = all.Summary()
	if last > 0 {
		res.Seconds = round(time.Unix(0, last).Sub(start).Seconds(), 3)
		res.PushesPerSec = round(float64(res.Delivered)/res.Seconds, 0)
	}
	return res
}

// setProcess records the server's CPU and peak RSS.
func (res *Result) setProcess(cpu time.Duration, rss int64, err error) {
	if err != nil {
		res.Warning = "server process figures: " + err.Error()
		return
	}
	if res.Delivered > 0 {
		res.CPUMicrosPerPush = round(float64(cpu)/float64(time.Microsecond)/float64(res.Delivered), 1)
	}
	res.PeakRSS = rss
}

// Box is where the machine's CPU went during a run, per delivered push.
// pushd, Redis, the fake vendor and the bench (the HTTP posters and the
// progress poll) share the cores, so the sum bounds the throughput: with
// the cores all busy, PushesPerSec cannot pass CeilingPushesPerSec
// whatever one process saves.
type Box struct {
	Cores        int     `json:"cores"`
	PushdMicros  float64 `json:"pushd_us_per_push"`
	RedisMicros  float64 `json:"redis_us_per_push"`
	FakeMicros   float64 `json:"fake_vendor_us_per_push"`
	LoaderMicros float64 `json:"bench_us_per_push"`
	TotalMicros  float64 `json:"total_us_per_push"`
	// Busy is the share of the cores the four used over the run.
	Busy float64 `json:"busy"`
	// CeilingPushesPerSec is Cores / TotalMicros: the pushes/s at which
	// the cores would be all busy at this run's costs.
	CeilingPushesPerSec float64 `json:"ceiling_pushes_per_sec"`
	// Steal is the share of the machine's CPU time the hypervisor gave
	// other guests during the run (/proc/stat): on a shared virtual
	// machine, a run with much of it measured a slower machine.
	Steal float64 `json:"steal"`
	// CalibrationMS is how long one core took for a fixed piece of work
	// (Calibrate) just before the run, and again just after: a larger
	// figure than usual means a slower machine, stolen time or not.
	CalibrationMS [2]float64 `json:"calibration_ms"`
	// SharedRedis is set when the run used --redis: that server's CPU may
	// include other clients' work.
	SharedRedis bool `json:"shared_redis,omitempty"`
}

// stealWarn is the stolen share of CPU time above which the text output
// warns that the run measured a slower machine.
const stealWarn = 0.05

// setBox records the CPU of each process over the run.
func (res *Result) setBox(pushd, fake, loader, redis time.Duration, shared bool) {
	if res.Delivered == 0 {
		return
	}
	per := func(d time.Duration) float64 {
		return round(float64(d)/float64(time.Microsecond)/float64(res.Delivered), 1)
	}
	b := &Box{Cores: runtime.NumCPU(), PushdMicros: per(pushd), RedisMicros: per(redis), FakeMicros: per(fake),
		LoaderMicros: per(loader), SharedRedis: shared}
	all := pushd + fake + loader + redis
	b.TotalMicros = per(all)
	if b.TotalMicros > 0 {
		b.CeilingPushesPerSec = round(float64(b.Cores)*1e6/b.TotalMicros, 0)
	}
	if res.Seconds > 0 {
		b.Busy = round(all.Seconds()/(res.Seconds*float64(b.Cores)), 2)
	}
	res.Box = b
}

// setRedis records the Redis figures, per job posted (all of them, unless
// the run was interrupted).
func (res *Result) setRedis(before, after Info, pend pending, posted int64) {
	if posted > 0 {
		res.RedisCommandsPerJob = round(float64(after.Calls-before.Calls)/float64(posted), 1)
		res.RedisBytesPerCompletedJob = round(float64(after.UsedMemory-before.UsedMemory)/float64(posted), 0)
	}
	res.PendingJobs = pend.jobs
	if pend.jobs > 0 {
		res.RedisBytesPerPendingJob = round(float64(pend.bytes)/float64(pend.jobs), 0)
	}
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// WriteText writes res for a terminal.
func (res *Result) WriteText(w io.Writer) {
	head := fmt.Sprintf("pushd bench: shape %s, %d jobs", res.Shape, res.Jobs)
	if res.Rate > 0 {
		head += fmt.Sprintf(" at %g jobs/s", res.Rate)
	}
	if res.Slow != "" {
		head += ", slow vendor " + res.Slow
	}
	if len(res.Settings) > 0 {
		head += ", with " + strings.Join(res.Settings, " ")
	}
	fmt.Fprintf(w, "%s: %d of %d devices delivered\n", head, res.Delivered, res.Expected)
	fmt.Fprintf(w, "  throughput     %.0f pushes/s (%.3f s from the first enqueue to the last delivery)\n", res.PushesPerSec, res.Seconds)
	fmt.Fprintf(w, "  server CPU     %.1f µs per push (pushd serve, user+system)\n", res.CPUMicrosPerPush)
	if res.RunPeakRSS > 0 {
		fmt.Fprintf(w, "  peak RSS       %.1f MB (pushd serve, VmHWM, its drain of the pending jobs included); %.1f MB during the run alone\n",
			float64(res.PeakRSS)/1e6, float64(res.RunPeakRSS)/1e6)
	} else {
		fmt.Fprintf(w, "  peak RSS       %.1f MB (pushd serve, VmHWM)\n", float64(res.PeakRSS)/1e6)
	}
	if b := res.Box; b != nil {
		shared := ""
		if b.SharedRedis {
			shared = ", a shared Redis's CPU may include other clients"
		}
		fmt.Fprintf(w, "  the box        %.1f µs per push in all: pushd %.1f, Redis %.1f, fake vendor %.1f, bench %.1f; %d cores %.0f %% busy, ceiling at these costs %.0f pushes/s%s\n",
			b.TotalMicros, b.PushdMicros, b.RedisMicros, b.FakeMicros, b.LoaderMicros, b.Cores, b.Busy*100, b.CeilingPushesPerSec, shared)
		fmt.Fprintf(w, "  the machine    %.1f %% of its CPU time stolen by other guests; a fixed piece of work took %.1f ms on one core before the run and %.1f ms after\n",
			b.Steal*100, b.CalibrationMS[0], b.CalibrationMS[1])
		if b.Steal >= stealWarn {
			fmt.Fprintf(w, "  warning: %.0f %% of the machine's CPU time went to other virtual machines during the run; its figures measure a slower machine\n", b.Steal*100)
		}
	}
	timed := "enqueue → vendor"
	if res.Shape == ShapeFair {
		// The bulk app's jobs are posted unstamped: only the one-to-one
		// jobs are timed.
		timed += ", the one-to-one jobs only"
	}
	fmt.Fprintf(w, "  latency        %s (%s)\n", latencyText(res.Latency), timed)
	names := make([]string, 0, len(res.Vendors))
	for n := range res.Vendors {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := res.Vendors[n]
		fmt.Fprintf(w, "    %-11s  %s; %d of %d devices", n, latencyText(v.Latency), v.Delivered, v.Expected)
		if v.Refused > 0 {
			fmt.Fprintf(w, ", %d requests refused", v.Refused)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  Redis          %.1f commands per job, %.0f B per completed job", res.RedisCommandsPerJob, res.RedisBytesPerCompletedJob)
	if res.PendingJobs > 0 {
		fmt.Fprintf(w, ", %.0f B per pending job (%d queued)", res.RedisBytesPerPendingJob, res.PendingJobs)
	}
	fmt.Fprintln(w)
	if res.Warning != "" {
		fmt.Fprintln(w, "  warning:", res.Warning)
	}
}

func latencyText(l Latency) string {
	if l.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
}

func ms(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// progress prints "delivered n/total, rate" to w at most once a second.
type progress struct {
	w     io.Writer
	total int64
	jobs  int
	start time.Time
	last  time.Time
	shown bool
}

func (p *progress) show(delivered, posted int64) {
	if p.w == nil || time.Since(p.last) < time.Second {
		return
	}
	p.last = time.Now()
	el := time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "\rbench: %d/%d devices delivered, %d/%d jobs enqueued, %.0f pushes/s   ",
		delivered, p.total, posted, p.jobs, float64(delivered)/el)
	p.shown = true
}

func (p *progress) done() {
	if p.w != nil && p.shown {
		fmt.Fprintln(p.w)
	}
}
