package dispatcher

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the dispatcher's Prometheus collectors.
type Metrics struct {
	// Pushes counts device outcomes by vendor and result class.
	Pushes *prometheus.CounterVec
	// SendSeconds is the latency of one vendor request by vendor.
	SendSeconds *prometheus.HistogramVec
	// Drops counts pushes not made, by rule.
	Drops *prometheus.CounterVec
	// Jobs counts processed tasks by type and outcome.
	Jobs *prometheus.CounterVec
	// Warnings counts non-fatal configuration problems (e.g. OPPO without a
	// channel id) by vendor and warning.
	Warnings *prometheus.CounterVec
	// Unclassified counts, by vendor, failures no adapter classified: they
	// are retried (vendors.KindOf) and each one should be given a class.
	Unclassified *prometheus.CounterVec
	// Panics counts adapter panics recovered while sending, by vendor.
	Panics *prometheus.CounterVec
	// Inflight is the vendor requests in flight, by vendor.
	Inflight *prometheus.GaugeVec
	// SendWait is how long sends waited for a slot of their vendor's
	// bulkhead, by vendor.
	SendWait *prometheus.HistogramVec
	// Held counts batches a full bulkhead handed back for later, by vendor.
	Held *prometheus.CounterVec
	// LowWindow is the low-priority sends the LowPacer lets in flight.
	LowWindow prometheus.Gauge
}

// NewMetrics creates the collectors and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "pushd", Name: "pushes_total",
			Help: "Device deliveries by vendor and result class (ok, invalid_token, retryable, rate_limited, auth, rejected).",
		}, []string{"vendor", "result"}),
		SendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "pushd", Name: "send_duration_seconds",
			Help:    "Latency of one vendor send request.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"vendor"}),
		Drops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "pushd", Name: "dropped_total",
			Help: "Pushes not made, by the rule that dropped them.",
		}, []string{"rule"}),
		Jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "pushd", Name: "tasks_total",
			Help: "Tasks processed by type and outcome.",
		}, []string{"type", "outcome"}),
		Warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "pushd", Name: "warnings_total",
			Help: "Non-fatal configuration problems seen while sending.",
		}, []string{"vendor", "warning"}),
	}
	m.Unclassified = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "pushd", Name: "unclassified_errors_total",
		Help: "Send failures no adapter classified (retried), by vendor.",
	}, []string{"vendor"})
	m.Panics = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "pushd", Name: "adapter_panics_total",
		Help: "Adapter panics recovered while sending (the batch is retried), by vendor.",
	}, []string{"vendor"})
	m.Inflight = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "pushd", Name: "inflight",
		Help: "Vendor requests in flight in this process, by vendor.",
	}, []string{"vendor"})
	m.SendWait = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "pushd", Name: "send_wait_seconds",
		Help:    "Time a send waited for a slot of its vendor's bulkhead.",
		Buckets: []float64{.0001, .001, .005, .01, .05, .1, .5, 1, 5},
	}, []string{"vendor"})
	m.Held = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "pushd", Name: "bulkhead_held_total",
		Help: "Batches handed back for later because their vendor's bulkhead was full, by vendor.",
	}, []string{"vendor"})
	m.LowWindow = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "pushd", Name: "low_priority_window",
		Help: "Low-priority sends allowed in flight: smaller while the machine's CPU is short and messages of a higher priority flow.",
	})
	reg.MustRegister(m.Pushes, m.SendSeconds, m.Drops, m.Jobs, m.Warnings, m.Unclassified, m.Panics, m.Inflight, m.SendWait, m.Held, m.LowWindow)
	return m
}
