package dispatcher

import (
	"context"
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
	h := &Handler{Queue: q, MaxRetry: 3, RetryBase: time.Second, RetryMax: time.Minute, Now: func() time.Time { return now }}
	quota := vendors.QuotaError(vendors.OPPO, 200, "33", "daily limit", now)
	down := &vendors.Error{Vendor: vendors.APNs, Kind: vendors.Retryable, Status: 503, Code: "ServiceUnavailable"}
	out := &outcome{}
	out.add(Delivery{CertID: 4, Token: "o1", Vendor: vendors.OPPO}, quota)
	out.add(Delivery{CertID: 1, Token: "a1", Vendor: vendors.APNs}, down)
	out.add(Delivery{CertID: 4, Token: "o2", Vendor: vendors.OPPO}, quota)
	if out.rateLimited {
		t.Fatal("a mixed outcome counted as rate limited")
	}
	exp := now.Add(time.Hour)
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
		in, _ := option(q.opts[i], asynq.ProcessInOpt).(time.Duration)
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
