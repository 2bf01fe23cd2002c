package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/vendors"
)

// Options configures Run. The zero value of each field is its documented
// default.
type Options struct {
	// Exe is the pushd binary the subprocesses run (`fake-vendor`, `api`,
	// `serve`); required.
	Exe string
	// Shape is single (default), fanout, batch or recipients.
	Shape string
	// Jobs is the number of jobs; 0 means the shape's default (single
	// 20 000, fanout 50, batch 200, recipients 10 000), or Rate × Duration
	// with a rate.
	Jobs int
	// Rate, when > 0, posts Rate jobs a second for Duration (default 20 s)
	// instead of as fast as possible.
	Rate     float64
	Duration time.Duration
	// Redis is the URL of an existing Redis; "" starts redis-server.
	Redis string
	// Slow is the vendor that alternates with APNs in the single shape,
	// answering after SlowDelay, or never when Hang is set.
	Slow      vendors.Vendor
	SlowDelay time.Duration
	Hang      bool
	// Posters is the number of concurrent enqueuers (default 32).
	Posters int
	// Pending is the number of jobs enqueued with no worker running to
	// measure Redis bytes per pending job (default min(1000, jobs));
	// negative skips it. It is skipped with a slow or hung vendor.
	Pending int
	// Settle is how long the drain is given to settle before Redis memory
	// is read (default 2 s); Timeout bounds the wait for the deliveries
	// (default 10 min).
	Settle  time.Duration
	Timeout time.Duration
	// CPUProfile, when set, is where `pushd serve` writes a CPU profile
	// of the timed run (go tool pprof).
	CPUProfile string
	// MemProfile, when set, is where `pushd serve` writes its heap
	// profile when it stops (allocations over its whole life).
	MemProfile string
	// FakeCPUProfile, when set, is where `pushd fake-vendor` writes its
	// CPU profile (the whole run, set-up included).
	FakeCPUProfile string
	// Settings are pushd settings for the run, KEY=VALUE each
	// ("worker.max_deliveries=200000"), passed to pushd as its PUSHD_
	// variables: a run can measure a setting's trade.
	Settings []string
	// Progress receives the progress line (nil for none).
	Progress io.Writer
}

// withDefaults fills the zero fields.
func (o Options) withDefaults(sh shape) Options {
	if o.Shape == "" {
		o.Shape = ShapeSingle
	}
	if sh.burst > 0 && o.Rate == 0 {
		o.Rate = 50 // the fair shape measures latency at a steady rate
	}
	if o.Rate > 0 && o.Duration == 0 {
		o.Duration = 20 * time.Second
	}
	if o.Jobs == 0 {
		o.Jobs = sh.defaultJobs
		if o.Rate > 0 {
			o.Jobs = sh.burst + max(1, int(o.Rate*o.Duration.Seconds()))
		}
	}
	if o.Posters == 0 {
		o.Posters = 32
	}
	switch {
	case o.Slow != "" || sh.burst > 0:
		o.Pending = 0
	case o.Pending == 0:
		o.Pending = min(1000, o.Jobs)
	case o.Pending < 0:
		o.Pending = 0
	}
	if o.Settle == 0 {
		o.Settle = 2 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	return o
}

// runner is one run: its directory and the subprocesses to stop.
type runner struct {
	o   Options
	sh  shape
	dir string
	// env are the PUSHD_ variables of Options.Settings.
	env      []string
	children []*child
	// fakePID is the fake vendor's process, whose CPU the run reports.
	fakePID int
}

// Run runs the bench and returns its figures. On an error after the jobs
// were posted (a timeout waiting for deliveries) it returns what was
// measured so far with the error. Every subprocess is stopped and the
// run's directory removed before it returns, also when ctx is cancelled.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Slow != "" && o.Shape != "" && o.Shape != ShapeSingle {
		return nil, errors.New("--slow and --hang apply to the single shape")
	}
	if o.Slow == vendors.APNs {
		return nil, errors.New("--slow/--hang: the slow vendor alternates with APNs, pick another vendor")
	}
	sh, err := shapeOf(firstNonEmpty(o.Shape, ShapeSingle), o.Slow)
	if err != nil {
		return nil, err
	}
	if o.Exe == "" {
		return nil, errors.New("bench: no pushd executable")
	}
	env, err := settingsEnv(o.Settings)
	if err != nil {
		return nil, err
	}
	o = o.withDefaults(sh)
	dir, err := os.MkdirTemp("", "pushd-bench-")
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, sh: sh, dir: dir, env: env}
	defer os.RemoveAll(dir)
	defer r.stopAll()
	return r.run(ctx)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// stopAll stops the subprocesses, the last started first.
