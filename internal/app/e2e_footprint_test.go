package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
)

// footprintJobs is N of issue 16: the bound holds after at least 20 000
// one-device jobs.
const footprintJobs = 20000

// maxBytesPerJob is the bound of issue 16: what Redis keeps to remember a
// delivered message (its msg_id for the dedupe window, its sent event in
// the capped event stream) with the default retention.
const maxBytesPerJob = 150

// TestFootprintOfDeliveredJobs delivers footprintJobs one-device jobs and
// measures what Redis keeps of them once they are done: the sum of MEMORY
// USAGE (exact, SAMPLES 0) over every key of the test's database, before
// and after, per job, and the keys left per job. The sizes are Redis's own
// and do not depend on the machine's speed.
func TestFootprintOfDeliveredJobs(t *testing.T) {
	// The delivery state alone: the per-message trace (trace.enabled) is
	// bounded on its own, per app, and measured by
	// TestTraceFootprintOfDeliveredJobs.
	h := newHarness(t, func(s *setup) { s.level = slog.LevelWarn; s.cfg.Trace.Enabled = false })
	cert := h.addVendor(testApp, vendors.APNs)
	h.enqueue(deviceJobOf("warm", cert, deviceToken(vendors.APNs, 999_999)))
	waitFor(t, "the warm-up delivered", 10*time.Second, func() bool { return h.apns.Len() >= 1 })
	h.waitDone(testApp, "warm", 10*time.Second)
	ctx := context.Background()
	rdb := h.app.Redis
	bytesBefore, keysBefore := dbFootprint(t, rdb)

	for start := 0; start < footprintJobs; start += 500 {
		var batch []dispatcher.EncodedJob
		for i := start; i < min(start+500, footprintJobs); i++ {
			e, err := dispatcher.Encode(deviceJobOf(fmt.Sprintf("fp-%05d", i), cert, deviceToken(vendors.APNs, i)), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, e)
		}
		for _, r := range h.app.Intake.Enqueue(ctx, batch) {
			if r.Err != nil || r.Duplicate {
				t.Fatalf("enqueue: %+v", r)
			}
		}
	}
	waitFor(t, "every job delivered", 5*time.Minute, func() bool { return h.apns.Len() >= footprintJobs+1 })
	waitFor(t, "the stream drained", 30*time.Second, func() bool {
		w, f, err := h.app.Stream.Depth(ctx)
		return err == nil && w+f == 0
	})
	time.Sleep(200 * time.Millisecond) // the last acknowledgements' events
	bytesAfter, keysAfter := dbFootprint(t, rdb)
	perJob := float64(bytesAfter-bytesBefore) / footprintJobs
	keysPerJob := float64(keysAfter-keysBefore) / footprintJobs
	t.Logf("%d delivered jobs: %.1f bytes and %.4f keys of Redis per job (%d → %d bytes, %d → %d keys)",
		footprintJobs, perJob, keysPerJob, bytesBefore, bytesAfter, keysBefore, keysAfter)
	if keysPerJob > 0.01 || perJob > maxBytesPerJob {
		// Say why: retries leave keys (their tasks and markers) behind.
		codes := map[string]int{}
		for _, ev := range h.events(testApp) {
			if ev.Type != dispatcher.EventSent {
				codes[ev.Type+" "+ev.Code]++
			}
		}
		t.Logf("events other than sent: %v", codes)
	}
	if perJob > maxBytesPerJob {
		t.Errorf("a delivered job costs %.1f bytes of Redis, want at most %d", perJob, maxBytesPerJob)
	}
	if keysPerJob > 0.01 {
		t.Errorf("%.4f keys left per delivered job, want none (the dedupe sets and the event stream are shared)", keysPerJob)
	}
	// The same msg_id within the retention is still a no-op.
	dup, err := dispatcher.Encode(deviceJobOf("fp-00042", cert, deviceToken(vendors.APNs, 42)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := h.app.Intake.Enqueue(ctx, []dispatcher.EncodedJob{dup})[0]; !r.Duplicate || r.TaskID != dispatcher.TaskID(testApp, "fp-00042") {
		t.Fatalf("a repeated msg_id after delivery: %+v, want a duplicate with the original task id", r)
	}
}

// dbFootprint returns the bytes (MEMORY USAGE, exact) and the number of
// the keys of rdb's database.
func dbFootprint(t *testing.T, rdb redis.UniversalClient) (bytes, keys int64) {
	t.Helper()
	ctx := context.Background()
	var all []string
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		all = append(all, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(all)
	for _, k := range all {
		n, err := rdb.MemoryUsage(ctx, k, 0).Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		bytes += n
	}
	return bytes, int64(len(all))
}
