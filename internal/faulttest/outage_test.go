package faulttest

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors/fake"
)

// outageWindow is how long APNs answers 503 in TestVendorOutage. The issue
// asks for 30 s; the test scales the outage to 10 s, twice the breaker's
// first 5 s cooldown, which exercises the same states (open, a failed
// half-open probe, a doubled cooldown, a successful probe) in a third of
// the time.
const outageWindow = 10 * time.Second

// probesWithin is how many half-open probes a breaker whose cooldown
// starts at c and doubles can make within w: one at c, 3c, 7c, …
func probesWithin(w, c time.Duration) int {
	n := 0
	for at := c; at < w; at = 2*at + c {
		n++
	}
	return n
}

// TestVendorOutage makes the fake APNs answer 503 to everything for
// outageWindow while 200 one-device jobs arrive. The circuit breaker must
// keep the requests to the dead vendor to the first wave (at most the
// breaker's threshold plus the worker's concurrency) plus its probes; after
// the outage every job is delivered and none is archived.
func TestVendorOutage(t *testing.T) {
	t.Parallel()
	const jobs, concurrency = 200, 8
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{})
	cfg := e.config(db.URL)
	cfg.Worker.Concurrency = concurrency
	// The first wave is what is in flight when the breaker opens: the
	// bulkhead's slots for APNs.
	cfg.Worker.VendorConcurrency = map[string]int{"apns": concurrency}
	n := e.start(cfg, app.Options{})
	cert := e.addCert(n.client)
	br := n.app.Handler.Breakers()
	toks := tokens(0xe0, jobs)
	js := make([]*dispatcher.Job, len(toks))
	for i, tok := range toks {
		js[i] = deviceJob(fmt.Sprintf("outage-%05d", i), cert, tok)
	}

	// FailNext queues one failure per request: 100 000 outlast any outage here.
	e.apns.FailNext(100000, fake.Failure{Code: "ServiceUnavailable"})
	start := time.Now()
	enqueueDirect(t, db.URL, js)
	time.Sleep(outageWindow - time.Since(start))
	e.apns.ClearFaults()
	ended := time.Now()

	waitFor(t, "every device served after the outage", 60*time.Second, func() bool {
		return missing(okByToken(e.apns.Requests()), toks) == 0
	})
	recovered := time.Since(ended)
	reqs := e.apns.Requests()
	during := 0
	for _, r := range reqs {
		if r.Status == http.StatusServiceUnavailable {
			during++
		}
	}
	probes := probesWithin(outageWindow, br.Cooldown)
	bound := br.Threshold + concurrency + probes
	if during > bound {
		t.Errorf("%d requests reached the dead vendor in %s, want at most %d (threshold %d + concurrency %d + %d probes)",
			during, outageWindow, bound, br.Threshold, concurrency, probes)
	}
	if a := archived(t, n.app.Inspector); len(a) != 0 {
		t.Fatalf("%d tasks archived during a %s outage, first: %s", len(a), outageWindow, a[0].LastErr)
	}
	dups, _ := duplicates(reqs)
	report(t, map[string]any{
		"jobs":                       jobs,
		"outage_seconds":             seconds(outageWindow),
		"requests_during_outage":     during,
		"bound_requests":             bound,
		"breaker_threshold":          br.Threshold,
		"breaker_cooldown_seconds":   seconds(br.Cooldown),
		"worker_concurrency":         concurrency,
		"recovery_to_all_seconds":    seconds(recovered),
		"requests_total":             len(reqs),
		"duplicates":                 dups,
		"archived":                   0,
		"lost":                       0,
		"requests_without_a_breaker": fmt.Sprintf("at least %d (one per job)", jobs),
	})
}
