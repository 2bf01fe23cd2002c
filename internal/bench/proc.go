package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/procstat"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports (proc(5); the kernel keeps
// it constant for userspace whatever CONFIG_HZ is).
const clockTicks = 100

// ParseStat returns the user plus system CPU time of a /proc/PID/stat
// line. The command name (field 2) may hold spaces and parentheses, so
// the fields are counted from the last ')'.
func ParseStat(line []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(line, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc stat: no command name")
	}
	f := strings.Fields(string(line[end+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat: %v", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// ParseStatusKB returns the value in bytes of a "Key:   123 kB" line of
// /proc/PID/status (VmHWM, VmRSS, …).
func ParseStatusKB(status []byte, key string) (int64, error) {
	for _, line := range strings.Split(string(status), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || name != key {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("/proc status: %s is %q", key, strings.TrimSpace(val))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc status: %s: %v", key, err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("/proc status: no %s", key)
}

// CPUTime returns the CPU time process pid has used so far.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseStat(b)
}

// PeakRSS returns the peak resident set size (VmHWM) of process pid.
func PeakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return ParseStatusKB(b, "VmHWM")
}

// MachineTicks is the first line of /proc/stat: the machine's CPU time in
// clock ticks, in all and stolen (by the hypervisor, for other guests).
type MachineTicks struct{ Total, Steal uint64 }

// ParseMachineTicks reads the "cpu  user nice system idle iowait irq
// softirq steal …" line of /proc/stat (procstat.Parse), which must have
// the steal field.
func ParseMachineTicks(b []byte) (MachineTicks, error) {
	c, ok := procstat.Parse(b)
	if !ok || c.Fields < 8 {
		return MachineTicks{}, fmt.Errorf("/proc/stat: no cpu line with a steal field")
	}
	return MachineTicks{Total: c.Total, Steal: c.Steal}, nil
}

// ReadMachineTicks reads /proc/stat.
func ReadMachineTicks() (MachineTicks, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineTicks{}, err
	}
	return ParseMachineTicks(b)
}

// StealShare is the share of the machine's CPU time stolen between a and b.
func StealShare(a, b MachineTicks) float64 {
	if b.Total <= a.Total || b.Steal < a.Steal {
		return 0
	}
	return float64(b.Steal-a.Steal) / float64(b.Total-a.Total)
}

// calibrationRounds is how many JSON round trips Calibrate makes: some
// tens of milliseconds of one core.
const calibrationRounds = 5_000

// Calibrate times a fixed piece of work on one core — JSON encoding and
// decoding of a small document, with the allocation and garbage
// collection that come with it, like pushd's own work — and returns how
// long it took. The same machine gives about the same figure; a virtual
// machine whose neighbours are busy gives a larger one, though the
// hypervisor reports no stolen time (they share its caches, its memory
// bandwidth or its cores' other hyperthreads).
func Calibrate() time.Duration {
	doc := map[string]any{"app_id": "calibration", "msg_id": "m-1", "recipients": []string{"u1", "u2", "u3"},
		"offline_push": map[string]any{"title": "Hello", "desc": "a message", "ext": `{"k":1}`}}
	start := time.Now()
	for range calibrationRounds {
		b, _ := json.Marshal(doc)
		var back map[string]any
		_ = json.Unmarshal(b, &back)
	}
	return time.Since(start)
}

// ResetPeakRSS starts process pid's peak resident set size (VmHWM) afresh
// from its current size (writing 5 to /proc/PID/clear_refs, Linux 4.0 and
// later), so that a later PeakRSS covers only what came after.
func ResetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}
