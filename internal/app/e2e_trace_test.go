package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// TestTraceNamesEveryRule is issue 15's "done means" for the trace: ONE
// job whose recipients hit different rules (the sender, push off, a muted
// conversation, do-not-disturb, no binding, the app in the foreground),
// a dead token, a device the vendor keeps refusing, and one sent; its
// trace names each rule and its setting, the send with the vendor's id
// and latency, the token invalidated, the retries (when, why, which
// attempt) up to the final failure, and a receipt emitted later.
func TestTraceNamesEveryRule(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.cfg.Worker.MaxRetry = 2 })
	apns, fcm := h.addVendor(testApp, vendors.APNs), h.addVendor(testApp, vendors.FCM)
	tok := func(i int) string { return deviceToken(vendors.APNs, 100+i) }
	for i, u := range []string{"vinson", "muted", "online", "dnd", "pushoff", "dead", "denny"} {
		h.bind(testApp, u, apns, tok(i), "ios")
	}
	flaky := deviceToken(vendors.FCM, 7)
	h.bind(testApp, "flaky", fcm, flaky, "android")
	h.do(http.MethodPut, "/v1/apps/"+testApp+"/users/muted/receive-options/c2c/denny", map[string]string{"opt": "receive_not_notify"}, nil)
	h.foreground(testApp, "online", apns, tok(2))
	start := time.Now().UTC().Add(-time.Hour).Format("15:04")
	h.do(http.MethodPut, "/v1/apps/"+testApp+"/users/dnd/settings", map[string]any{"dnd": map[string]any{"start": start, "duration": 180}}, nil)
	h.do(http.MethodPut, "/v1/apps/"+testApp+"/users/pushoff/settings", map[string]any{"push": devices.PushOff}, nil)
	h.apns.FailToken(tok(5), fake.Failure{Code: "Unregistered"})
	h.fcm.FailToken(flaky, fake.Failure{Code: "UNAVAILABLE"})

	job := c2cJob("tr-1", "See you at 8")
	job["recipients"] = []string{"vinson", "muted", "online", "dnd", "nobind", "pushoff", "dead", "flaky", "denny"}
	h.enqueue(job)
	h.waitDone(testApp, "tr-1", 20*time.Second)
	// The retries of the flaky device run as asynq tasks and end in a
	// failure once max_retry is spent; their events join the trace.
	var tr dispatcher.Trace
	waitFor(t, "the flaky device's final failure in the trace", 30*time.Second, func() bool {
		tr = h.trace(testApp, "tr-1")
		return slices.ContainsFunc(tr.Entries, func(e dispatcher.TraceEntry) bool { return e.UserID == "flaky" && e.Step == dispatcher.EventFailed })
	})
	receipt := dispatcher.Event{Type: "delivered", AppID: testApp, MsgID: "tr-1", UserID: "vinson", CertID: apns,
		Token: vendors.TokenHash(tok(0)), Vendor: "apns", At: time.Now().Add(time.Second)}
	h.app.Events.Emit(context.Background(), []dispatcher.Event{receipt})
	tr = h.trace(testApp, "tr-1")
	by := map[string][]dispatcher.TraceEntry{}
	for _, e := range tr.Entries {
		by[e.UserID] = append(by[e.UserID], e)
	}
	t.Logf("trace of tr-1: %d entries", len(tr.Entries))
	for _, e := range tr.Entries {
		j, _ := json.Marshal(e)
		t.Logf("%s", j)
	}

	for user, rule := range map[string]string{"denny": dispatcher.RuleSender, "pushoff": dispatcher.RulePushOff,
		"muted": dispatcher.RuleReceiveNoNotify, "dnd": dispatcher.RuleDoNotDisturb, "nobind": dispatcher.RuleNoBinding,
		"online": dispatcher.RuleForeground} {
		d := find(by[user], dispatcher.EventDropped)
		if d == nil || d.Rule != rule || d.Setting == "" {
			t.Errorf("%s: drop %+v, want rule %s with its setting (entries %v)", user, d, rule, stepsOf(by[user]))
		}
	}
	if got := stepsOf(by["vinson"]); !slices.Equal(got, []string{"resolved", "rendered", "sent", "delivered"}) {
		t.Errorf("vinson's steps %v", got)
	}
	if r := find(by["vinson"], dispatcher.StepResolved); r == nil || r.Devices == nil || *r.Devices != 1 {
		t.Errorf("vinson resolved %+v", r)
	}
	if r := find(by["vinson"], dispatcher.StepRendered); r == nil || r.Body != "Denny: See you at 8" || r.Badge == nil || r.Vendor != "apns" {
		t.Errorf("vinson rendered %+v", r)
	}
	if s := find(by["vinson"], dispatcher.EventSent); s == nil || s.VendorMsgID == "" || s.LatencyMS == nil || s.Token != vendors.TokenHash(tok(0)) {
		t.Errorf("vinson sent %+v", s)
	}
	if d := find(by["dead"], dispatcher.EventTokenInvalid); d == nil || d.Code != "Unregistered" {
		t.Errorf("dead: %+v (entries %v)", d, stepsOf(by["dead"]))
	}
	r, s := find(by["flaky"], dispatcher.EventRetrying), find(by["flaky"], dispatcher.StepRetryScheduled)
	if r == nil || r.Code != "UNAVAILABLE" || s == nil || s.RetryAt == nil || !s.RetryAt.After(s.At.Add(-time.Millisecond)) || s.Kind != "retryable" {
		t.Errorf("flaky: retrying %+v, scheduled %+v", r, s)
	}
	attempts := 0
	for _, e := range by["flaky"] {
		if e.Step == dispatcher.EventRetrying && e.Attempt > 0 {
			attempts++
		}
	}
	if attempts == 0 {
		t.Errorf("flaky: no retried attempt in %v", stepsOf(by["flaky"]))
	}
	scheduled := 0
	for _, e := range by["flaky"] {
		if e.Step == dispatcher.StepRetryScheduled && e.RetryAt != nil {
			scheduled++
		}
	}
	if scheduled < 2 {
		t.Errorf("flaky: %d retries scheduled in the trace, want the stream's and asynq's: %v", scheduled, stepsOf(by["flaky"]))
	}
	if !slices.IsSortedFunc(tr.Entries, func(a, b dispatcher.TraceEntry) int { return a.At.Compare(b.At) }) {
		t.Error("entries not in time order")
	}
	b, _ := json.Marshal(tr)
	for i := range 7 {
		if strings.Contains(string(b), tok(i)) {
			t.Fatalf("the trace holds device token %d", i)
		}
	}
	if strings.Contains(string(b), flaky) {
		t.Fatal("the trace holds the FCM token")
	}
	// A traced job adds no key of its own: the app's index and one hash
	// per hour (two when the hour turned during the test).
	if keys := h.app.Redis.Keys(context.Background(), "pushd:trace:*").Val(); len(keys) < 2 || len(keys) > 3 {
		t.Errorf("trace keys %v, want the app's index and its hours'", keys)
	}
}

