package devices

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The bounds of a burst-coalescing window (docs/rules.md, "Burst
// coalescing"); 0 turns coalescing off.
const (
	MinCoalesceWindow = time.Second
	MaxCoalesceWindow = time.Hour
)

// CheckCoalesceWindow accepts 0 (off) or a window of 1s to 1h, naming
// field when it refuses d.
func CheckCoalesceWindow(field string, d time.Duration) error {
	if d != 0 && (d < MinCoalesceWindow || d > MaxCoalesceWindow) {
		return fieldErr(field, "want 0 (off) or a duration from %v to %v, got %v", MinCoalesceWindow, MaxCoalesceWindow, d)
	}
	return nil
}

// coalesceField is the field of the conversation's coalescing window in
// the receive-options hash (milliseconds; "0" = off for this
// conversation); ReceiveOptions and ConvPreviews skip it (its "kind" is
// "coalesce").
func (c Conv) coalesceField() string { return "coalesce:" + c.field() }

// SetConvCoalesce stores user's coalescing window for the peer or group id
// of kind: 0 turns coalescing off for it whatever the app's window, nil
// removes the setting (the app's window applies).
func (s *Store) SetConvCoalesce(ctx context.Context, app, user, kind, id string, window *time.Duration) error {
	if err := checkUser(app, user); err != nil {
		return err
	}
	c := Conv{Kind: kind, ID: id}
	if err := c.check(); err != nil {
		return err
	}
	var err error
	if window == nil {
		err = s.rdb.HDel(ctx, s.optKey(app, user), c.coalesceField()).Err()
	} else {
		if err := CheckCoalesceWindow("coalesce_window", *window); err != nil {
			return err
		}
		err = s.rdb.HSet(ctx, s.optKey(app, user), c.coalesceField(), window.Milliseconds()).Err()
	}
	if err != nil {
		return fmt.Errorf("set conversation coalesce window: %w", err)
	}
	return nil
}

// storedCoalesce reads a stored window; one that is unreadable or out of
// bounds counts as unset (the app's window applies).
func storedCoalesce(v string) *time.Duration {
	ms, err := strconv.ParseInt(v, 10, 64)
	if v == "" || err != nil {
		return nil
	}
	d := time.Duration(ms) * time.Millisecond
	if CheckCoalesceWindow("", d) != nil {
		return nil
	}
	return &d
}

// coalesceSrc counts one message into a recipient's window for one
// conversation. KEYS[1]: the window's hash (first: the msg_id that opened
// it; n: how many messages it holds; last: the latest msg_id). ARGV: the
// msg_id, the window (ms). It returns {first, n}. The window opens with
// its first message and expires with it (fixed, not sliding). A message
// counted again (a retried resolution) is not counted twice: the first
// answers {first, 1}, the latest its count.
const coalesceSrc = `
local v = redis.call('HMGET', KEYS[1], 'first', 'n', 'last')
if not v[1] then
  redis.call('HSET', KEYS[1], 'first', ARGV[1], 'n', 1, 'last', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {ARGV[1], 1}
end
if v[1] == ARGV[1] then return {v[1], 1} end
if v[3] == ARGV[1] then return {v[1], tonumber(v[2])} end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
return {v[1], n}`

// Burst is a recipient's coalescing window as one message found it.
type Burst struct {
	// First is the msg_id of the window's first message: the notification
	// the later ones replace.
	First string
	// Count is how many messages the window holds, this one included; 1
	// means the message opened the window and is pushed as usual.
	Count int
}

// BurstOf is one recipient to count a message for, with its window.
type BurstOf struct {
	UserID string
	Window time.Duration
}

func (s *Store) coalesceKey(app, user string, c Conv) string {
	return s.prefix + "coa:" + app + ":" + user + ":" + c.field()
}

// Bursts counts message msg of conversation conv into the window of each
// recipient (out[i] for of[i]): one script per recipient, all in one round
// trip. Each window is one key that expires with it.
func (s *Store) Bursts(ctx context.Context, app string, conv Conv, msg string, of []BurstOf) ([]Burst, error) {
	if err := checkApp(app); err != nil {
		return nil, err
	}
	if err := conv.check(); err != nil {
		return nil, err
	}
	if len(of) == 0 {
		return nil, nil
	}
	cmds, err := s.burstCmds(ctx, app, conv, msg, of)
	if redis.HasErrorPrefix(err, "NOSCRIPT") {
		// A Redis that restarted or flushed its scripts: load it once.
		if err = s.scripts.coalesce.Load(ctx, s.rdb).Err(); err == nil {
			cmds, err = s.burstCmds(ctx, app, conv, msg, of)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("coalesce: %w", err)
	}
	out := make([]Burst, len(cmds))
	for i, c := range cmds {
		v, err := c.(*redis.Cmd).Slice()
		if err != nil || len(v) != 2 {
			return nil, fmt.Errorf("coalesce: unexpected answer %v: %w", v, err)
		}
		first, _ := v[0].(string)
		n, _ := v[1].(int64)
		out[i] = Burst{First: first, Count: int(n)}
	}
	return out, nil
}

// burstCmds runs the script by its hash for every recipient in one
// pipeline; the first call on a Redis answers NOSCRIPT.
func (s *Store) burstCmds(ctx context.Context, app string, conv Conv, msg string, of []BurstOf) ([]redis.Cmder, error) {
	return execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, b := range of {
			s.scripts.coalesce.EvalSha(ctx, p, []string{s.coalesceKey(app, b.UserID, conv)}, msg, b.Window.Milliseconds())
		}
	})
}
