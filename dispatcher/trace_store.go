package dispatcher

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// TraceStore keeps the per-message traces in Redis: one hash per app and
// hour (pushd:trace:{<app>}:<hour>), one field per message holding its
// entries as JSON lines, so a traced job adds no key of its own; and one
// index per app (pushd:trace:{<app>}) with the bytes of each hour. An
// hour's hash expires Window after the hour ends: a trace is kept at least
// Window, at most an hour more.
//
// Bounds: a message's trace holds at most MaxMessageBytes (retries and
// receipts appended later included); an app's traces at most AppBytes of
// entries in all: past it, its oldest hours are deleted, so the newest
// traces are always kept (a busy app keeps less than Window). What does not
// fit a message is counted ("… N more"). The memory of an app's traces is
// thus at most AppBytes plus Redis's overhead of about 60 B per message.
type TraceStore struct {
	rdb    redis.UniversalClient
	prefix string
	// Window is how long traces are kept (DefaultTraceWindow when 0).
	Window time.Duration
	// MaxMessageBytes bounds one message's trace (DefaultTraceMessageBytes
	// when 0).
	MaxMessageBytes int
	// AppBytes bounds one app's traces (DefaultTraceAppBytes when 0).
	AppBytes int64
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Paused, when set and true, skips the writes: Redis is near its
	// maxmemory (the MemoryGuard says full), and the room is the queue's.
	// Skipped traces are counted in Skipped.
	Paused  func() bool
	skipped atomic.Int64
}

// Skipped is how many job runs' traces were not written while Paused.
func (s *TraceStore) Skipped() int64 { return s.skipped.Load() }

// The defaults of a TraceStore.
const (
	DefaultTraceWindow       = 7 * 24 * time.Hour
	DefaultTraceMessageBytes = 128 << 10
	DefaultTraceAppBytes     = 256 << 20
	// MaxTraceWindow is the longest trace.window (configs checks it): an
	// app's index holds one field per hour of the window.
	MaxTraceWindow = 30 * 24 * time.Hour
)

// NewTraceStore returns the trace store under prefix (e.g. "pushd:").
func NewTraceStore(rdb redis.UniversalClient, prefix string, window time.Duration) *TraceStore {
	return &TraceStore{rdb: rdb, prefix: prefix, Window: window}
}

// The fields besides the messages and the hours: names with a space,
// which no msg_id holds (CheckMsgID).
const (
	traceMoreSuffix = " more"
	traceTotalField = " total"
	traceHourField  = " hour"
	traceDropField  = " dropped"
)

// traceSrc appends messages' entries to one app's hash of the current
// hour, within the bounds. KEYS[1] is the hour's hash, KEYS[2] the app's
// index. ARGV: the hour, the hash's expiry (unix seconds), the per-message
// and per-app byte bounds, the oldest hour of the window, the hours' key
// prefix, then per message its field, its entries, their number and the
// entries already left out.
//
// The index holds each hour's bytes and their total. Once an hour (when
// the hour changes) hours past the window are forgotten (their hashes
// expired) and the index's expiry is moved on; when the total would pass
// the budget, the oldest hours are deleted until the new entries fit. A
// one-device job's write is 3 commands inside the script (HMGET, HSETNX of
// its message's field, HSET of the index; the hour's expiry is set by its
// first write only), and a batch of jobs shares the HMGET and the index's
// HSET. Their keys share the app's hash tag,
// so the script touches one Redis Cluster slot. It runs as EVAL (one
// command, no NOSCRIPT round trip after a restart); Redis caches the
// compiled script by its digest.
const traceSrc = `
local k, idx = KEYS[1], KEYS[2]
local hour, cap, budget, oldest, base = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local head = redis.call('HMGET', idx, ' total', ' hour', hour)
local total, inHour = tonumber(head[1] or '0'), tonumber(head[3] or '0')
local newHour = head[2] ~= hour
local need = 0
for i = 7, #ARGV, 4 do need = need + #ARGV[i+1] end
local function sweep()
  local hours = {}
  for _, h in ipairs(redis.call('HKEYS', idx)) do
    local n = tonumber(h)
    if n then table.insert(hours, {n, h}) end
  end
  table.sort(hours, function(a, b) return a[1] < b[1] end)
  for _, e in ipairs(hours) do
    local n, f = e[1], e[2]
    local past = n < oldest
    if past or (total + need > budget and f ~= hour) then
      total = total - tonumber(redis.call('HGET', idx, f) or '0')
      redis.call('HDEL', idx, f)
      if not past then redis.call('DEL', base .. f) end
    end
  end
end
if newHour or total + need > budget then
  sweep()
end
local added, dropped = 0, 0
for i = 7, #ARGV, 4 do
  local f, v, n, more = ARGV[i], ARGV[i+1], tonumber(ARGV[i+2]), tonumber(ARGV[i+3])
  local fits = total + #v <= budget
  if fits and redis.call('HSETNX', k, f, v) == 1 then
    total = total + #v
    added = added + #v
  elseif fits and redis.call('HSTRLEN', k, f) + #v <= cap then
    redis.call('HSET', k, f, redis.call('HGET', k, f) .. v)
    total = total + #v
    added = added + #v
  elseif not fits and redis.call('HEXISTS', k, f) == 0 then
    dropped = dropped + 1
    more = 0
  else
    more = more + n
  end
  if more > 0 then
    redis.call('HINCRBY', k, f .. ' more', more)
  end
end
if added > 0 then
  redis.call('HSET', idx, hour, inHour + added, ' total', total, ' hour', hour)
  if inHour == 0 then
    -- The hour's hash was just made: it expires with the window.
    redis.call('EXPIREAT', k, ARGV[2])
  end
elseif newHour then
  redis.call('HSET', idx, ' total', total, ' hour', hour)
end
if newHour then
  redis.call('EXPIREAT', idx, ARGV[2])
end
if dropped > 0 then
  redis.call('HINCRBY', idx, ' dropped', dropped)
end
return dropped
`

