package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       time.Duration
		ok         bool
	}{
		{"plain", "4242 (pushd) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 12 0 100 2000000 3000 18446744073709551615", 3250 * time.Millisecond, true},
		{"name with spaces and parens", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 1 1", 30 * time.Millisecond, true},
		{"truncated", "7 (x) R 1 2 3", 0, false},
		{"no name", "7 x R", 0, false},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 a 2 0", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseStat([]byte(tc.line))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: %v, %v; want %v ok=%v", tc.name, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tpushd\nVmPeak:\t  900000 kB\nVmHWM:\t   98304 kB\nVmRSS:\t   81920 kB\nThreads:\t12\n"
	if got, err := ParseStatusKB([]byte(status), "VmHWM"); err != nil || got != 98304*1024 {
		t.Fatalf("VmHWM: %d, %v", got, err)
	}
	for _, key := range []string{"VmSwap", "Threads", "Name"} {
		if _, err := ParseStatusKB([]byte(status), key); err == nil {
			t.Fatalf("%s: no error", key)
		}
	}
}

// TestOwnProcess reads this test's own /proc entries.
func TestOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
	}
	if cpu, err := CPUTime(os.Getpid()); err != nil || cpu <= 0 {
		t.Fatalf("CPUTime: %v, %v", cpu, err)
	}
	if rss, err := PeakRSS(os.Getpid()); err != nil || rss < 1<<20 {
		t.Fatalf("PeakRSS: %v, %v", rss, err)
	}
}

func TestSettingsEnv(t *testing.T) {
	env, err := settingsEnv([]string{"worker.max_deliveries=200000", "worker.app_share=1", "vendors.apns.endpoint=https://a=b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PUSHD_WORKER_MAX_DELIVERIES=200000", "PUSHD_WORKER_APP_SHARE=1", "PUSHD_VENDORS_APNS_ENDPOINT=https://a=b"}
	if fmt.Sprint(env) != fmt.Sprint(want) {
		t.Fatalf("env %v, want %v", env, want)
	}
	for _, bad := range []string{"worker.max_deliveries", "=1", "worker.max_delivery=5", "tokens=[]"} {
		if _, err := settingsEnv([]string{bad}); err == nil {
			t.Errorf("--set %q accepted", bad)
		}
	}
}

func TestParseMachineTicks(t *testing.T) {
	a, err := ParseMachineTicks([]byte("cpu  100 5 50 800 20 3 2 20 7 0\ncpu0 1 2 3 4 5 6 7 8\n"))
	if err != nil || a.Total != 1000 || a.Steal != 20 {
		t.Fatalf("%+v, %v", a, err)
	}
	b := MachineTicks{Total: 2000, Steal: 120}
	if got := StealShare(a, b); got != 0.1 {
		t.Fatalf("steal share %v, want 0.1", got)
	}
	if got := StealShare(b, a); got != 0 {
		t.Fatalf("steal share backwards %v, want 0", got)
	}
	for _, bad := range []string{"intr 1 2\n", "cpu  1 2 3 4\n", "cpu  1 2 3 4 5 6 7 x\n"} {
		if _, err := ParseMachineTicks([]byte(bad)); err == nil {
			t.Errorf("ParseMachineTicks(%q) accepted", bad)
		}
	}
}

func TestCalibrate(t *testing.T) {
	if d := Calibrate(); d <= 0 || d > time.Minute {
		t.Fatalf("Calibrate took %v", d)
	}
}

func TestResetPeakRSS(t *testing.T) {
	pid := os.Getpid()
	// Touch 64 MiB so the peak stands well above what stays resident.
	b := make([]byte, 64<<20)
	for i := range b {
		if i%4096 == 0 {
			b[i] = 1
		}
	}
	before, err := PeakRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	b = nil
	runtime.GC()
	debug.FreeOSMemory()
	if err := ResetPeakRSS(pid); err != nil {
		t.Skipf("cannot reset the peak RSS here: %v", err)
	}
	after, err := PeakRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	if after >= before-32<<20 {
		t.Fatalf("peak RSS %d after the reset, %d before: the 64 MiB freed are still counted", after, before)
	}
}
