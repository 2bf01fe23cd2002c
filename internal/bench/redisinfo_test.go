package bench

import (
	"testing"
	"time"
)

func TestParseInfo(t *testing.T) {
	text := "# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:0.500000\r\nused_cpu_sys_children:9.000000\r\n" +
		"# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n\r\n# Commandstats\r\n" +
		"cmdstat_get:calls=10,usec=20,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_evalsha:calls=32,usec=900,usec_per_call=28.1,rejected_calls=0,failed_calls=1\r\n" +
		"cmdstat_info:calls=3,usec=100,usec_per_call=33.3\r\n"
	in, err := ParseInfo(text)
	if err != nil || in.UsedMemory != 1048576 || in.Calls != 45 || in.CPU != 1750*time.Millisecond {
		t.Fatalf("%+v, %v", in, err)
	}
	for _, bad := range []string{
		"cmdstat_get:calls=1\r\n",                          // no used_memory
		"used_memory:lots\r\n",                             // not a number
		"used_memory:1\r\ncmdstat_get:usec=20\r\n",         // no calls
		"used_memory:1\r\ncmdstat_get:calls=x,usec=20\r\n", // bad calls
		"used_memory:1\r\nused_cpu_sys:soon\r\n",           // bad cpu
	} {
		if _, err := ParseInfo(bad); err == nil {
			t.Fatalf("ParseInfo(%q) accepted", bad)
		}
	}
}
