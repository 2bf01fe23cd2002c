package procstat

import "testing"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want CPU
		ok   bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"cpu  100 5 50 800 20 3 2 20 7 0\ncpu0 1 2 3 4\n", CPU{Total: 1000, Idle: 820, Steal: 20, Fields: 8}, true},
		{"cpu  10 0 10 80\n", CPU{Total: 100, Idle: 80, Fields: 4}, true},
		{"cpu  1 2 3\n", CPU{}, false},
		{"intr 1 2 3 4\n", CPU{}, false},
		{"cpu  1 x 3 4\n", CPU{}, false},
	} {
		got, ok := Parse([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if c, ok := Read(); ok && (c.Fields < 4 || c.Busy() > c.Total) {
		t.Fatalf("Read() = %+v", c)
	}
}