func (s *TraceStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *TraceStore) window() time.Duration {
	if s.Window > 0 {
		return s.Window
	}
	return DefaultTraceWindow
}

// hourBase is the prefix of an app's hour keys; index is its index.
func (s *TraceStore) hourBase(app string) string { return s.prefix + "trace:{" + app + "}:" }
func (s *TraceStore) index(app string) string    { return s.prefix + "trace:{" + app + "}" }

func hourOf(t time.Time) int64 { return t.Unix() / 3600 }

// queue appends blobs on pipe: one EVAL per app (all of an app's messages
// of this hour share a hash), so a one-device job costs one command. It
// returns the commands and, for each, the blobs it carries.
func (s *TraceStore) queue(ctx context.Context, pipe redis.Pipeliner, blobs []*traceBlob) ([]*redis.Cmd, [][]*traceBlob) {
	if len(blobs) == 0 {
		return nil, nil
	}
	if s.Paused != nil && s.Paused() {
		s.skipped.Add(int64(len(blobs)))
		return nil, nil
	}
	h := hourOf(s.now())
	win := int64(s.window() / time.Second)
	expire := (h+1)*3600 + win
	oldest := h - win/3600 - 1
	maxMsg, budget := s.MaxMessageBytes, s.AppBytes
	if maxMsg <= 0 {
		maxMsg = DefaultTraceMessageBytes
	}
	if budget <= 0 {
		budget = DefaultTraceAppBytes
	}
	idx := map[string]int{}
	var groups [][]*traceBlob
	for _, b := range blobs {
		n, ok := idx[b.app]
		if !ok {
			n = len(groups)
			idx[b.app] = n
			groups = append(groups, nil)
		}
		groups[n] = append(groups[n], b)
	}
	hour := strconv.FormatInt(h, 10)
	cmds := make([]*redis.Cmd, len(groups))
	for i, g := range groups {
		app := g[0].app
		args := make([]any, 0, 6+4*len(g))
		args = append(args, hour, expire, maxMsg, budget, oldest, s.hourBase(app))
		for _, b := range g {
			args = append(args, b.msg, b.data, b.n, b.more)
		}
		cmds[i] = pipe.Eval(ctx, traceSrc, []string{s.hourBase(app) + hour, s.index(app)}, args...)
	}
	return cmds, groups
}

// Write appends entries to the trace of app's message msg (for writers
// outside a job run; a job's trace is written by the engine).
func (s *TraceStore) Write(ctx context.Context, app, msg string, entries []TraceEntry) error {
	b := &traceBlob{app: app, msg: msg}
	for i := range entries {
		b.add(entryRec(&entries[i]))
	}
	pipe := s.rdb.Pipeline()
	s.queue(ctx, pipe, []*traceBlob{b})
	_, err := pipe.Exec(ctx)
	return err
}

// appendEvents writes the trace entries of evs in one pipeline.
func (s *TraceStore) appendEvents(ctx context.Context, pipe redis.Pipeliner, evs []Event) {
	s.queue(ctx, pipe, eventBlobs(evs))
}

func entryRec(e *TraceEntry) *traceRec {
	r := &traceRec{T: e.At.UnixMilli(), S: e.Step, U: e.UserID, C: e.CertID, K: e.Token, V: e.Vendor, N: e.Devices, L: e.Rule,
		Ti: e.Title, B: e.Body, G: e.Badge, X: e.Truncated, I: e.VendorMsgID, Ms: e.LatencyMS, A: e.Attempt,
		Kd: e.Kind, O: e.Code, R: capReason(e.Reason)}
	if e.RetryAt != nil {
		r.RA = e.RetryAt.UnixMilli()
	}
	return r
}

// ErrNoTrace is returned by Read for a message with no trace kept: not run
// yet, older than the window, or evicted by newer traces of its app.
var ErrNoTrace = errors.New("no trace of this message")

// Read returns the trace of app's message msg, its entries in order: the
// app's index says which hours hold traces, then one lookup per hour, in
// two round trips.
func (s *TraceStore) Read(ctx context.Context, app, msg string) (*Trace, error) {
	fields, err := s.rdb.HKeys(ctx, s.index(app)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	pipe := s.rdb.Pipeline()
	var cmds []*redis.SliceCmd
	for _, f := range fields {
		if _, err := strconv.ParseInt(f, 10, 64); err == nil {
			cmds = append(cmds, pipe.HMGet(ctx, s.hourBase(app)+f, msg, msg+traceMoreSuffix))
		}
	}
	if len(cmds) == 0 {
		return nil, ErrNoTrace
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	t := &Trace{AppID: app, MsgID: msg, Entries: []TraceEntry{}}
	found := false
	for _, c := range cmds {
		vals := c.Val()
		if len(vals) != 2 {
			continue
		}
		if data, ok := vals[0].(string); ok {
			found = true
			t.Entries = append(t.Entries, decodeTrace(msg, data)...)
		}
		if more, ok := vals[1].(string); ok {
			found = true
			n, _ := strconv.Atoi(more)
			t.More += n
		}
	}
	if !found {
		return nil, ErrNoTrace
	}
	sortTrace(t.Entries)
	fillRecipients(t.Entries)
	return t, nil
}