// trace reads a message's trace through the API.
func (h *harness) trace(app, msg string) dispatcher.Trace {
	h.t.Helper()
	var tr dispatcher.Trace
	h.do(http.MethodGet, fmt.Sprintf("/v1/apps/%s/messages/%s/trace", app, msg), nil, &tr)
	return tr
}

func find(es []dispatcher.TraceEntry, step string) *dispatcher.TraceEntry {
	for i := range es {
		if es[i].Step == step {
			return &es[i]
		}
	}
	return nil
}

func stepsOf(es []dispatcher.TraceEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Step
	}
	return out
}

// traceJobs and maxTraceBytesPerJob: what the trace of a delivered
// one-device job costs in Redis (its share of the app's hour hash, MEMORY
// USAGE exact), on top of TestFootprintOfDeliveredJobs' bound.
const (
	traceJobs           = 2000
	maxTraceBytesPerJob = 320
)

func TestTraceFootprintOfDeliveredJobs(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.level = slog.LevelWarn })
	cert := h.addVendor(testApp, vendors.APNs)
	ctx := context.Background()
	var batch []dispatcher.EncodedJob
	for i := range traceJobs {
		e, err := dispatcher.Encode(deviceJobOf(fmt.Sprintf("tf-%05d", i), cert, deviceToken(vendors.APNs, i)), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, e)
	}
	for start := 0; start < len(batch); start += 500 {
		for _, r := range h.app.Intake.Enqueue(ctx, batch[start:min(start+500, len(batch))]) {
			if r.Err != nil || r.Duplicate {
				t.Fatalf("enqueue: %+v", r)
			}
		}
	}
	waitFor(t, "every job delivered", time.Minute, func() bool { return h.apns.Len() >= traceJobs })
	var keys []string
	waitFor(t, "every trace written", 10*time.Second, func() bool {
		keys = h.app.Redis.Keys(ctx, "pushd:trace:*").Val()
		n := int64(0)
		for _, k := range keys {
			n += h.app.Redis.HLen(ctx, k).Val()
		}
		return n >= traceJobs+1 // and the " bytes" field
	})
	var bytes int64
	for _, k := range keys {
		bytes += h.app.Redis.MemoryUsage(ctx, k, 0).Val()
	}
	per := float64(bytes) / traceJobs
	t.Logf("%d one-device jobs: their traces take %.1f bytes of Redis per job in %d key(s)", traceJobs, per, len(keys))
	if per > maxTraceBytesPerJob {
		t.Errorf("a one-device job's trace costs %.1f bytes, want at most %d", per, maxTraceBytesPerJob)
	}
	tr := h.trace(testApp, "tf-00042")
	if got := stepsOf(tr.Entries); !slices.Equal(got, []string{dispatcher.StepResolved, dispatcher.StepRendered, dispatcher.EventSent}) {
		t.Errorf("steps %v", got)
	}
}

