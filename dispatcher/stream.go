package dispatcher

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The job stream is the fast path of a new job: one Redis stream that the
// API appends to and every worker reads through one consumer group. It was
// chosen over one asynq task per job because asynq's enqueue, dequeue and
// completion scripts cost 18 Redis commands per task (INFO commandstats
// counts the commands inside a script), poll an idle queue once a second,
// and keep the whole payload for the retention window. A stream entry
// costs one XADD; workers read and acknowledge entries by the hundred,
// block instead of polling, and delete an entry once it is done. asynq
// still runs what is rare: retries of failed devices, jobs enqueued
// directly as asynq tasks, and the archive of failed jobs.
//
// The stream is cut in worker.shards shards, each with one stream per
// priority (high, normal, low) and its own msg_id dedupe buckets. A job
// goes to the shard of its app_id and msg_id, so the same msg_id always
// meets the same buckets. A shard's keys share one hash tag — {pushd:jobs}
// for shard 0, {pushd:jobs:N} for shard N — so its enqueue script and its
// reads touch one Redis Cluster slot, and the shards spread over the
// cluster's masters. Shard 0's normal stream keeps the key of the single
// stream of earlier versions, so entries queued before an upgrade are read.
const (
	streamTag   = "{pushd:jobs}"
	streamGroup = "pushd"
	// streamField is the field of an entry holding the job's JSON;
	// appField and weightField carry its app and its number of targets,
	// which a worker reads before it decodes the job (fair shares).
	streamField = "j"
	appField    = "a"
	weightField = "w"
)

// shard is one shard of the job stream: its streams and dedupe buckets.
type shard struct {
	prefix  string
	streams [numPriorities]string
}

func newShard(tag string) shard {
	sh := shard{prefix: "pushd:" + tag + ":"}
	sh.streams[PriorityHigh] = sh.prefix + "s:high"
	sh.streams[PriorityNormal] = sh.prefix + "s"
	sh.streams[PriorityLow] = sh.prefix + "s:low"
	return sh
}

func (sh *shard) dedupeKey(bucket int64) string {
	return sh.prefix + "d:" + strconv.FormatInt(bucket, 10)
}

// dedupeBuckets returns the current and the previous msg_id dedupe bucket
// and the width of a bucket in seconds (the retention). A msg_id is looked
// up in both, so a repeat is refused for at least the retention and at
// most twice it.
//
// A member is 12 bytes of SHA-256 of app_id and msg_id: about 60 bytes of
// Redis per remembered message, against a key with its own expiry
// (~120 bytes) or asynq's completed task (~1.4 KB with its payload).
func dedupeBuckets(retention time.Duration, now time.Time) (cur, prev int64, width int64) {
	width = int64(max(retention, time.Minute) / time.Second)
	b := now.Unix() / width
	return b, b - 1, width
}

// JobStream is the stream of new jobs in Redis.
type JobStream struct {
	rdb       redis.UniversalClient
	shards    []shard
	retention time.Duration
	enqueue   *redis.Script
}

// NewJobStream returns the job stream on rdb in one shard; retention is
// the msg_id dedupe window (worker.retention).
func NewJobStream(rdb redis.UniversalClient, retention time.Duration) *JobStream {
	return NewShardedJobStream(rdb, retention, 1)
}

// NewShardedJobStream returns the job stream on rdb cut in n shards
// (worker.shards; at least 1). Every process of a deployment must use the
// same n: a msg_id's shard decides which dedupe buckets remember it.
func NewShardedJobStream(rdb redis.UniversalClient, retention time.Duration, n int) *JobStream {
	if retention <= 0 {
		retention = 24 * time.Hour
	}
	s := &JobStream{rdb: rdb, retention: retention, enqueue: redis.NewScript(enqueueSrc)}
	for _, tag := range shardTags(max(n, 1)) {
		s.shards = append(s.shards, newShard(tag))
	}
	return s
}

