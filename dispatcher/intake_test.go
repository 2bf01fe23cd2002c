package dispatcher

import (
	"context"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testredis"
)

// The intake refuses a repeated msg_id, answers the original task id, and
// leaves no dedupe bucket without an expiry; Go callers' EnqueueMany too.
func TestIntakeDedupeAndBucketExpiry(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	s := NewJobStream(db.Client, time.Hour)
	in := NewIntake(s, IntakeConfig{})
	defer in.Close()
	job := EncodedJob{AppID: "app", MsgID: "m1", JSON: []byte(`{}`)}
	first := in.Enqueue(ctx, []EncodedJob{job})[0]
	again := in.Enqueue(ctx, []EncodedJob{job})[0]
	if first.Err != nil || first.Duplicate || !again.Duplicate || again.TaskID != first.TaskID || first.TaskID != TaskID("app", "m1") {
		t.Fatalf("first %+v, again %+v", first, again)
	}
	cur, _, _ := dedupeBuckets(time.Hour, time.Now())
	ttl := db.Client.TTL(ctx, s.shards[0].dedupeKey(cur)).Val()
	if ttl <= 0 || ttl > 2*time.Hour {
		t.Fatalf("the dedupe bucket's TTL is %s, want within two retentions", ttl)
	}
	if n := db.Client.XLen(ctx, s.Key()).Val(); n != 1 {
		t.Fatalf("%d entries for one job enqueued twice", n)
	}
	db.Client.Persist(ctx, s.shards[0].dedupeKey(cur))
	if r := EnqueueMany(ctx, s, []*Job{{AppID: "app", MsgID: "m2", Devices: []Device{{CertID: 1, Token: "t"}},
		OfflinePush: OfflinePush{Desc: "hi"}}})[0]; r.Err != nil {
		t.Fatal(r.Err)
	}
	if ttl := db.Client.TTL(ctx, s.shards[0].dedupeKey(cur)).Val(); ttl <= 0 {
		t.Fatalf("EnqueueMany left the bucket without an expiry (TTL %s)", ttl)
	}
}
