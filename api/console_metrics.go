package api

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The overview's numbers come from the Prometheus registry the API serves
// at /metrics: a ring of samples taken every sampleEvery over the last
// window gives per-minute deltas of pushd_pushes_total and the send
// latency quantiles of the window; gauges are read live.

const (
	sampleEvery = 10 * time.Second
	chartWindow = 15 * time.Minute
	chartBins   = 15
)

// sample is the registry at one instant.
type sample struct {
	at time.Time
	// pushes maps vendor and result ("apns/ok") to the counter's value.
	pushes map[string]float64
	// latency is the send-duration histogram of every vendor, merged:
	// cumulative counts by upper bound.
	latency map[float64]float64
	// gauges maps "name/state" to the gauge's value.
	gauges map[string]float64
}

// metricRing samples the registry, from the first console request until
// Close.
type metricRing struct {
	g    prometheus.Gatherer
	now  func() time.Time
	once sync.Once
	stop chan struct{}

	mu      sync.Mutex
	samples []sample
}

func newMetricRing(g prometheus.Gatherer, now func() time.Time) *metricRing {
	return &metricRing{g: g, now: now, stop: make(chan struct{})}
}

// start begins sampling, once.
func (m *metricRing) start() {
	if m.g == nil {
		return
	}
	m.once.Do(func() {
		m.add(m.take())
		go m.loop()
	})
}

func (m *metricRing) loop() {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.add(m.take())
		}
	}
}

// close stops sampling; it is safe to call more than once.
func (m *metricRing) close() {
	m.once.Do(func() {}) // a ring never started never starts
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
}

func (m *metricRing) add(s sample) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.samples = append(m.samples, s)
	keep := int(chartWindow/sampleEvery) + 2
	if len(m.samples) > keep {
		m.samples = slices.Delete(m.samples, 0, len(m.samples)-keep)
	}
}

// take reads the registry now.
func (m *metricRing) take() sample {
	s := sample{at: m.now(), pushes: map[string]float64{}, latency: map[float64]float64{}, gauges: map[string]float64{}}
	if m.g == nil {
		return s
	}
	mfs, _ := m.g.Gather()
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			s.read(mf.GetName(), mt)
		}
	}
	return s
}

func (s *sample) read(name string, mt *dto.Metric) {
	switch name {
	case "pushd_pushes_total":
		s.pushes[label(mt, "vendor")+"/"+label(mt, "result")] += mt.GetCounter().GetValue()
	case "pushd_send_duration_seconds":
		for _, b := range mt.GetHistogram().GetBucket() {
			s.latency[b.GetUpperBound()] += float64(b.GetCumulativeCount())
		}
		s.latency[math.Inf(1)] += float64(mt.GetHistogram().GetSampleCount())
	case "pushd_stream_jobs", "pushd_queue_tasks":
		s.gauges[name+"/"+label(mt, "state")] += mt.GetGauge().GetValue()
	}
}

