package devices

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// MaxBadgeMsgs is how many of the last messages that raised a binding's
// badge the binding remembers, for LowerBadges. A recall of an older
// message leaves the badge as it is.
const MaxBadgeMsgs = 32

// lowerBadgeSrc undoes what message ARGV[2] added to the badge of owner
// ARGV[1]'s binding: if the message is in badge_msgs it is removed and the
// badge lowered by one (never below 0). It returns {lowered (0/1), badge},
// or {-1, 0} when the binding is gone or moved. A background report
// (stateSrc) resets the list: the app's own unread count then stands.
const lowerBadgeSrc = `
local v = redis.call('HMGET', KEYS[1], 'user', 'badge_msgs', 'badge', 'badge_msg')
if v[1] ~= ARGV[1] then return {-1, 0} end
local list = v[2] or ''
local s, e = string.find(list, '\n' .. ARGV[2] .. '\n', 1, true)
if not s then return {0, tonumber(v[3] or '0')} end
list = string.sub(list, 1, s) .. string.sub(list, e + 1)
if list == '\n' then redis.call('HDEL', KEYS[1], 'badge_msgs') else redis.call('HSET', KEYS[1], 'badge_msgs', list) end
local n = tonumber(v[3] or '0')
if v[4] == ARGV[2] then redis.call('HDEL', KEYS[1], 'badge_msg') end
if n > 0 then n = redis.call('HINCRBY', KEYS[1], 'badge', -1) end
return {1, n}`

// setBadgeSrc sets the badge of owner ARGV[1]'s binding to ARGV[2] and
// forgets the raising messages (the app's count now stands); it returns
// 0 when the binding is gone or moved.
const setBadgeSrc = `
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'badge', ARGV[2])
redis.call('HDEL', KEYS[1], 'badge_msg', 'badge_msgs')
return 1`

// Lowered is the outcome of LowerBadges for one binding.
type Lowered struct {
	// Lowered says whether the message had raised the badge (and so the
	// badge went down by one).
	Lowered bool
	// Badge is the binding's badge after the call.
	Badge int
	// Err is ErrNotFound when the binding is gone or moved.
	Err error
}

// LowerBadges undoes, for each binding, the raise of the badge that
// message msg made (out[i] for refs[i]; Ref.MsgID is ignored), in one
// round trip. A message that did not raise a binding's badge, or raised
// it before its last background report, leaves that badge alone.
func (s *Store) LowerBadges(ctx context.Context, app, msg string, refs []Ref) ([]Lowered, error) {
	if err := checkApp(app); err != nil {
		return nil, err
	}
	cmds, err := execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, r := range refs {
			// EVAL, not EVALSHA: a pipeline cannot fall back on NOSCRIPT,
			// and recalls are rare.
			s.scripts.lowerBadge.Eval(ctx, p, []string{s.tokKey(app, member(r.CertID, r.Token))}, r.UserID, msg)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("lower badges: %w", err)
	}
	out := make([]Lowered, len(cmds))
	for i, c := range cmds {
		v, err := c.(*redis.Cmd).Int64Slice()
		if err != nil || len(v) != 2 {
			return nil, fmt.Errorf("lower badges: %v %w", v, err)
		}
		switch v[0] {
		case -1:
			out[i].Err = ErrNotFound
		default:
			out[i].Lowered, out[i].Badge = v[0] == 1, int(v[1])
		}
	}
	return out, nil
}

// SetBadges sets the badge of each binding to badge (the unread count a
// read on another device reported), in one round trip; out[i] is
// ErrNotFound for a binding gone or moved, nil otherwise.
func (s *Store) SetBadges(ctx context.Context, app string, refs []Ref, badge int) ([]error, error) {
	if err := checkApp(app); err != nil {
		return nil, err
	}
	if badge < 0 {
		return nil, fieldErr("unread", "must not be negative, got %d", badge)
	}
	script := redis.NewScript(setBadgeSrc)
	cmds, err := execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, r := range refs {
			script.Eval(ctx, p, []string{s.tokKey(app, member(r.CertID, r.Token))}, r.UserID, badge)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("set badges: %w", err)
	}
	out := make([]error, len(cmds))
	for i, c := range cmds {
		n, err := c.(*redis.Cmd).Int()
		if err != nil {
			return nil, fmt.Errorf("set badges: %w", err)
		}
		if n == 0 {
			out[i] = ErrNotFound
		}
	}
	return out, nil
}
