package dispatcher

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// TraceStore keeps the per-message traces in Redis: one hash per app and
// UTC day (pushd:trace:{<app>}:<day>), one field per message holding its
// entries as JSON lines, so a traced job adds no key of its own. A day's
// hash expires Window after the day ends: a trace is kept at least Window
// and at most a day more.
//
// Bounds: a message's trace holds at most MaxMessageBytes (retries and
// receipts appended later included), an app's traces of one day at most
// AppDayBytes of entries; what does not fit is counted, not kept ("… N
// more" per message, the messages not traced per app and day). With the
// defaults an app's traces take at most (window/24h + 1) × AppDayBytes of
// entries: 8 × 64 MiB for the default window of 7 days, plus Redis's
// per-field overhead (~60 B per message).
type TraceStore struct {
	rdb    redis.UniversalClient
	prefix string
	// Window is how long traces are kept (DefaultTraceWindow when 0);
	// readers look a trace up in every day of MaxTraceWindow.
	Window time.Duration
	// MaxMessageBytes bounds one message's trace (DefaultTraceMessageBytes
	// when 0).
	MaxMessageBytes int
	// AppDayBytes bounds one app's traces of one UTC day
	// (DefaultTraceAppDayBytes when 0).
	AppDayBytes int64
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// The defaults of a TraceStore.
const (
	DefaultTraceWindow       = 7 * 24 * time.Hour
	DefaultTraceMessageBytes = 128 << 10
	DefaultTraceAppDayBytes  = 64 << 20
	// MaxTraceWindow is the longest trace.window (configs checks it).
	MaxTraceWindow = 30 * 24 * time.Hour
)

// NewTraceStore returns the trace store under prefix (e.g. "pushd:").
func NewTraceStore(rdb redis.UniversalClient, prefix string, window time.Duration) *TraceStore {
	return &TraceStore{rdb: rdb, prefix: prefix, Window: window}
}

const day = 24 * time.Hour

// The fields of a day's hash besides the messages: names with a space,
// which no msg_id holds (CheckMsgID).
const (
	traceMoreSuffix = " more"
	traceBytesField = " bytes"
	traceDropField  = " dropped"
)

// traceSrc appends messages' entries to one app's hash of one day, within
// the bounds. KEYS[1] is the hash; ARGV: its expiry (unix seconds), the
// per-message and per-app-day byte bounds, then per message its field,
// its entries, their number and the entries already left out. It runs as
// EVAL (one command, no NOSCRIPT round trip after a restart); Redis caches
// the compiled script by its digest.
const traceSrc = `
local k = KEYS[1]
local cap, budget = tonumber(ARGV[2]), tonumber(ARGV[3])
local used = tonumber(redis.call('HGET', k, ' bytes') or '0')
local dropped = 0
for i = 4, #ARGV, 4 do
  local f, v, n, more = ARGV[i], ARGV[i+1], tonumber(ARGV[i+2]), tonumber(ARGV[i+3])
  local cur = redis.call('HSTRLEN', k, f)
  if cur + #v <= cap and used + #v <= budget then
    if cur == 0 then
      redis.call('HSET', k, f, v)
    else
      redis.call('HSET', k, f, redis.call('HGET', k, f) .. v)
    end
    used = used + #v
  elseif cur == 0 and used + #v > budget then
    dropped = dropped + 1
    more = 0
  else
    more = more + n
  end
  if more > 0 then
    redis.call('HINCRBY', k, f .. ' more', more)
  end
end
redis.call('HSET', k, ' bytes', used)
if dropped > 0 then
  redis.call('HINCRBY', k, ' dropped', dropped)
end
redis.call('EXPIREAT', k, ARGV[1])
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

func (s *TraceStore) key(app string, d int64) string {
	return s.prefix + "trace:{" + app + "}:" + strconv.FormatInt(d, 10)
}

func dayOf(t time.Time) int64 { return t.Unix() / int64(day/time.Second) }

// queue appends blobs on pipe: one EVAL per app (all of an app's messages
// of today share a hash), so a one-device job costs one command. It
// returns the commands and, for each, the blobs it carries.
func (s *TraceStore) queue(ctx context.Context, pipe redis.Pipeliner, blobs []*traceBlob) ([]*redis.Cmd, [][]*traceBlob) {
	if len(blobs) == 0 {
		return nil, nil
	}
	d := dayOf(s.now())
	expire := (d+1)*int64(day/time.Second) + int64(s.window()/time.Second)
	maxMsg, budget := s.MaxMessageBytes, s.AppDayBytes
	if maxMsg <= 0 {
		maxMsg = DefaultTraceMessageBytes
	}
	if budget <= 0 {
		budget = DefaultTraceAppDayBytes
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
	cmds := make([]*redis.Cmd, len(groups))
	for i, g := range groups {
		args := make([]any, 0, 3+4*len(g))
		args = append(args, expire, maxMsg, budget)
		for _, b := range g {
			args = append(args, b.msg, b.data, b.n, b.more)
		}
		cmds[i] = pipe.Eval(ctx, traceSrc, []string{s.key(g[0].app, d)}, args...)
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
// yet, older than the window, or past its app's daily budget.
var ErrNoTrace = errors.New("no trace of this message")

// Read returns the trace of app's message msg, its entries in order, in
// one round trip (a lookup in each day of MaxTraceWindow).
func (s *TraceStore) Read(ctx context.Context, app, msg string) (*Trace, error) {
	today := dayOf(s.now())
	days := int64(max(s.window(), MaxTraceWindow)/day) + 1
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, 0, days+1)
	for d := today - days; d <= today; d++ {
		cmds = append(cmds, pipe.HMGet(ctx, s.key(app, d), msg, msg+traceMoreSuffix))
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
	return t, nil
}
