package devices

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Binding is one device a user reported: a token under a certificate, with
// the app's foreground/background state and the launcher badge counter.
type Binding struct {
	AppID  string `json:"app_id"`
	UserID string `json:"user_id"`
	CertID int64  `json:"cert_id"`
	Token  string `json:"token"`
	// Platform is the client's free-form description ("ios", "android", …).
	Platform string `json:"platform,omitempty"`
	// ReportedAt is when the token was last reported, stamped by the store
	// (never by the client: it decides whether an invalid-token answer is
	// older than the report, see RemoveInvalid).
	ReportedAt time.Time `json:"reported_at"`
	// Background is set by a background report: the device is pushed and
	// Badge counts the unread messages.
	Background bool `json:"background"`
	// Foreground is set by a foreground report: the app shows messages
	// itself, so the device is not pushed. Neither flag set means the app
	// never reported its state (most Android clients): it is pushed.
	Foreground bool `json:"foreground"`
	// Badge is the launcher badge the next push raises by one.
	Badge int `json:"badge"`
	// VoIPToken is the device's PushKit token, reported beside this alert
	// token (BindVoIP); "" when the device reported none. Calls go to it.
	VoIPToken string `json:"voip_token,omitempty"`
}

// Binding states stored in the "state" field.
const (
	stateBackground = "bg"
	stateForeground = "fg"
)

// bindSrc makes ARGV[1] the owner of the binding KEYS[1] and returns the
// previous owner ("" for none). A new owner starts from a clean state: the
// badge and foreground flag of the previous user's session do not carry
// over. A re-report by the same owner keeps them.
const bindSrc = `
local old = redis.call('HGET', KEYS[1], 'user')
if old ~= ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'token', ARGV[2], 'platform', ARGV[3], 'reported_at', ARGV[4])
if old then return old end
return ''`

// unbindSrc deletes the binding KEYS[1] only if ARGV[1] still owns it, so
// a stale logout never removes another user's fresh binding.
const unbindSrc = `
if redis.call('HGET', KEYS[1], 'user') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`

// stateSrc records a background (ARGV[2]="bg", badge ARGV[3]) or
// foreground (ARGV[2]="fg", badge reset) report of owner ARGV[1].
// ARGV[4] (unix ms) stamps state_at: the foreground flag expires from it.
const stateSrc = `
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then return 0 end
if ARGV[2] == 'fg' then
  redis.call('HSET', KEYS[1], 'state', 'fg', 'state_at', ARGV[4])
  redis.call('HDEL', KEYS[1], 'badge', 'badge_msg', 'badge_msgs')
else
  redis.call('HSET', KEYS[1], 'state', 'bg', 'badge', ARGV[3], 'state_at', ARGV[4])
  redis.call('HDEL', KEYS[1], 'badge_msg', 'badge_msgs')
end
return 1`

// nextBadgeSrc increments the badge of owner ARGV[1]'s binding and
// returns it; -1 when the binding is gone or moved, -2 when it is in the
// foreground: a foreground report (state_at, or reported_at for a binding
// stored before state_at existed) younger than ARGV[3] ms at ARGV[2]
// (now, unix ms). The check and the increment are one atomic step, so two
// workers pushing two messages get n+1 and n+2. ARGV[4], when not empty,
// names the message: the binding remembers the last message that raised
// its badge, and that message asking again (a job run twice after a
// crash, retried or replayed) gets the same badge instead of another.
// ARGV[5], when given, is the increment (default 1); ARGV[6], when given
// and not empty, sets the badge to that value instead (Tencent's
// BadgeAddNum and BadgeSetNum), so the next message counts from it.
// badge_msgs lists the last raising messages ("\nm1\nm2\n", at most
// ARGV[7]), so that a recall lowers the badge only for a message that
// raised it (lowerBadgeSrc).
const nextBadgeSrc = `
local v = redis.call('HMGET', KEYS[1], 'user', 'state', 'state_at', 'reported_at', 'badge_msg', 'badge', 'badge_msgs')
if v[1] ~= ARGV[1] then return -1 end
if v[2] == 'fg' and tonumber(v[3] or v[4] or '0') + tonumber(ARGV[3]) > tonumber(ARGV[2]) then return -2 end
if ARGV[4] ~= '' and v[5] == ARGV[4] then return tonumber(v[6] or '0') end
local n
if ARGV[6] and ARGV[6] ~= '' then
  n = tonumber(ARGV[6])
  redis.call('HSET', KEYS[1], 'badge', n)
else
  n = redis.call('HINCRBY', KEYS[1], 'badge', tonumber(ARGV[5] or '1'))
end
if ARGV[4] ~= '' then
  local list = (v[7] or '\n') .. ARGV[4] .. '\n'
  local _, count = string.gsub(list, '\n', '')
  if count - 1 > tonumber(ARGV[7] or '32') then
    local second = string.find(list, '\n', 2, true)
    list = string.sub(list, second)
  end
  redis.call('HSET', KEYS[1], 'badge_msg', ARGV[4], 'badge_msgs', list)
end
return n`

