package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
)

// Benchmarks of the whole path: asynq on the test Redis, the worker, the
// rules, the adapters, and loopback fakes that verify every request. They
// skip without PUSHD_TEST_REDIS (testredis) and, being benchmarks, run only
// with -bench:
//
//	go test -run xxx -bench . -benchtime 2000x ./internal/app/
//
// The jobs are queued before the clock starts, with the worker stopped, and
// the worker is started with the clock: the measure is how fast a worker
// drains a queue, not asynq's idle polling interval.

// benchSetup runs the API only (the benchmark starts its own worker) and
// keeps the log quiet: a debug line per push would be measured too.
func benchSetup(s *setup) {
	s.opts.NoWorker = true
	s.level = slog.LevelWarn
}

// BenchmarkEndToEndAPNs: one op is one job to one APNs device, from the
// queue to the fake's 200.
func BenchmarkEndToEndAPNs(b *testing.B) {
	h := newHarness(b, benchSetup)
	cert := h.addVendor(testApp, vendors.APNs)
	tasks := make([]*asynq.Task, b.N)
	for i := range tasks {
		job := &dispatcher.Job{AppID: testApp, MsgID: fmt.Sprintf("bench-%d", i),
			Sender:  dispatcher.From{UserID: "denny", Nickname: "Denny"},
			Devices: []dispatcher.Device{{CertID: cert, Token: deviceToken(vendors.APNs, i)}},
			Elems:   []dispatcher.Elem{{Type: dispatcher.ElemText, Text: "See you at 8"}}}
		t, err := dispatcher.NewMessageTask(job, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		tasks[i] = t
	}
	h.enqueueAll(tasks)
	elapsed := h.drain(func() bool { return h.apns.Len() >= b.N })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pushes/s")
	if ok := okPerToken(h.apns.Requests()); len(ok) != b.N {
		b.Fatalf("%d devices accepted, want %d", len(ok), b.N)
	}
}

// BenchmarkEndToEndGroupXiaomi: one op is one device reached through a
// 1000-recipient group job (b.N devices are ⌈b.N/1000⌉ jobs), each job
// fanned out to one Xiaomi batch request of up to 1000 regIds.
func BenchmarkEndToEndGroupXiaomi(b *testing.B) {
	const group = 1000
	h := newHarness(b, benchSetup)
	cert := h.addVendor(testApp, vendors.Xiaomi)
	users, tokens := numbered("g", vendors.Xiaomi, min(b.N, group))
	h.bindMany(testApp, cert, users, tokens)
	var tasks []*asynq.Task
	for start := 0; start < b.N; start += group {
		job := &dispatcher.Job{AppID: testApp, MsgID: fmt.Sprintf("bench-grp-%d", start),
			Sender:     dispatcher.From{UserID: "denny", Nickname: "Denny"},
			Recipients: users[:min(group, b.N-start)],
			Group:      &dispatcher.Group{ID: "g1", Name: "Hiking", Type: dispatcher.GroupWork},
			Elems:      []dispatcher.Elem{{Type: dispatcher.ElemText, Text: "See you at 8"}}}
		t, err := dispatcher.NewMessageTask(job, time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		tasks = append(tasks, t)
	}
	h.enqueueAll(tasks)
	delivered := func() int {
		n := 0
		for _, r := range h.sb.Xiaomi.Requests() {
			n += len(r.Tokens)
		}
		return n
	}
	elapsed := h.drain(func() bool { return delivered() >= b.N })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "devices/s")
	if reqs := h.sb.Xiaomi.Len(); reqs != len(tasks) {
		b.Fatalf("%d Xiaomi requests for %d jobs, want one batch per job", reqs, len(tasks))
	}
}

// enqueueAll queues tasks on a few connections.
func (h *harness) enqueueAll(tasks []*asynq.Task) {
	h.t.Helper()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(tasks); i += workers {
				if _, err := h.app.Queue.Enqueue(tasks[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		h.t.Fatal(err)
	}
}

// drain starts a worker with the benchmark's clock, waits until done
// holds, stops the clock and the worker, and returns the time it took.
func (h *harness) drain(done func() bool) time.Duration {
	h.t.Helper()
	b := h.t.(*testing.B)
	a := h.app
	srv, mux := dispatcher.NewServer(a.RedisOpt, dispatcher.ServerConfig{
		Concurrency: a.Config.Worker.Concurrency, ShutdownTimeout: a.Config.Worker.ShutdownTimeout}, a.Handler, a.Log)
	b.ResetTimer()
	start := time.Now()
	if err := srv.Start(mux); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for !done() {
		if ctx.Err() != nil {
			b.Fatal("timed out waiting for the deliveries")
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	return elapsed
}
