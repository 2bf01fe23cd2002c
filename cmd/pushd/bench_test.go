package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/bench"
)

// asCLI makes this test binary act as the pushd binary, so that the
// subprocesses `pushd bench` starts from os.Executable() (fake-vendor,
// api, serve) are this very code without building anything.
const asCLI = "PUSHD_BENCH_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// needRedisServer skips without redis-server, except in CI.
func needRedisServer(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is required in CI")
		}
		t.Skip("redis-server not installed")
	}
}

// runBench runs `pushd bench args… -o json` and decodes its result.
func runBench(t *testing.T, args ...string) bench.Result {
	t.Helper()
	t.Setenv(asCLI, "1")
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := run(ctx, append([]string{"bench", "-o", "json", "--settle", "200ms"}, args...), nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("bench exited %d: %s%s", code, out.String(), errOut.String())
	}
	var res bench.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("bench output: %v\n%s", err, out.String())
	}
	if kids := children(t); len(kids) > 0 {
		t.Fatalf("bench left processes behind: %v", kids)
	}
	return res
}

// TestBenchSingleDeliversEveryJob runs the whole bench end to end with a
// tiny run and checks that every job was delivered once and every figure
// was measured: no timing is asserted.
func TestBenchSingleDeliversEveryJob(t *testing.T) {
	needRedisServer(t)
	res := runBench(t, "--shape", "single", "--jobs", "50", "--posters", "4")
	apns := res.Vendors["apns"]
	if res.Expected != 50 || res.Delivered != 50 || apns.Delivered != 50 || apns.Refused != 0 {
		t.Fatalf("delivered %d of %d (apns %+v)", res.Delivered, res.Expected, apns)
	}
	if res.Latency.Count != 50 || apns.Latency.Count != 50 {
		t.Fatalf("%d latencies for 50 devices", res.Latency.Count)
	}
	if res.PendingJobs != 50 || res.RedisBytesPerPendingJob <= 0 || res.RedisCommandsPerJob <= 0 ||
		res.PeakRSS <= 0 || res.RunPeakRSS <= 0 || res.RunPeakRSS > res.PeakRSS || res.PushesPerSec <= 0 || res.Warning != "" {
		t.Fatalf("figures missing: %+v", res)
	}
	// The box: every process's CPU over the run (Redis's from INFO, in
	// microseconds, so never zero for a run that wrote to it), their sum
	// and the ceiling, and the machine's figures.
	b := res.Box
	if b == nil || b.Cores != runtime.NumCPU() || b.RedisMicros <= 0 || b.PushdMicros < 0 || b.FakeMicros < 0 || b.LoaderMicros < 0 {
		t.Fatalf("box figures: %+v", b)
	}
	if sum := b.PushdMicros + b.RedisMicros + b.FakeMicros + b.LoaderMicros; math.Abs(sum-b.TotalMicros) > 0.5 || b.CeilingPushesPerSec <= 0 {
		t.Fatalf("box total %v is not the sum %v of its parts, or no ceiling: %+v", b.TotalMicros, sum, b)
	}
	if b.Steal < 0 || b.Steal > 1 || b.CalibrationMS[0] <= 0 || b.CalibrationMS[1] <= 0 {
		t.Fatalf("machine figures: %+v", b)
	}
}

// TestBenchSlowVendor runs the bulkhead scenario: jobs alternate a delayed
// Huawei and APNs, and both vendors get every device.
func TestBenchSlowVendor(t *testing.T) {
	needRedisServer(t)
	res := runBench(t, "--shape", "single", "--jobs", "10", "--slow", "huawei=100ms")
	if res.Slow != "huawei=100ms" || res.PendingJobs != 0 {
		t.Fatalf("scenario %q, pending %d", res.Slow, res.PendingJobs)
	}
	for _, v := range []string{"apns", "huawei"} {
		if got := res.Vendors[v]; got.Expected != 5 || got.Delivered != 5 || got.Latency.Count != 5 {
			t.Fatalf("%s: %+v", v, got)
		}
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--slow", "huawei"},
		{"--slow", "apns=1s"},
		{"--slow", "huawei=1s", "--hang", "xiaomi"},
		{"--hang", "huawei", "--shape", "fanout"},
		{"--hang", "nokia"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append([]string{"bench"}, args...), nil, &out, &errOut); code != exitUsage {
			t.Fatalf("bench %v: exit %d, want %d (%s)", args, code, exitUsage, errOut.String())
		}
	}
}

// children returns the live processes whose parent is this test.
func children(t *testing.T) []string {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := strconv.Itoa(os.Getpid())
	var out []string
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		end := bytes.LastIndexByte(b, ')')
		if end < 0 {
			continue
		}
		f := strings.Fields(string(b[end+1:]))
		if len(f) > 1 && f[1] == me && f[0] != "Z" {
			out = append(out, string(b[:end+1]))
		}
	}
	return out
}
