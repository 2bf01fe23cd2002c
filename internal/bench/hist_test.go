package bench

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Add(time.Duration(i)*time.Millisecond, 1)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 500 * time.Millisecond},
		{0.90, 900 * time.Millisecond},
		{0.99, 990 * time.Millisecond},
		{1, time.Second},
		{0, time.Millisecond},
	}
	for _, tc := range tests {
		got := h.Quantile(tc.q)
		if rel := math.Abs(float64(got-tc.want)) / float64(tc.want); rel > 0.011 {
			t.Errorf("Quantile(%v) = %v, want %v within 1%%", tc.q, got, tc.want)
		}
	}
	if h.Count != 1000 || h.MaxNanos != int64(time.Second) {
		t.Fatalf("count %d max %d", h.Count, h.MaxNanos)
	}
}

func TestHistogramEdges(t *testing.T) {
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Summary() != (Latency{}) {
		t.Fatal("an empty histogram has quantiles")
	}
	var h Histogram
	h.Add(-time.Second, 1) // clock skew counts as zero
	h.Add(300*time.Nanosecond, 2)
	h.Add(time.Hour, 0) // nothing
	if h.Count != 3 || h.Quantile(1) > time.Microsecond {
		t.Fatalf("sub-microsecond values: count %d, max quantile %v", h.Count, h.Quantile(1))
	}
	// A quantile never exceeds the exact maximum.
	var one Histogram
	one.Add(1234567*time.Nanosecond, 5)
	if got := one.Quantile(0.99); got != 1234567*time.Nanosecond {
		t.Fatalf("single value: %v", got)
	}
}

func TestHistogramMergeAndJSON(t *testing.T) {
	var a, b Histogram
	a.Add(time.Millisecond, 10)
	b.Add(100*time.Millisecond, 10)
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	a.Merge(back)
	a.Merge(Histogram{})
	s := a.Summary()
	if s.Count != 20 || s.Max != 100 || s.P50 > 1.01 || s.P90 < 99 {
		t.Fatalf("merged summary %+v", s)
	}
}

// TestHistogramBounded checks that the memory of a histogram depends on
// the range of its values, not their number.
func TestHistogramBounded(t *testing.T) {
	var h Histogram
	for i := range 200000 {
		h.Add(time.Duration(i%5000)*time.Millisecond, 1)
	}
	if n := len(h.Buckets); n > 2500 {
		t.Fatalf("%d buckets for values up to 5 s", n)
	}
}