// Key is the key of shard 0's normal-priority stream (the single stream
// of a one-shard deployment's normal jobs).
func (s *JobStream) Key() string { return s.shards[0].streams[PriorityNormal] }

// Keys returns every stream key, shard by shard, highest priority first.
func (s *JobStream) Keys() []string {
	out := make([]string, 0, len(s.shards)*int(numPriorities))
	for _, sh := range s.shards {
		for _, p := range byRank {
			out = append(out, sh.streams[p])
		}
	}
	return out
}

// Shards is the number of shards.
func (s *JobStream) Shards() int { return len(s.shards) }

// clusterSlots is the number of Redis Cluster hash slots.
const clusterSlots = 16384

// shardTags returns the hash tags of n shards, spread evenly over the
// cluster's slots: the slots are cut in n equal bands, shard 0 keeps
// {pushd:jobs} (and its band), and every other shard takes the first tag
// {pushd:jobs:K} whose slot falls in a band no shard has yet. Masters
// usually own equal runs of slots, so n a multiple of the masters gives
// each the same number of shards; the tags depend on n only, so every
// process finds the same ones.
func shardTags(n int) []string {
	band := func(slot uint16) int { return int(slot) * n / clusterSlots }
	tags := []string{streamTag}
	taken := map[int]bool{band(keySlot("pushd:jobs")): true}
	for k := 1; len(tags) < n; k++ {
		name := "pushd:jobs:" + strconv.Itoa(k)
		if b := band(keySlot(name)); !taken[b] {
			taken[b] = true
			tags = append(tags, "{"+name+"}")
		}
	}
	return tags
}

