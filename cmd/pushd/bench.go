package main

import (
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pushd/pushd/internal/bench"
	"github.com/pushd/pushd/vendors"
)

func benchCmd(g *globals) *cobra.Command {
	var o bench.Options
	var slow, hang string
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure the whole durable path: HTTP enqueue → Redis → worker → vendor",
		Long: `Measure pushd as a black box on this machine. The bench starts its own
redis-server (AOF everysec; or uses --redis), runs "pushd fake-vendor" and
"pushd serve" as subprocesses of this binary, uploads certificates through
the API and posts jobs with POST /v1/messages. It reports pushes/s, the
server's CPU µs per push and peak RSS, enqueue→vendor latency percentiles
(overall and per vendor), Redis commands per job, and Redis bytes per
completed and per pending job. See docs/benchmarks.md for each shape and
figure.`,
		Example: `  pushd bench --shape single --jobs 20000
  pushd bench --shape fanout
  pushd bench --shape single --rate 500 --duration 20s
  pushd bench --shape fair --rate 50 --duration 20s
  pushd bench --shape single --slow huawei=3s --rate 200 --duration 2s -o json
  pushd bench --shape batch --set worker.max_deliveries=200000 --set worker.app_share=1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := benchSlow(&o, slow, hang); err != nil {
				return err
			}
			if g.output != "text" && g.output != "json" && g.output != "" {
				return usageErr("--output must be text or json, got %q", g.output)
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			o.Exe, o.Progress = exe, g.stderr
			res, err := bench.Run(cmd.Context(), o)
			if res != nil {
				if perr := g.print(res, func(w io.Writer) { res.WriteText(w) }); perr != nil {
					return perr
				}
			}
			if err != nil {
				// A run that failed (a timeout, a subprocess that died) is
				// not a usage error: exit 1.
				return &exitError{code: 1, err: err}
			}
			return nil
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.Shape, "shape", bench.ShapeSingle, "single, fanout, batch, recipients or fair")
	fs.IntVar(&o.Jobs, "jobs", 0, "number of jobs (default: single 20000, fanout 50, batch 200, recipients 10000; rate × duration with --rate)")
	fs.Float64Var(&o.Rate, "rate", 0, "post this many jobs per second (a steady-rate latency run) instead of as fast as possible")
	fs.DurationVar(&o.Duration, "duration", 0, "how long a --rate run posts (default 20s)")
	fs.StringVar(&o.Redis, "redis", "", "use this Redis (redis://host:port/db) instead of starting redis-server")
	fs.StringVar(&slow, "slow", "", "VENDOR=DURATION: the bulkhead scenario, jobs alternate APNs and this vendor, which answers after DURATION")
	fs.StringVar(&hang, "hang", "", "VENDOR: the bulkhead scenario with a vendor that never answers")
	fs.IntVar(&o.Posters, "posters", 32, "concurrent HTTP enqueuers (keep-alive)")
	fs.IntVar(&o.Pending, "pending", 0, "jobs queued with no worker to measure bytes per pending job (default min(1000, jobs); -1 skips)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of pushd serve during the run to this file")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile of pushd serve (allocations over its life) to this file when it stops")
	fs.StringVar(&o.FakeCPUProfile, "fake-cpuprofile", "", "write a CPU profile of the fake vendor process during the run to this file")
	fs.StringArrayVar(&o.Settings, "set", nil, "KEY=VALUE: a pushd setting for the run (repeatable), e.g. --set worker.max_deliveries=200000")
	fs.DurationVar(&o.Settle, "settle", 2*time.Second, "pause for the drain to settle before Redis memory is read")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "give up waiting for the deliveries after this long")
	return c
}

// benchSlow sets the bulkhead scenario from --slow or --hang.
func benchSlow(o *bench.Options, slow, hang string) error {
	switch {
	case slow != "" && hang != "":
		return usageErr("--slow and --hang cannot be combined")
	case slow != "":
		v, d, err := parseVendorDelay(slow)
		if err != nil {
			return usageErr("--slow: %v", err)
		}
		o.Slow, o.SlowDelay = v, d
	case hang != "":
		v, err := vendors.ParseVendor(hang)
		if err != nil {
			return usageErr("--hang: %v", err)
		}
		o.Slow, o.Hang = v, true
	}
	if o.Slow == vendors.APNs {
		return usageErr("the slow vendor alternates with APNs: pick another vendor")
	}
	if o.Slow != "" && o.Shape != bench.ShapeSingle {
		return usageErr("--slow and --hang apply to --shape single")
	}
	return nil
}
