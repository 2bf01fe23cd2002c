package dispatcher

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testredis"
)

// Events Redis refuses (here a key of the wrong type; in production a full
// Redis) must not hold the acknowledgements behind them: the jobs are done
// and their entries deleted at once, which frees memory, and the events
// are written once Redis takes them again.
func TestCommitterAcksDoNotWaitForEvents(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	s := NewJobStream(db.Client, time.Hour)
	if err := s.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	for i, r := range s.Append(ctx, []EncodedJob{{AppID: "app", MsgID: "1", JSON: []byte(`{}`)}, {AppID: "app", MsgID: "2", JSON: []byte(`{}`)}, {AppID: "app", MsgID: "3", JSON: []byte(`{}`)}}) {
		if r.Err != nil || r.Duplicate {
			t.Fatalf("job %d: %+v", i, r)
		}
	}
	es, err := s.read(ctx, "c1", &s.shards[0], []Priority{PriorityNormal}, 10, time.Second)
	if err != nil || len(es) != 3 {
		t.Fatalf("read %d entries: %v", len(es), err)
	}
	sink := NewStreamSink(db.Client, "pushd:", 1000)
	events := StreamKey("pushd:", "app")
	db.Client.Set(ctx, events, "not a stream", 0)
	c := newCommitter(db.Client, s, sink, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var ops []*commitOp
	for _, e := range es {
		op := &commitOp{ack: e.ref(), events: []Event{{Type: EventSent, AppID: "app", MsgID: e.id, At: time.Now()}}, done: make(chan struct{})}
		ops = append(ops, op)
		c.submit(op)
	}
	for i, op := range ops {
		select {
		case <-op.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("job %d still waits for its events", i)
		}
	}
	if _, inFlight, err := s.Depth(ctx); err != nil || inFlight != 0 {
		t.Fatalf("%d entries still pending (%v)", inFlight, err)
	}
	if n := db.Client.XLen(ctx, s.Key()).Val(); n != 0 {
		t.Fatalf("%d job entries left in the stream", n)
	}
	db.Client.Del(ctx, events)
	deadline := time.Now().Add(10 * time.Second)
	for db.Client.XLen(ctx, events).Val() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("events written after Redis took them again: %d, want 3", db.Client.XLen(ctx, events).Val())
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.close(time.Second)
	msgs := db.Client.XRange(ctx, events, "-", "+").Val()
	for _, m := range msgs {
		if ev, ok := DecodeEvent("app", m.ID, m.Values); !ok || ev.Type != EventSent || ev.AppID != "app" {
			t.Fatalf("event %v decodes to %+v", m.Values, ev)
		}
	}
}
