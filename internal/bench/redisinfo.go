package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Info is what the bench reads from Redis INFO.
type Info struct {
	// Calls is the sum of calls over every command in commandstats.
	Calls int64
	// UsedMemory is used_memory, in bytes.
	UsedMemory int64
	// CPU is used_cpu_user + used_cpu_sys: the server's own CPU time,
	// whoever started it (zero when INFO had no cpu section).
	CPU time.Duration
}

// ParseInfo reads the output of INFO (at least its memory and
// commandstats sections, and the cpu section when there): lines
// "used_memory:123", "used_cpu_user:1.5" and "cmdstat_get:calls=5,usec=10,…".
func ParseInfo(text string) (Info, error) {
	var in Info
	var sawMem bool
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case key == "used_memory":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return in, fmt.Errorf("INFO used_memory: %v", err)
			}
			in.UsedMemory, sawMem = n, true
		case key == "used_cpu_user" || key == "used_cpu_sys":
			sec, err := strconv.ParseFloat(val, 64)
			if err != nil || sec < 0 {
				return in, fmt.Errorf("INFO %s: %q is not a number of seconds", key, val)
			}
			in.CPU += time.Duration(sec * float64(time.Second))
		case strings.HasPrefix(key, "cmdstat_"):
			n, err := cmdCalls(val)
			if err != nil {
				return in, fmt.Errorf("INFO %s: %v", key, err)
			}
			in.Calls += n
		}
	}
	if !sawMem {
		return in, fmt.Errorf("INFO has no used_memory")
	}
	return in, nil
}

// cmdCalls returns the calls= value of a commandstats entry.
func cmdCalls(val string) (int64, error) {
	for _, kv := range strings.Split(val, ",") {
		if n, ok := strings.CutPrefix(kv, "calls="); ok {
			return strconv.ParseInt(n, 10, 64)
		}
	}
	return 0, fmt.Errorf("no calls= in %q", val)
}