func label(mt *dto.Metric, name string) string {
	for _, l := range mt.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// window returns the samples of the chart window and a fresh one.
func (m *metricRing) window() ([]sample, sample) {
	now := m.take()
	m.mu.Lock()
	defer m.mu.Unlock()
	var in []sample
	for _, s := range m.samples {
		if now.at.Sub(s.at) <= chartWindow+sampleEvery {
			in = append(in, s)
		}
	}
	return in, now
}

// at returns the value of key in the last sample taken at or before t
// (the first sample when none is that old).
func at(ss []sample, t time.Time, key string) float64 {
	v := ss[0].pushes[key]
	for _, s := range ss {
		if s.at.After(t) {
			break
		}
		v = s.pushes[key]
	}
	return v
}

// overviewStats is what the overview page shows of the metrics.
type overviewStats struct {
	Charts   []vendorChart
	Gauges   map[string]float64
	P50, P99 string
	Samples  int
}

// vendorChart is one vendor's pushes per minute by result.
type vendorChart struct {
	Vendor string
	Totals map[string]float64
	SVG    template.HTML
}

// resultColors are the result classes, in stacking order, with their
// colours (presentation attributes, which the CSP allows).
var resultColors = []struct{ Result, Color string }{
	{"ok", "#2e7d32"}, {"invalid_token", "#f9a825"}, {"retryable", "#1565c0"},
	{"rate_limited", "#6a1b9a"}, {"auth", "#c62828"}, {"rejected", "#ef6c00"},
}

func (m *metricRing) stats() overviewStats {
	ss, now := m.window()
	ss = append(ss, now)
	st := overviewStats{Gauges: now.gauges, Samples: len(ss)}
	st.P50, st.P99 = quantile(ss[0].latency, now.latency, 0.5), quantile(ss[0].latency, now.latency, 0.99)
	vendorsSeen := map[string]bool{}
	for k := range now.pushes {
		vendorsSeen[strings.Split(k, "/")[0]] = true
	}
	for _, v := range sortedSet(vendorsSeen) {
		st.Charts = append(st.Charts, chartOf(v, ss, now.at))
	}
	return st
}

// chartOf bins vendor v's pushes of the window by minute and result.
func chartOf(v string, ss []sample, end time.Time) vendorChart {
	c := vendorChart{Vendor: v, Totals: map[string]float64{}}
	bins := make([]map[string]float64, chartBins)
	step := chartWindow / chartBins
	peak := 1.0
	for i := range bins {
		from, to := end.Add(-chartWindow+time.Duration(i)*step), end.Add(-chartWindow+time.Duration(i+1)*step)
		bins[i] = map[string]float64{}
		sum := 0.0
		for _, rc := range resultColors {
			d := max(0, at(ss, to, v+"/"+rc.Result)-at(ss, from, v+"/"+rc.Result))
			bins[i][rc.Result] = d
			c.Totals[rc.Result] += d
			sum += d
		}
		peak = max(peak, sum)
	}
	c.SVG = barsSVG(v, bins, peak)
	return c
}

// barsSVG draws stacked bars, one per bin, with a title per bar for
// screen readers and hover.
func barsSVG(v string, bins []map[string]float64, peak float64) template.HTML {
	const w, h, bw = 300.0, 80.0, 300.0 / chartBins
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s pushes per minute, last 15 minutes">`, w, h+12, template.HTMLEscapeString(v))
	fmt.Fprintf(&b, `<line x1="0" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#999" stroke-width="0.5"/>`, h, w, h)
	for i, bin := range bins {
		y := h
		for _, rc := range resultColors {
			n := bin[rc.Result]
			if n == 0 {
				continue
			}
			bh := n / peak * (h - 4)
			y -= bh
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%d min ago: %.0f %s</title></rect>`,
				float64(i)*bw+1, y, bw-2, bh, rc.Color, chartBins-i, n, rc.Result)
		}
	}
	fmt.Fprintf(&b, `<text x="0" y="%.0f" font-size="9" fill="#666">-15 min</text><text x="%.0f" y="%.0f" font-size="9" fill="#666" text-anchor="end">now (peak %.0f/min)</text></svg>`, h+11, w, h+11, peak)
	return template.HTML(b.String())
}

// quantile estimates the q-quantile of the observations between two
// cumulative histograms, interpolating within the bucket, as PromQL's
// histogram_quantile does; "–" without observations.
func quantile(from, to map[float64]float64, q float64) string {
	bounds := make([]float64, 0, len(to))
	for b := range to {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	if len(bounds) == 0 {
		return "–"
	}
	total := to[math.Inf(1)] - from[math.Inf(1)]
	if total <= 0 {
		return "–"
	}
	rank, prevB, prevC := q*total, 0.0, 0.0
	for _, b := range bounds {
		c := to[b] - from[b]
		if c >= rank {
			if math.IsInf(b, 1) {
				return fmt.Sprintf("> %s", seconds(prevB))
			}
			frac := 0.0
			if c > prevC {
				frac = (rank - prevC) / (c - prevC)
			}
			return seconds(prevB + (b-prevB)*frac)
		}
		prevB, prevC = b, c
	}
	return "–"
}

func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.0f ms", s*1000)
	}
	return fmt.Sprintf("%.2f s", s)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