// keySlot is Redis Cluster's slot of a hash tag's content: CRC16/XMODEM
// modulo 16384 (the Redis Cluster specification, "Keys distribution
// model").
func keySlot(tag string) uint16 {
	var crc uint16
	for i := 0; i < len(tag); i++ {
		crc ^= uint16(tag[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % clusterSlots
}

// shardOf returns the shard of (app, msg), from the same hash as its
// dedupe member.
func (s *JobStream) shardOf(member string) *shard {
	if len(s.shards) == 1 {
		return &s.shards[0]
	}
	h := uint32(member[0])<<24 | uint32(member[1])<<16 | uint32(member[2])<<8 | uint32(member[3])
	return &s.shards[h%uint32(len(s.shards))]
}

// enqueueSrc adds a job unless its msg_id was seen in the current or the
// previous dedupe bucket: 4 commands counted by Redis (this script,
// SISMEMBER, SADD, XADD). KEYS: current bucket, previous bucket, stream.
// ARGV: member, job, app, weight. Returns the entry id, or false for a duplicate. The
// buckets' expiry is set once per write of many jobs (Append) or once
// every few seconds (Intake), not per job.
const enqueueSrc = `
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return false end
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('XADD', KEYS[3], '*', 'j', ARGV[2], 'a', ARGV[3], 'w', ARGV[4])`

// dedupeMember is the member remembering (app, msg).
func dedupeMember(app, msg string) string {
	h := sha256.New()
	h.Write([]byte(app))
	h.Write([]byte{0})
	h.Write([]byte(msg))
	return string(h.Sum(nil)[:12])
}

// Enqueued is the outcome of one job handed to the stream.
type Enqueued struct {
	TaskID string
	// Duplicate is true when the msg_id was seen within the retention:
	// nothing was queued.
	Duplicate bool
	Err       error
}

// Append adds encoded jobs (app, msg, JSON) in one round trip, with the
// expiry of the dedupe buckets, and returns one outcome per job.
func (s *JobStream) Append(ctx context.Context, jobs []EncodedJob) []Enqueued {
	return s.append(ctx, jobs, true)
}

// append is Append; expire says whether to set the buckets' expiry in the
// same round trip (an Intake sets it on its own, every few seconds).
func (s *JobStream) append(ctx context.Context, jobs []EncodedJob, expire bool) []Enqueued {
	out := make([]Enqueued, len(jobs))
	if len(jobs) == 0 {
		return out
	}
	cur, prev, _ := dedupeBuckets(s.retention, time.Now())
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(jobs))
	for i, j := range jobs {
		m := dedupeMember(j.AppID, j.MsgID)
		sh := s.shardOf(m)
		keys := []string{sh.dedupeKey(cur), sh.dedupeKey(prev), sh.streams[min(j.Priority, numPriorities-1)]}
		cmds[i] = s.enqueue.EvalSha(ctx, pipe, keys, m, j.JSON, j.AppID, j.Weight)
	}
	if expire {
		s.expireBuckets(ctx, pipe)
	}
	_, err := pipe.Exec(ctx)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// First use on this server: load the script and go again.
		if lerr := s.enqueue.Load(ctx, s.rdb).Err(); lerr != nil {
			return failAll(out, jobs, lerr)
		}
		return s.append(ctx, jobs, expire)
	}
	for i, c := range cmds {
		out[i].TaskID = TaskID(jobs[i].AppID, jobs[i].MsgID)
		switch err := c.Err(); {
		case errors.Is(err, redis.Nil):
			out[i].Duplicate = true
		case err != nil && redis.HasErrorPrefix(err, "OOM"):
			// Redis is at maxmemory (the guard's estimate fell short, or
			// another client filled it): the job was not queued.
			out[i] = Enqueued{Err: ErrQueueFull}
		case err != nil:
			out[i] = Enqueued{Err: fmt.Errorf("enqueue %s: %w", out[i].TaskID, err)}
		}
	}
	return out
}

func failAll(out []Enqueued, jobs []EncodedJob, err error) []Enqueued {
	for i := range out {
		out[i] = Enqueued{Err: fmt.Errorf("enqueue %s: %w", TaskID(jobs[i].AppID, jobs[i].MsgID), err)}
	}
	return out
}

// expireBuckets queues the expiry of the current and the previous dedupe
// buckets on pipe: each lives until the end of the bucket after it.
func (s *JobStream) expireBuckets(ctx context.Context, pipe redis.Pipeliner) {
	cur, prev, w := dedupeBuckets(s.retention, time.Now())
	for i := range s.shards {
		sh := &s.shards[i]
		pipe.ExpireAt(ctx, sh.dedupeKey(cur), time.Unix((cur+2)*w, 0))
		pipe.ExpireAt(ctx, sh.dedupeKey(prev), time.Unix((prev+2)*w, 0))
	}
}

// ensureGroup creates the consumer group (and the streams) if needed.
func (s *JobStream) ensureGroup(ctx context.Context) error {
	for _, k := range s.Keys() {
		err := s.rdb.XGroupCreateMkStream(ctx, k, streamGroup, "0").Err()
		if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
			return fmt.Errorf("create consumer group on %s: %w", k, err)
		}
	}
	return nil
}

// entry is one job read from the stream.
type entry struct {
	// stream is the key of the entry's stream, id its id there.
	stream, id string
	payload    []byte
	// app and weight are the job's app and number of targets, read
	// before the job is decoded (fair shares); prio is its stream's.
	app    string
	weight int
	prio   Priority
	// redelivered is true for an entry claimed from another (dead)
	// consumer or handed back: its job may have been partly done.
	redelivered bool
}

// ref names an entry for its acknowledgement.
func (en *entry) ref() entryRef { return entryRef{stream: en.stream, id: en.id} }

// entryRef is a stream entry: its stream's key and its id.
type entryRef struct{ stream, id string }

// read blocks up to block for at most count new entries of each of shard
// sh's streams of the given priorities (one slot: one command).
func (s *JobStream) read(ctx context.Context, consumer string, sh *shard, prios []Priority, count int64, block time.Duration) ([]entry, error) {
	streams := make([]string, 0, 2*len(prios))
	for _, p := range prios {
		streams = append(streams, sh.streams[p])
	}
	for range prios {
		streams = append(streams, ">")
	}
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: streamGroup, Consumer: consumer, Streams: streams, Count: count, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, st := range res {
		p := sh.priorityOf(st.Stream)
		for _, m := range st.Messages {
			out = append(out, toEntry(st.Stream, p, m, false))
		}
	}
	return out, nil
}

