package dispatcher

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/vendors"
)

// recordingQueue keeps what was enqueued, with its options.
type recordingQueue struct {
	tasks []*asynq.Task
	opts  [][]asynq.Option
}

func (q *recordingQueue) EnqueueContext(_ context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	q.tasks = append(q.tasks, t)
	q.opts = append(q.opts, opts)
	return &asynq.TaskInfo{}, nil
}

func option(opts []asynq.Option, typ asynq.OptionType) any {
	for _, o := range opts {
		if o.Type() == typ {
			return o.Value()
		}
	}
	return nil
}

// A group message whose OPPO devices hit the daily quota and whose APNs
// device got a 503 must not make the APNs device wait for OPPO's midnight.
func TestRetriesAreScheduledPerCertificate(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	q := &recordingQueue{}
	h := newTestHandler(t, HandlerConfig{Queue: q, MaxRetry: 3, RetryBase: time.Second, RetryMax: time.Minute, Now: func() time.Time { return now }})
	quota := vendors.QuotaError(vendors.OPPO, 200, "33", "daily limit", now)
	down := &vendors.Error{Vendor: vendors.APNs, Kind: vendors.Retryable, Status: 503, Code: "ServiceUnavailable"}
	out := &outcome{}
	out.add(Delivery{CertID: 4, Token: "o1", Vendor: vendors.OPPO}, quota)
	out.add(Delivery{CertID: 1, Token: "a1", Vendor: vendors.APNs}, down)
	out.add(Delivery{CertID: 4, Token: "o2", Vendor: vendors.OPPO}, quota)
	if out.rateLimited {
		t.Fatal("a mixed outcome counted as rate limited")
	}
	exp := now.Add(24 * time.Hour)
	if err := h.scheduleRetry(context.Background(), &Job{AppID: "app", MsgID: "m", ExpireAt: &exp}, out); err != nil {
		t.Fatal(err)
	}
	if len(q.tasks) != 2 {
		t.Fatalf("%d retry tasks, want one per certificate", len(q.tasks))
	}
	want := map[string]time.Duration{
		RetryTaskID("app", "m", 4): 6 * time.Hour, // until midnight China time
		RetryTaskID("app", "m", 1): time.Second,   // first backoff, at most RetryBase
	}
	for i := range q.tasks {
		id, _ := option(q.opts[i], asynq.TaskIDOpt).(string)
		at, _ := option(q.opts[i], asynq.ProcessAtOpt).(time.Time)
		in := at.Sub(now)
		w, ok := want[id]
		switch {
		case !ok:
			t.Errorf("unexpected task %q", id)
		case id == RetryTaskID("app", "m", 4) && in != w:
			t.Errorf("OPPO retry in %s, want the quota reset in %s", in, w)
		case id == RetryTaskID("app", "m", 1) && (in > w || in < w/2):
			t.Errorf("APNs retry in %s, want the first backoff (≤ %s)", in, w)
		}
	}
}

// A retry that could only come after the message's expire_at is not
// scheduled: its devices are dropped as expired at once.
func TestNoRetryPastExpiry(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	q := &recordingQueue{}
	sink := &recordingSink{}
	h := newTestHandler(t, HandlerConfig{Queue: q, Events: sink, RetryBase: time.Second, RetryMax: time.Minute, Now: func() time.Time { return now }})
	out := &outcome{}
	out.add(Delivery{CertID: 4, Token: "o1", Vendor: vendors.OPPO}, vendors.QuotaError(vendors.OPPO, 200, "33", "daily limit", now))
	exp := now.Add(time.Hour) // the quota resets in 6 h
	if err := h.scheduleRetry(context.Background(), &Job{AppID: "app", MsgID: "m", ExpireAt: &exp}, out); err != nil {
		t.Fatal(err)
	}
	if len(q.tasks) != 0 {
		t.Fatalf("%d retry tasks scheduled past expire_at", len(q.tasks))
	}
	if len(sink.evs) != 1 || sink.evs[0].Type != EventDropped || sink.evs[0].Rule != RuleExpired {
		t.Fatalf("events %+v, want one dropped/expired", sink.evs)
	}
}

// A retry of many devices with one notification stores it once, and a
// retry of more than maxRetryTargets devices is cut into several tasks.
func TestRetryPayloadStoresEachNotificationOnce(t *testing.T) {
	n := &vendors.Notification{ID: "m", Title: "Hiking", Body: strings.Repeat("x", 2000)}
	ds := make([]Delivery, 2500)
	for i := range ds {
		c := *n
		ds[i] = Delivery{CertID: 7, Token: fmt.Sprintf("tok-%04d", i), Vendor: vendors.Xiaomi, Notif: &c}
	}
	ps := newRetryPayloads("app", "m", time.Now().Add(time.Hour), time.Time{}, ds)
	if len(ps) != 3 || len(ps[0].Targets) != maxRetryTargets || len(ps[2].Targets) != 500 {
		t.Fatalf("%d payloads", len(ps))
	}
	for _, p := range ps {
		if len(p.Notifications) != 1 {
			t.Fatalf("%d notifications stored, want 1", len(p.Notifications))
		}
		b, _ := json.Marshal(p)
		if len(b) > 100_000 {
			t.Fatalf("a payload of %d bytes", len(b))
		}
		var back RetryPayload
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		got := back.deliveries()
		if len(got) != len(p.Targets) || got[0].Notif.Body != n.Body || got[0].Notif == got[1].Notif {
			t.Fatal("deliveries do not expand to their own copies of the notification")
		}
	}
}

// recordingSink keeps the events it is given.
type recordingSink struct {
	mu  sync.Mutex
	evs []Event
}

func (s *recordingSink) Emit(_ context.Context, evs []Event) {
	s.mu.Lock()
	s.evs = append(s.evs, evs...)
	s.mu.Unlock()
}
