package dispatcher

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushd/pushd/vendors"
)

// sendTimed is send that, when timed, also returns the latency of the
// request behind each result (its wait for a bulkhead slot included), one
// per delivery in the order of bs, for the trace.
func (h *Handler) sendTimed(ctx context.Context, bs []batch, timed bool) ([][]vendors.Result, []time.Duration) {
	results := make([][]vendors.Result, len(bs))
	took := make([]time.Duration, len(bs))
	if len(bs) > 1 {
		// Batches sharing a notification (one per device on APNs) encode
		// its payload once.
		ctx = vendors.WithPayloadCache(ctx)
	}
	eachBatch(len(bs), h.cfg.SendConcurrency, func(i int) {
		start := time.Now()
		results[i] = h.sendBatch(ctx, &bs[i])
		took[i] = time.Since(start)
	})
	if !timed {
		return results, nil
	}
	var lat []time.Duration
	for i := range bs {
		for range bs[i].ds {
			lat = append(lat, took[i])
		}
	}
	return results, lat
}

// eachBatch calls f for every index below count, on at most n goroutines
// that each take the next index. A fan-out of a thousand one-device
// batches thus starts n goroutines, not a thousand: each new goroutine
// grows its stack again down the HTTP client (runtime.copystack was an
// eighth of the worker's CPU in the fan-out profile).
func eachBatch(count, n int, f func(i int)) {
	if count == 1 {
		f(0)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(n, 1), count) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
