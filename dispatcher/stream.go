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
// Keys share the hash tag {pushd:jobs}, so the enqueue script touches one
// Redis Cluster slot.
const (
	streamTag   = "{pushd:jobs}"
	streamGroup = "pushd"
	// streamField is the field of an entry holding the job's JSON.
	streamField = "j"
)

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
	prefix    string
	retention time.Duration
	enqueue   *redis.Script
}

// NewJobStream returns the job stream on rdb; retention is the msg_id
// dedupe window (worker.retention).
func NewJobStream(rdb redis.UniversalClient, retention time.Duration) *JobStream {
	if retention <= 0 {
		retention = 24 * time.Hour
	}
	return &JobStream{rdb: rdb, prefix: "pushd:" + streamTag + ":", retention: retention, enqueue: redis.NewScript(enqueueSrc)}
}

// Key is the stream's key.
func (s *JobStream) Key() string { return s.prefix + "s" }

func (s *JobStream) dedupeKey(bucket int64) string {
	return s.prefix + "d:" + strconv.FormatInt(bucket, 10)
}

// enqueueSrc adds a job unless its msg_id was seen in the current or the
// previous dedupe bucket: 4 commands counted by Redis (this script,
// SISMEMBER, SADD, XADD). KEYS: current bucket, previous bucket, stream.
// ARGV: member, job. Returns the entry id, or false for a duplicate. The
// buckets' expiry is set once per write of many jobs (Append) or once
// every few seconds (Intake), not per job.
const enqueueSrc = `
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return false end
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return false end
return redis.call('XADD', KEYS[3], '*', 'j', ARGV[2])`

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
	keys := []string{s.dedupeKey(cur), s.dedupeKey(prev), s.Key()}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(jobs))
	for i, j := range jobs {
		cmds[i] = s.enqueue.EvalSha(ctx, pipe, keys, dedupeMember(j.AppID, j.MsgID), j.JSON)
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
	pipe.ExpireAt(ctx, s.dedupeKey(cur), time.Unix((cur+2)*w, 0))
	pipe.ExpireAt(ctx, s.dedupeKey(prev), time.Unix((prev+2)*w, 0))
}

// ensureGroup creates the consumer group (and the stream) if needed.
func (s *JobStream) ensureGroup(ctx context.Context) error {
	err := s.rdb.XGroupCreateMkStream(ctx, s.Key(), streamGroup, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return fmt.Errorf("create consumer group on %s: %w", s.Key(), err)
	}
	return nil
}

// entry is one job read from the stream.
type entry struct {
	id      string
	payload []byte
	// redelivered is true for an entry claimed from another (dead)
	// consumer or handed back: its job may have been partly done.
	redelivered bool
}

// read blocks up to block for at most count new entries.
func (s *JobStream) read(ctx context.Context, consumer string, count int64, block time.Duration) ([]entry, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: streamGroup, Consumer: consumer, Streams: []string{s.Key(), ">"}, Count: count, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, st := range res {
		for _, m := range st.Messages {
			out = append(out, toEntry(m, false))
		}
	}
	return out, nil
}

func toEntry(m redis.XMessage, redelivered bool) entry {
	p, _ := m.Values[streamField].(string)
	return entry{id: m.ID, payload: []byte(p), redelivered: redelivered}
}

// reclaim takes over up to count entries that other consumers have held
// for longer than minIdle (their worker died, or handed them back).
// Entries deleted meanwhile come back in gone, to be acknowledged.
func (s *JobStream) reclaim(ctx context.Context, consumer string, minIdle time.Duration, count int64) (es []entry, gone []string, err error) {
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: s.Key(), Group: streamGroup, Consumer: consumer, MinIdle: minIdle, Start: "0-0", Count: count,
	}).Result()
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		if len(m.Values) == 0 {
			gone = append(gone, m.ID)
			continue
		}
		es = append(es, toEntry(m, true))
	}
	return es, gone, nil
}

// touch resets the idle time of entries this consumer still works on, so
// no other worker reclaims them while a slow vendor holds them.
func (s *JobStream) touch(ctx context.Context, consumer string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return s.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: s.Key(), Group: streamGroup, Consumer: consumer, MinIdle: 0, Messages: ids,
	}).Err()
}

// handBack makes entries this consumer will not finish claimable by any
// worker at once (a graceful shutdown), by marking them idle for long.
func (s *JobStream) handBack(ctx context.Context, consumer string, ids []string, idle time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{"XCLAIM", s.Key(), streamGroup, consumer, 0}
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, "IDLE", idle.Milliseconds(), "JUSTID")
	return s.rdb.Do(ctx, args...).Err()
}

// Depth returns the entries waiting to be read and those read but not yet
// acknowledged (in flight).
func (s *JobStream) Depth(ctx context.Context) (waiting, inFlight int64, err error) {
	// Done entries are deleted, so the stream's length is what waits plus
	// what is in flight.
	pipe := s.rdb.Pipeline()
	n := pipe.XLen(ctx, s.Key())
	p := pipe.XPending(ctx, s.Key(), streamGroup)
	_, err = pipe.Exec(ctx)
	if err != nil && !isNoGroup(err) {
		return 0, 0, err
	}
	if p.Err() == nil {
		inFlight = p.Val().Count
	}
	return max(n.Val()-inFlight, 0), inFlight, nil
}

// isNoGroup reports the error of a stream or group not created yet.
func isNoGroup(err error) bool { return redis.HasErrorPrefix(err, "NOGROUP") }