// expireSrc deletes the binding KEYS[1] of owner ARGV[1] if neither its
// reported_at nor its state_at is at or after ARGV[2] (unix ms), and
// returns 1 if it did: a report racing the expiry keeps the binding.
const expireSrc = `
local v = redis.call('HMGET', KEYS[1], 'user', 'reported_at', 'state_at')
if v[1] ~= ARGV[1] then return 0 end
if math.max(tonumber(v[2] or '0'), tonumber(v[3] or '0')) >= tonumber(ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
return 1`

// removeInvalidSrc deletes the binding KEYS[1] unless it was reported
// after ARGV[1] (unix ms; 0 = unconditionally) and returns its owner, or ""
// when nothing was removed.
const removeInvalidSrc = `
local v = redis.call('HMGET', KEYS[1], 'user', 'reported_at')
if not v[1] then return '' end
local since = tonumber(ARGV[1])
if since > 0 and tonumber(v[2] or '0') > since then return '' end
redis.call('DEL', KEYS[1])
return v[1]`

// scripts are the Lua scripts of a Store; each touches exactly one key, so
// each is atomic on a single Redis and on Redis Cluster alike.
type scripts struct {
	bind, unbind, state, nextBadge, removeInvalid, expire, lowerBadge *redis.Script
	// setVoIP and dropVoIP keep the VoIP token beside a binding (voip.go).
	setVoIP, dropVoIP *redis.Script
	// coalesce counts a message into a burst window (coalesce.go).
	coalesce *redis.Script
}

func newScripts() scripts {
	return scripts{
		bind:          redis.NewScript(bindSrc),
		unbind:        redis.NewScript(unbindSrc),
		state:         redis.NewScript(stateSrc),
		nextBadge:     redis.NewScript(nextBadgeSrc),
		removeInvalid: redis.NewScript(removeInvalidSrc),
		expire:        redis.NewScript(expireSrc),
		lowerBadge:    redis.NewScript(lowerBadgeSrc),
		setVoIP:       redis.NewScript(setVoIPSrc),
		dropVoIP:      redis.NewScript(dropVoIPSrc),
		coalesce:      redis.NewScript(coalesceSrc),
	}
}

// Bind records that user reported token under certificate certID after a
// login (an upsert, refreshed on every login). A token last reported by
// another user moves to this one: the other user is never pushed through
// it again. b.AppID, b.UserID, b.CertID, b.Token and b.Platform are used;
// the state fields are ignored.
func (s *Store) Bind(ctx context.Context, b Binding) error {
	if err := checkBinding(b.AppID, b.UserID, b.CertID, b.Token); err != nil {
		return err
	}
	if err := checkText("platform", b.Platform, MaxPlatformBytes, false); err != nil {
		return err
	}
	m := member(b.CertID, b.Token)
	// The index entry goes first: should the process die before the
	// script, a dangling member is ignored when read, whereas a binding
	// missing from the index would never be pushed.
	if err := s.rdb.SAdd(ctx, s.devKey(b.AppID, b.UserID), m).Err(); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	ms := strconv.FormatInt(s.now().UnixMilli(), 10)
	old, err := s.scripts.bind.Run(ctx, s.rdb, []string{s.tokKey(b.AppID, m)}, b.UserID, b.Token, b.Platform, ms).Text()
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if old != "" && old != b.UserID {
		if err := s.rdb.SRem(ctx, s.devKey(b.AppID, old), m).Err(); err != nil {
			return fmt.Errorf("bind: remove from previous user: %w", err)
		}
	}
	return nil
}