// priorityOf returns the priority of the shard's stream key.
func (sh *shard) priorityOf(key string) Priority {
	for p, k := range sh.streams {
		if k == key {
			return Priority(p)
		}
	}
	return PriorityNormal
}

func toEntry(stream string, p Priority, m redis.XMessage, redelivered bool) entry {
	pl, _ := m.Values[streamField].(string)
	app, _ := m.Values[appField].(string)
	w, _ := m.Values[weightField].(string)
	n, _ := strconv.Atoi(w)
	return entry{stream: stream, id: m.ID, payload: []byte(pl), app: app, weight: max(n, 1), prio: p, redelivered: redelivered}
}

// reclaim takes over up to count entries of one stream that other
// consumers have held for longer than minIdle (their worker died, or
// handed them back). Entries deleted meanwhile come back in gone, to be
// acknowledged.
func (s *JobStream) reclaim(ctx context.Context, consumer, stream string, p Priority, minIdle time.Duration, count int64) (es []entry, gone []entryRef, err error) {
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: stream, Group: streamGroup, Consumer: consumer, MinIdle: minIdle, Start: "0-0", Count: count,
	}).Result()
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		if len(m.Values) == 0 {
			gone = append(gone, entryRef{stream: stream, id: m.ID})
			continue
		}
		es = append(es, toEntry(stream, p, m, true))
	}
	return es, gone, nil
}

// touch resets the idle time of entries this consumer still works on, so
// no other worker reclaims them while a slow vendor holds them.
func (s *JobStream) touch(ctx context.Context, consumer string, refs []entryRef) error {
	var first error
	for stream, ids := range byStream(refs) {
		err := s.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
			Stream: stream, Group: streamGroup, Consumer: consumer, MinIdle: 0, Messages: ids,
		}).Err()
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// handBack makes entries this consumer will not finish claimable by any
// worker at once (a graceful shutdown), by marking them idle for long.
func (s *JobStream) handBack(ctx context.Context, consumer string, refs []entryRef, idle time.Duration) error {
	var first error
	for stream, ids := range byStream(refs) {
		args := []any{"XCLAIM", stream, streamGroup, consumer, 0}
		for _, id := range ids {
			args = append(args, id)
		}
		args = append(args, "IDLE", idle.Milliseconds(), "JUSTID")
		if err := s.rdb.Do(ctx, args...).Err(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// byStream groups entry ids by their stream.
func byStream(refs []entryRef) map[string][]string {
	m := map[string][]string{}
	for _, r := range refs {
		m[r.stream] = append(m[r.stream], r.id)
	}
	return m
}

// Depth returns the entries waiting to be read and those read but not yet
// acknowledged (in flight).
func (s *JobStream) Depth(ctx context.Context) (waiting, inFlight int64, err error) {
	// Done entries are deleted, so a stream's length is what waits plus
	// what is in flight.
	keys := s.Keys()
	pipe := s.rdb.Pipeline()
	ns := make([]*redis.IntCmd, len(keys))
	ps := make([]*redis.XPendingCmd, len(keys))
	for i, k := range keys {
		ns[i] = pipe.XLen(ctx, k)
		ps[i] = pipe.XPending(ctx, k, streamGroup)
	}
	_, err = pipe.Exec(ctx)
	if err != nil && !isNoGroup(err) {
		return 0, 0, err
	}
	for i := range keys {
		var pending int64
		if ps[i].Err() == nil {
			pending = ps[i].Val().Count
		}
		inFlight += pending
		waiting += max(ns[i].Val()-pending, 0)
	}
	return waiting, inFlight, nil
}

// isNoGroup reports the error of a stream or group not created yet.
func isNoGroup(err error) bool { return redis.HasErrorPrefix(err, "NOGROUP") }
