package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors/fake"
)

// TestRetryAfterHonoured makes APNs answer one device of a two-device job
// with 429 TooManyRequests and Retry-After: 2. That device gets no request
// before 2 s have passed, is then delivered, and the wait does not count
// as a failed attempt; the other device is sent once.
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{})
	n := e.start(e.config(db.URL), app.Options{})
	cert := e.addCert(n.client)
	toks := tokens(0xf0, 2)
	slow, fine := toks[0], toks[1]
	e.apns.FailTokenTimes(slow, 1, fake.Failure{Code: "TooManyRequests", RetryAfter: 2 * time.Second})
	job := map[string]any{"app_id": appID, "msg_id": "retry-after-1",
		"devices":      []map[string]any{{"cert_id": cert, "token": slow}, {"cert_id": cert, "token": fine}},
		"offline_push": map[string]any{"desc": "slow down"}}
	if err := n.client.Do(context.Background(), http.MethodPost, "/v1/messages", job, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rate-limited device served", 20*time.Second, func() bool {
		return okByToken(e.apns.Requests())[slow] == 1
	})
	var times []time.Time
	var statuses []int
	perToken := map[string]int{}
	for _, r := range e.apns.Requests() {
		perToken[r.Tokens[0]]++
		if r.Tokens[0] == slow {
			times, statuses = append(times, r.At), append(statuses, r.Status)
		}
	}
	if len(times) != 2 || statuses[0] != http.StatusTooManyRequests || statuses[1] != http.StatusOK {
		t.Fatalf("requests for the slow device: statuses %v, want 429 then 200", statuses)
	}
	gap := times[1].Sub(times[0])
	if gap < 2*time.Second {
		t.Fatalf("the device was asked again %s after a Retry-After of 2s", gap)
	}
	if perToken[fine] != 1 {
		t.Fatalf("the other device got %d requests, want 1", perToken[fine])
	}
	// The task completes once its handler has recorded the outcome, a
	// moment after the fake saw the request.
	var info *asynq.TaskInfo
	var err error
	waitFor(t, "the retry task completed", 10*time.Second, func() bool {
		info, err = n.app.Inspector.GetTaskInfo(dispatcher.Queue, dispatcher.RetryTaskID(appID, "retry-after-1", cert))
		return err == nil && info.State == asynq.TaskStateCompleted
	})
	if err != nil || info.State != asynq.TaskStateCompleted || info.Retried != 0 {
		t.Fatalf("retry task %+v, %v: want completed without a counted retry", info, err)
	}
	report(t, map[string]any{
		"retry_after_seconds":         2,
		"gap_seconds":                 seconds(gap),
		"requests_for_limited_device": len(times),
		"retries_counted":             info.Retried,
	})
}

// TestRateLimitAcrossWorkers runs two pushd workers on one Redis with a
// per-certificate limit of 20 requests/s and 60 one-device jobs: in no
// second does APNs see more than the limit plus the burst, both workers
// send, and every job is delivered without being archived.
func TestRateLimitAcrossWorkers(t *testing.T) {
	t.Parallel()
	const jobs, rate, burst = 60, 20, 2
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{})
	cfg := e.config(db.URL)
	cfg.Worker.DefaultRateLimit = rate
	cfg.Worker.Concurrency = 4 // so that neither worker takes every job at once
	first := e.start(cfg, app.Options{})
	other := *cfg
	second := e.start(&other, app.Options{NoAPI: true})
	cert := e.addCert(first.client)
	toks := tokens(0xa0, jobs)
	js := make([]*dispatcher.Job, len(toks))
	for i, tok := range toks {
		js[i] = deviceJob(fmt.Sprintf("throttle-%05d", i), cert, tok)
	}
	start := time.Now()
	enqueueDirect(t, db.URL, js)
	waitFor(t, "every device served", 30*time.Second, func() bool {
		return missing(okByToken(e.apns.Requests()), toks) == 0
	})
	elapsed := time.Since(start)
	reqs := e.apns.Requests()
	peak := peakPerSecond(reqs)
	// GCRA admits rate·1s + burst requests in any one-second window. The
	// fake sees them a little later than the limiter granted them (a
	// scheduling delay on a loaded machine can bunch two or three), so the
	// window check allows 3 more, and the run as a whole must not be
	// faster than the limit allows: delays only ever lengthen it.
	if peak > rate+burst+3 {
		t.Errorf("%d requests within one second, want at most %d (limit %d + burst %d + 3)", peak, rate+burst+3, rate, burst)
	}
	span := spanOf(reqs)
	if minSpan := time.Duration(float64(jobs-burst-3) / rate * float64(time.Second)); span < minSpan {
		t.Errorf("%d requests in %s, faster than %d/s allows (%s)", len(reqs), span, rate, minSpan)
	}
	sent1, sent2 := pushes(t, first), pushes(t, second)
	if sent1 == 0 || sent2 == 0 {
		t.Errorf("pushes per worker %d and %d: both workers should send", sent1, sent2)
	}
	if a := archived(t, first.app.Inspector); len(a) != 0 {
		t.Fatalf("%d tasks archived, first: %s", len(a), a[0].LastErr)
	}
	report(t, map[string]any{
		"jobs":                  jobs,
		"limit_per_second":      rate,
		"peak_per_second":       peak,
		"first_to_last_seconds": seconds(span),
		"requests":              len(reqs),
		"seconds":               seconds(elapsed),
		"sent_by_first_worker":  sent1,
		"sent_by_other_worker":  sent2,
		"archived":              0,
	})
}

// peakPerSecond is the most requests in any one-second window.
func peakPerSecond(reqs []fake.Recorded) int {
	at := make([]time.Time, len(reqs))
	for i, r := range reqs {
		at[i] = r.At
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	peak, lo := 0, 0
	for hi := range at {
		for at[hi].Sub(at[lo]) >= time.Second {
			lo++
		}
		peak = max(peak, hi-lo+1)
	}
	return peak
}

// spanOf is the time from the first request to the last.
func spanOf(reqs []fake.Recorded) time.Duration {
	lo, hi := reqs[0].At, reqs[0].At
	for _, r := range reqs {
		if r.At.Before(lo) {
			lo = r.At
		}
		if r.At.After(hi) {
			hi = r.At
		}
	}
	return hi.Sub(lo)
}

// pushes reads a worker's pushd_pushes_total{vendor="apns",result="ok"}.
func pushes(t *testing.T, n *node) int {
	t.Helper()
	mfs, err := n.app.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "pushd_pushes_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			if strings.Join(labels, ",") == "result=ok,vendor=apns" {
				return int(m.GetCounter().GetValue())
			}
		}
	}
	return 0
}