// Unbind removes user's binding of token (logout, forced offline, a null
// push config). Removing a binding that does not exist, or that has moved
// to another user, is not an error.
func (s *Store) Unbind(ctx context.Context, app, user string, certID int64, token string) error {
	if err := checkBinding(app, user, certID, token); err != nil {
		return err
	}
	m := member(certID, token)
	if err := s.scripts.unbind.Run(ctx, s.rdb, []string{s.tokKey(app, m)}, user).Err(); err != nil {
		return fmt.Errorf("unbind: %w", err)
	}
	if err := s.rdb.SRem(ctx, s.devKey(app, user), m).Err(); err != nil {
		return fmt.Errorf("unbind: %w", err)
	}
	return nil
}

// UnbindAll removes every binding of user.
func (s *Store) UnbindAll(ctx context.Context, app, user string) error {
	if err := checkUser(app, user); err != nil {
		return err
	}
	members, err := s.rdb.SMembers(ctx, s.devKey(app, user)).Result()
	if err != nil {
		return fmt.Errorf("unbind all: %w", err)
	}
	_, err = execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, m := range members {
			s.scripts.unbind.Eval(ctx, p, []string{s.tokKey(app, m)}, user)
		}
		p.Del(ctx, s.devKey(app, user))
	})
	if err != nil {
		return fmt.Errorf("unbind all: %w", err)
	}
	return nil
}

// List returns user's bindings, most recently reported first.
func (s *Store) List(ctx context.Context, app, user string) ([]Binding, error) {
	if err := checkUser(app, user); err != nil {
		return nil, err
	}
	all, err := s.ListMany(ctx, app, []string{user})
	if err != nil {
		return nil, err
	}
	return all[0], nil
}

// ListMany returns the bindings of each of users (out[i] for users[i]) in
// two round trips whatever the number of users. Expired bindings (see
// ListExpiring) are dropped and not returned.
func (s *Store) ListMany(ctx context.Context, app string, users []string) ([][]Binding, error) {
	live, _, err := s.ListExpiring(ctx, app, users)
	return live, err
}

// ListExpiring is ListMany that also returns, in expired[i], the bindings
// of users[i] it dropped because neither a bind nor a state report came
// for the store's BindingTTL. The drop is lazy, here: a binding nobody
// pushes to stays in Redis until it is next listed.
func (s *Store) ListExpiring(ctx context.Context, app string, users []string) (live, expired [][]Binding, err error) {
	if err := checkApp(app); err != nil {
		return nil, nil, err
	}
	membersOf, err := s.members(ctx, app, users)
	if err != nil {
		return nil, nil, err
	}
	type ref struct{ user, member int }
	var refs []ref
	for i := range membersOf {
		for j := range membersOf[i] {
			refs = append(refs, ref{i, j})
		}
	}
	hashes, err := execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, r := range refs {
			p.HGetAll(ctx, s.tokKey(app, membersOf[r.user][r.member]))
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list bindings: %w", err)
	}
	out := make([][]Binding, len(users))
	expired = make([][]Binding, len(users))
	stale := map[int][]string{}
	now := s.now()
	for k, c := range hashes {
		r := refs[k]
		m := membersOf[r.user][r.member]
		h := c.(*redis.MapStringStringCmd).Val()
		b, ok := parseBinding(app, users[r.user], m, h)
		switch {
		case !ok:
			stale[r.user] = append(stale[r.user], m)
		case now.Sub(lastReport(h)) > s.bindTTL:
			expired[r.user] = append(expired[r.user], b)
		default:
			s.expireForeground(&b, h, now)
			s.expireVoIP(&b, h, now)
			out[r.user] = append(out[r.user], b)
		}
	}
	for i := range out {
		sort.Slice(out[i], func(a, b int) bool { return out[i][a].ReportedAt.After(out[i][b].ReportedAt) })
	}
	s.dropStale(ctx, app, users, stale)
	s.dropExpired(ctx, app, expired, now)
	return out, expired, nil
}

