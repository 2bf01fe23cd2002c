package dispatcher

import (
	"context"
	"sync"
	"time"

	"github.com/pushd/pushd/vendors"
)

// sendTimed is send that, when timed, also returns the latency of the
// request behind each result (its wait for a bulkhead slot included), one
// per delivery in the order of bs, for the trace.
func (h *Handler) sendTimed(ctx context.Context, bs []batch, timed bool) ([][]vendors.Result, []time.Duration) {
	if !timed {
		return h.send(ctx, bs), nil
	}
	if len(bs) > 1 {
		ctx = vendors.WithPayloadCache(ctx)
	}
	results := make([][]vendors.Result, len(bs))
	took := make([]time.Duration, len(bs))
	one := func(i int) {
		start := time.Now()
		results[i] = h.sendBatch(ctx, &bs[i])
		took[i] = time.Since(start)
	}
	if len(bs) == 1 {
		one(0)
	} else {
		var wg sync.WaitGroup
		sem := make(chan struct{}, h.cfg.SendConcurrency)
		for i := range bs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				one(i)
			}()
		}
		wg.Wait()
	}
	var lat []time.Duration
	for i := range bs {
		for range bs[i].ds {
			lat = append(lat, took[i])
		}
	}
	return results, lat
}