func (r *runner) stopAll() {
	for i := len(r.children) - 1; i >= 0; i-- {
		r.children[i].stop(10 * time.Second)
	}
}

func (r *runner) start(name string, args ...string) (*child, error) {
	c, err := startChild(r.dir, name, r.o.Exe, r.env, args...)
	if err == nil {
		r.children = append(r.children, c)
	}
	return c, err
}

// run is Run once the directory exists.
func (r *runner) run(ctx context.Context) (*Result, error) {
	redisURL := r.o.Redis
	if redisURL == "" {
		c, url, err := startRedis(ctx, r.dir)
		if err != nil {
			return nil, err
		}
		r.children = append(r.children, c)
		redisURL = url
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	info, ctl, err := r.startFake(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := r.writeConfig(redisURL, info)
	if err != nil {
		return nil, err
	}
	e := &env{http: newHTTPClient(r.o.Posters), app: "bench" + randomSecret(4)}
	pend, err := r.pendingPhase(ctx, cfg, e, info, rdb, ctl)
	if err != nil {
		return nil, err
	}
	return r.measuredPhase(ctx, cfg, e, rdb, ctl, pend)
}

// startFake starts `pushd fake-vendor` and reads its listen file.
func (r *runner) startFake(ctx context.Context) (*FakeInfo, *control, error) {
	lf := filepath.Join(r.dir, "fake.json")
	args := []string{"fake-vendor", "--listen-file", lf}
	if r.o.FakeCPUProfile != "" {
		args = append(args, "--cpuprofile", r.o.FakeCPUProfile)
	}
	if r.o.Slow != "" && r.o.Hang {
		args = append(args, "--hang", string(r.o.Slow))
	} else if r.o.Slow != "" {
		args = append(args, "--delay", fmt.Sprintf("%s=%s", r.o.Slow, r.o.SlowDelay))
	}
	c, err := r.start("fake-vendor", args...)
	if err != nil {
		return nil, nil, err
	}
	r.fakePID = c.pid()
	var info FakeInfo
	err = poll(ctx, 60*time.Second, func() (bool, error) {
		if gone, err := c.exited(); gone {
			return false, err
		}
		b, err := os.ReadFile(lf)
		return err == nil && json.Unmarshal(b, &info) == nil, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("fake-vendor: %w", err)
	}
	return &info, &control{base: info.Control, http: &http.Client{Timeout: 10 * time.Second}}, nil
}

// writeConfig writes the pushd configuration of the run: the Redis, a
// random master key, every vendor at its fake, warn-level logs.
func (r *runner) writeConfig(redisURL string, info *FakeInfo) (string, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	var b strings.Builder
	fmt.Fprintf(&b, "master_key: %q\ndata_dir: %q\nredis:\n  url: %q\nlog:\n  level: warn\n  format: json\nvendors:\n",
		base64.StdEncoding.EncodeToString(key), filepath.Join(r.dir, "data"), redisURL)
	for name, fe := range info.Vendors {
		fmt.Fprintf(&b, "  %s:\n    endpoint: %q\n    auth_endpoint: %q\n    ca_file: %q\n", name, fe.Endpoint, fe.AuthEndpoint, fe.CAFile)
	}
	path := filepath.Join(r.dir, "pushd.yaml")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// startPushd runs `pushd <mode> --config cfg` on a free port and waits for
// its /readyz.
func (r *runner) startPushd(ctx context.Context, mode, cfg string) (*child, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{mode, "--config", cfg, "--listen", addr}
	if mode == "serve" && r.o.CPUProfile != "" {
		args = append(args, "--cpuprofile", r.o.CPUProfile)
	}
	if mode == "serve" && r.o.MemProfile != "" {
		args = append(args, "--memprofile", r.o.MemProfile)
	}
	c, err := r.start("pushd-"+mode, args...)
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	hc := &http.Client{Timeout: 2 * time.Second}
	err = poll(ctx, 60*time.Second, func() (bool, error) {
		if gone, err := c.exited(); gone {
			return false, err
		}
		resp, err := hc.Get(base + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("pushd %s: %w", mode, err)
	}
	return c, base, nil
}

// useAPI points e at the pushd API at base.
func (e *env) useAPI(base string) {
	e.base = base
	e.api = api.NewClient(base, "")
}
