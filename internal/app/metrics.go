package app

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pushd/pushd/dispatcher"
)

// queueCollector reports the queue's depth by task state at scrape time.
type queueCollector struct {
	inspector *asynq.Inspector
}

var queueDepth = prometheus.NewDesc("pushd_queue_tasks",
	"Tasks in pushd's queue by state (pending, active, scheduled, retry, archived).",
	[]string{"state"}, nil)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepth }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	qi, err := c.inspector.GetQueueInfo(dispatcher.Queue)
	if err != nil {
		// The queue does not exist until the first enqueue: report zeros.
		qi = &asynq.QueueInfo{}
	}
	for state, n := range map[string]int{
		"pending": qi.Pending, "active": qi.Active, "scheduled": qi.Scheduled,
		"retry": qi.Retry, "archived": qi.Archived,
	} {
		ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, float64(n), state)
	}
}