// msField returns the unix-ms field f of h as a time (zero when absent).
func msField(h map[string]string, f string) time.Time {
	ms, err := strconv.ParseInt(h[f], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// lastReport is the binding's latest report: a bind or a state report.
func lastReport(h map[string]string) time.Time {
	r, st := msField(h, "reported_at"), msField(h, "state_at")
	if st.After(r) {
		return st
	}
	return r
}

// expireForeground turns a foreground flag older than the store's
// ForegroundTTL into background: the app did not report for that long,
// so it is presumed gone (crashed, killed) and the device is pushed.
func (s *Store) expireForeground(b *Binding, h map[string]string, now time.Time) {
	if !b.Foreground {
		return
	}
	at := msField(h, "state_at")
	if at.IsZero() {
		at = msField(h, "reported_at")
	}
	if now.Sub(at) >= s.fgTTL {
		b.Foreground, b.Background = false, true
	}
}

// dropExpired deletes the expired bindings (each only if still not
// reported since, see expireSrc) and their index entries. It is best
// effort: an expired binding left behind is found expired again.
func (s *Store) dropExpired(ctx context.Context, app string, expired [][]Binding, now time.Time) {
	cutoff := now.Add(-s.bindTTL).UnixMilli()
	for _, bs := range expired {
		for _, b := range bs {
			m := member(b.CertID, b.Token)
			n, err := s.scripts.expire.Run(ctx, s.rdb, []string{s.tokKey(app, m)}, b.UserID, cutoff).Int()
			if err == nil && n == 1 {
				s.rdb.SRem(ctx, s.devKey(app, b.UserID), m)
			}
		}
	}
}

// members returns the index members of each of users in one round trip.
func (s *Store) members(ctx context.Context, app string, users []string) ([][]string, error) {
	sets, err := execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, u := range users {
			p.SMembers(ctx, s.devKey(app, u))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("list bindings: %w", err)
	}
	out := make([][]string, len(users))
	for i, c := range sets {
		out[i] = c.(*redis.StringSliceCmd).Val()
	}
	return out, nil
}

// dropStale removes index members whose binding is gone or moved. It is
// best effort: a stale member is harmless, it is only ignored again.
func (s *Store) dropStale(ctx context.Context, app string, users []string, stale map[int][]string) {
	if len(stale) == 0 {
		return
	}
	_, _ = execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for i, ms := range stale {
			args := make([]any, len(ms))
			for k, m := range ms {
				args[k] = m
			}
			p.SRem(ctx, s.devKey(app, users[i]), args...)
		}
	})
}

// parseBinding decodes a binding hash; ok is false when the binding is
// gone or owned by another user.
func parseBinding(app, user, m string, h map[string]string) (Binding, bool) {
	if h["user"] != user || h["token"] == "" {
		return Binding{}, false
	}
	b := Binding{AppID: app, UserID: user, Token: h["token"], Platform: h["platform"]}
	cert, _, _ := cutColon(m)
	b.CertID, _ = strconv.ParseInt(cert, 10, 64)
	if ms, err := strconv.ParseInt(h["reported_at"], 10, 64); err == nil {
		b.ReportedAt = time.UnixMilli(ms).UTC()
	}
	b.Background = h["state"] == stateBackground
	b.Foreground = h["state"] == stateForeground
	b.Badge, _ = strconv.Atoi(h["badge"])
	b.VoIPToken = voipOf(h)
	return b, true
}

