package app

import (
	"context"
	"time"

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

// streamCollector reports the job stream's depth at scrape time.
type streamCollector struct {
	stream *dispatcher.JobStream
}

var streamDepth = prometheus.NewDesc("pushd_stream_jobs",
	"Jobs in the job stream by state (waiting: not yet taken by a worker; in_flight: taken, not yet done).",
	[]string{"state"}, nil)

func (c *streamCollector) Describe(ch chan<- *prometheus.Desc) { ch <- streamDepth }

func (c *streamCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	waiting, inFlight, _ := c.stream.Depth(ctx)
	ch <- prometheus.MustNewConstMetric(streamDepth, prometheus.GaugeValue, float64(waiting), "waiting")
	ch <- prometheus.MustNewConstMetric(streamDepth, prometheus.GaugeValue, float64(inFlight), "in_flight")
}