// A job a message service enqueues as an asynq push:message task is
// traced too: resolved and rendered by the handler, its events as they are
// emitted.
func TestTraceOfAnAsynqJob(t *testing.T) {
	h := newHarness(t)
	cert := h.addVendor(testApp, vendors.APNs)
	h.bind(testApp, "vinson", cert, tokA, "ios")
	payload, err := json.Marshal(c2cJob("aq-1", "From asynq"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Queue.Enqueue(asynq.NewTask(dispatcher.TypeMessage, payload), asynq.Queue(dispatcher.Queue)); err != nil {
		t.Fatal(err)
	}
	var tr dispatcher.Trace
	waitFor(t, "the asynq job's trace", 20*time.Second, func() bool {
		var err error
		tr, err = h.traceOrNone(testApp, "aq-1")
		return err == nil && len(tr.Entries) >= 3
	})
	if got := stepsOf(tr.Entries); !slices.Equal(got, []string{dispatcher.StepResolved, dispatcher.StepRendered, dispatcher.EventSent}) {
		t.Fatalf("steps %v", got)
	}
	if r := tr.Entries[1]; r.Body != "Denny: From asynq" || r.UserID != "vinson" {
		t.Errorf("rendered %+v", r)
	}
}

// traceOrNone is trace that returns the API's error (a 404 before the
// trace is written) instead of failing.
func (h *harness) traceOrNone(app, msg string) (dispatcher.Trace, error) {
	var tr dispatcher.Trace
	err := h.client.Do(context.Background(), http.MethodGet, fmt.Sprintf("/v1/apps/%s/messages/%s/trace", app, msg), nil, &tr)
	return tr, err
}

// The store's bound on the window must cover the longest trace.window the
// configuration accepts.
func TestTraceWindowBound(t *testing.T) {
	if dispatcher.MaxTraceWindow < configs.MaxTraceWindow {
		t.Fatalf("readers look back %s, trace.window may be %s", dispatcher.MaxTraceWindow, configs.MaxTraceWindow)
	}
}
