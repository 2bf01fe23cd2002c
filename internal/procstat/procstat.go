// Package procstat reads the machine's CPU time from the first line of
// Linux's /proc/stat, for the low-priority pacer (how busy the machine is)
// and pushd bench (how much time the hypervisor stole).
package procstat

import (
	"bytes"
	"os"
	"strconv"
)

// CPU is the machine's CPU time since boot, in clock ticks, summed over
// the first line's "user nice system idle iowait irq softirq steal"
// (guest and guest_nice are already counted in user and nice).
type CPU struct {
	Total uint64
	// Idle is idle and iowait: the time no task ran.
	Idle uint64
	// Steal is the time the hypervisor gave other guests (0 when the
	// line has no steal field).
	Steal uint64
	// Fields is how many of those eight fields the line has.
	Fields int
}

// Busy is the time some task ran.
func (c CPU) Busy() uint64 { return c.Total - c.Idle }

// Parse reads the "cpu  …" line that starts b; false unless it has at
// least user, nice, system and idle, all numbers.
func Parse(b []byte) (CPU, bool) {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return CPU{}, false
	}
	var c CPU
	for i, x := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(string(x), 10, 64)
		if err != nil {
			return CPU{}, false
		}
		c.Total += n
		switch i {
		case 3, 4:
			c.Idle += n
		case 7:
			c.Steal = n
		}
		c.Fields = i + 1
	}
	return c, true
}

// Read reads /proc/stat; false where there is none or it cannot be read.
func Read() (CPU, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPU{}, false
	}
	return Parse(b)
}
