package configs

import (
	"strings"
	"testing"
	"time"
)

func TestTraceKeys(t *testing.T) {
	c, err := LoadEnv("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Trace.Enabled || c.Trace.Window != 168*time.Hour {
		t.Fatalf("defaults %+v, want enabled with a window of 168h", c.Trace)
	}
	cases := []struct {
		window string
		ok     bool
	}{
		{"1h", true}, {"168h", true}, {"720h", true}, {"59m", false}, {"721h", false}, {"0s", false},
	}
	for _, tc := range cases {
		_, err := LoadEnv("", []string{EnvName("trace.window") + "=" + tc.window})
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), "trace.window:")) {
			t.Errorf("trace.window=%s: %v, want ok=%v", tc.window, err, tc.ok)
		}
	}
}
