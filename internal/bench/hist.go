// Package bench runs `pushd bench`: a black-box measure of the whole
// durable path (HTTP enqueue → Redis → worker → vendor) with pushd, Redis
// and the fake vendors each in their own process, and `pushd fake-vendor`,
// the fake side. Its small pieces (histograms, /proc and INFO parsing, the
// enqueue-time extraction) are pure and unit-tested; the orchestration
// drives pushd only through its public CLI and HTTP API.
package bench

import (
	"math"
	"sort"
	"time"
)

// histGrowth is the width of a histogram bucket: each is 1 % wider than
// the one before, so a quantile is off by at most 1 %.
const histGrowth = 1.01

// Histogram counts latencies in log-spaced buckets: its size depends on
// the range of the values (about 2 200 buckets from 1 µs to an hour), not
// on how many were added. The zero value is empty and ready to use; it is
// not safe for concurrent use.
type Histogram struct {
	Count int64 `json:"count"`
	// MaxNanos is the largest value added, exact.
	MaxNanos int64 `json:"max_ns"`
	// Buckets maps a bucket index to its count; bucket 0 holds values
	// under a microsecond, bucket i ≥ 1 values up to 1.01^i µs.
	Buckets map[int]int64 `json:"buckets,omitempty"`
}

// bucketOf returns the bucket index of d.
func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us < 1 {
		return 0
	}
	return int(math.Ceil(math.Log(us)/math.Log(histGrowth))) + 1
}

// bucketTop is the largest value bucket i holds.
func bucketTop(i int) time.Duration {
	if i == 0 {
		return time.Microsecond
	}
	return time.Duration(math.Pow(histGrowth, float64(i-1)) * float64(time.Microsecond))
}

// Add counts n values of d; a negative d (clocks of two processes
// disagreeing) counts as zero.
func (h *Histogram) Add(d time.Duration, n int64) {
	if n <= 0 {
		return
	}
	d = max(d, 0)
	if h.Buckets == nil {
		h.Buckets = map[int]int64{}
	}
	h.Buckets[bucketOf(d)] += n
	h.Count += n
	h.MaxNanos = max(h.MaxNanos, int64(d))
}

// Merge adds every value counted in o.
func (h *Histogram) Merge(o Histogram) {
	if o.Count == 0 {
		return
	}
	if h.Buckets == nil {
		h.Buckets = map[int]int64{}
	}
	for i, n := range o.Buckets {
		h.Buckets[i] += n
	}
	h.Count += o.Count
	h.MaxNanos = max(h.MaxNanos, o.MaxNanos)
}

// Quantile returns the value under which a fraction q of the values fall,
// within 1 %, never above the maximum; 0 when empty.
func (h Histogram) Quantile(q float64) time.Duration {
	if h.Count == 0 {
		return 0
	}
	idx := make([]int, 0, len(h.Buckets))
	for i := range h.Buckets {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	rank := int64(math.Ceil(q * float64(h.Count)))
	rank = min(max(rank, 1), h.Count)
	var seen int64
	for _, i := range idx {
		if seen += h.Buckets[i]; seen >= rank {
			return min(bucketTop(i), time.Duration(h.MaxNanos))
		}
	}
	return time.Duration(h.MaxNanos)
}

// Latency is a latency distribution as the report shows it, in
// milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Summary returns the p50, p90, p99 and maximum of h.
func (h Histogram) Summary() Latency {
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return Latency{Count: h.Count, P50: ms(h.Quantile(0.50)), P90: ms(h.Quantile(0.90)),
		P99: ms(h.Quantile(0.99)), Max: ms(time.Duration(h.MaxNanos))}
}
