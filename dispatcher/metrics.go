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
	reg.MustRegister(m.Pushes, m.SendSeconds, m.Drops, m.Jobs, m.Warnings)
	return m
}
