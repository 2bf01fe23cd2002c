package dispatcher

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testredis"
)

// TestShardedStream: jobs spread over the shards, each to its priority's
// stream, every shard in its own hash tag; a repeat of any msg_id is a
// duplicate; the engine's read of one shard takes its priorities in one
// command.
func TestShardedStream(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	s := NewShardedJobStream(db.Client, time.Hour, 4)
	if err := s.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	var jobs []EncodedJob
	for i := range 200 {
		jobs = append(jobs, EncodedJob{AppID: "app", MsgID: fmt.Sprint("m", i), JSON: []byte(`{}`), Priority: Priority(i % 3), Weight: 1})
	}
	for i, r := range s.Append(ctx, jobs) {
		if r.Err != nil || r.Duplicate {
			t.Fatalf("job %d: %+v", i, r)
		}
	}
	tags := map[string]bool{}
	total := int64(0)
	for i, sh := range s.shards {
		tags[sh.prefix] = true
		perShard := int64(0)
		for p, k := range sh.streams {
			n := db.Client.XLen(ctx, k).Val()
			if n == 0 {
				t.Errorf("shard %d's %s stream is empty after 200 jobs", i, Priority(p))
			}
			perShard += n
		}
		t.Logf("shard %d (%s): %d jobs", i, sh.prefix, perShard)
		total += perShard
	}
	if total != 200 || len(tags) != 4 {
		t.Fatalf("%d entries in %d hash tags, want 200 in 4", total, len(tags))
	}
	for i, r := range s.Append(ctx, jobs) {
		if !r.Duplicate {
			t.Fatalf("job %d enqueued twice: %+v", i, r)
		}
	}
	waiting, inFlight, err := s.Depth(ctx)
	if err != nil || waiting != 200 || inFlight != 0 {
		t.Fatalf("Depth = %d waiting, %d in flight, %v", waiting, inFlight, err)
	}
	es, err := s.read(ctx, "c", &s.shards[1], []Priority{PriorityHigh, PriorityLow}, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range es {
		if en.prio == PriorityNormal || en.app != "app" || en.weight != 1 || en.stream != s.shards[1].streams[en.prio] {
			t.Fatalf("entry %+v read from the high and low streams of shard 1", en)
		}
	}
	if len(es) == 0 {
		t.Fatal("nothing read from shard 1")
	}
}

// TestShardTags: shard 0 keeps the single stream's tag, the tags are
// distinct and each falls in its own band of slots; keySlot matches
// Redis' (CLUSTER KEYSLOT of "{pushd:jobs}..." is 11582).
func TestShardTags(t *testing.T) {
	if got := keySlot("pushd:jobs"); got != 11582 {
		t.Fatalf("keySlot(pushd:jobs) = %d, want 11582 (CLUSTER KEYSLOT)", got)
	}
	for _, n := range []int{1, 3, 6, 16, 64} {
		tags := shardTags(n)
		if len(tags) != n || tags[0] != streamTag {
			t.Fatalf("shardTags(%d) = %v", n, tags)
		}
		bands := map[int]bool{}
		for _, tag := range tags {
			b := int(keySlot(tag[1:len(tag)-1])) * n / clusterSlots
			if bands[b] {
				t.Fatalf("shardTags(%d): two tags in band %d: %v", n, b, tags)
			}
			bands[b] = true
		}
	}
}