func cutColon(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// Background records that the app went to the background with unread
// unread messages: the device is pushed again and its badge restarts from
// unread.
func (s *Store) Background(ctx context.Context, app, user string, certID int64, token string, unread int) error {
	if unread < 0 || unread > 99999 {
		return fieldErr("unread", "must be between 0 and 99999, got %d", unread)
	}
	return s.setState(ctx, app, user, certID, token, stateBackground, unread)
}

// Foreground records that the app came to the foreground: the device is
// not pushed and the badge state is reset.
func (s *Store) Foreground(ctx context.Context, app, user string, certID int64, token string) error {
	return s.setState(ctx, app, user, certID, token, stateForeground, 0)
}

func (s *Store) setState(ctx context.Context, app, user string, certID int64, token, state string, badge int) error {
	if err := checkBinding(app, user, certID, token); err != nil {
		return err
	}
	key := s.tokKey(app, member(certID, token))
	n, err := s.scripts.state.Run(ctx, s.rdb, []string{key}, user, state, badge, s.now().UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("report %s: %w", state, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Ref names one binding, and for NextBadges the message its badge is
// raised for.
type Ref struct {
	UserID string
	CertID int64
	Token  string
	// MsgID, when set, makes NextBadges idempotent per message: the same
	// message asking again for the binding's latest badge gets it again.
	MsgID string
	// Add is how much NextBadges raises the badge; 0 means 1.
	Add int
	// Set, when not nil, makes NextBadges set the badge to *Set instead of
	// raising it; later messages count from it.
	Set *int
}

// badgeArgs are the increment and the set value of r as the script reads
// them (ARGV[5], ARGV[6]).
func (r Ref) badgeArgs() (add int, set string) {
	add = r.Add
	if add <= 0 {
		add = 1
	}
	if r.Set != nil {
		set = strconv.Itoa(max(*r.Set, 0))
	}
	return add, set
}

// NextBadge atomically raises the badge of user's binding by one and
// returns the new value. It returns ErrNotFound when the binding is gone
// and ErrForeground when its app is in the foreground.
func (s *Store) NextBadge(ctx context.Context, app, user string, certID int64, token string) (int, error) {
	if err := checkBinding(app, user, certID, token); err != nil {
		return 0, err
	}
	key := s.tokKey(app, member(certID, token))
	n, err := s.scripts.nextBadge.Run(ctx, s.rdb, []string{key}, user, s.now().UnixMilli(), s.fgTTL.Milliseconds(), "", 1, "", MaxBadgeMsgs).Int()
	if err != nil {
		return 0, fmt.Errorf("next badge: %w", err)
	}
	return badgeResult(n)
}

func badgeResult(n int) (int, error) {
	switch n {
	case -1:
		return 0, ErrNotFound
	case -2:
		return 0, ErrForeground
	}
	return n, nil
}

// BadgeResult is the outcome of one NextBadges increment: Err is nil,
// ErrNotFound or ErrForeground.
type BadgeResult struct {
	Badge int
	Err   error
}

// NextBadges is NextBadge for many bindings in one round trip. The
// returned error is a Redis failure; per-binding outcomes are in the
// results (out[i] for refs[i]).
func (s *Store) NextBadges(ctx context.Context, app string, refs []Ref) ([]BadgeResult, error) {
	if err := checkApp(app); err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, nil
	}
	if err := s.scripts.nextBadge.Load(ctx, s.rdb).Err(); err != nil {
		return nil, fmt.Errorf("next badges: %w", err)
	}
	now, ttl := s.now().UnixMilli(), s.fgTTL.Milliseconds()
	cmds, err := execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, r := range refs {
			// The script was just loaded, so EVALSHA avoids resending its
			// text for each of up to thousands of bindings.
			add, set := r.badgeArgs()
			s.scripts.nextBadge.EvalSha(ctx, p, []string{s.tokKey(app, member(r.CertID, r.Token))}, r.UserID, now, ttl, r.MsgID, add, set, MaxBadgeMsgs)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("next badges: %w", err)
	}
	out := make([]BadgeResult, len(cmds))
	for i, c := range cmds {
		n, err := c.(*redis.Cmd).Int()
		if err != nil {
			return nil, fmt.Errorf("next badges: %w", err)
		}
		out[i].Badge, out[i].Err = badgeResult(n)
	}
	return out, nil
}

// RemoveInvalid removes the binding of a token the vendor reported dead,
// whoever owns it, unless the token was reported again after invalidSince
// (APNs answers 410 with the time the token stopped being valid; a
// re-registration after that keeps it). A zero invalidSince removes it
// unconditionally. removed says whether a binding was deleted. A token
// that is some binding's VoIP token is removed from that binding alone:
// the device keeps its alert binding, and calls fall back to alerts.
func (s *Store) RemoveInvalid(ctx context.Context, app string, certID int64, token string, invalidSince time.Time) (removed bool, err error) {
	if err := checkApp(app); err != nil {
		return false, err
	}
	if certID <= 0 || token == "" {
		return false, fieldErr("token", "a certificate id and a token are required")
	}
	m := member(certID, token)
	since := sinceMillis(invalidSince)
	owner, err := s.scripts.removeInvalid.Run(ctx, s.rdb, []string{s.tokKey(app, m)}, since).Text()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("remove invalid token: %w", err)
	}
	if owner == "" {
		return s.removeInvalidVoIP(ctx, app, certID, token, since)
	}
	if err := s.rdb.SRem(ctx, s.devKey(app, owner), m).Err(); err != nil {
		return true, fmt.Errorf("remove invalid token: %w", err)
	}
	return true, nil
}
