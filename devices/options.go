package devices

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// ReceiveOpt is a user's receive option for one peer or one group (the
// seed's V2TIM_RECEIVE_MESSAGE, V2TIM_RECEIVE_NOT_NOTIFY_MESSAGE and
// V2TIM_NOT_RECEIVE_MESSAGE, L3455–3463).
type ReceiveOpt string

// The receive options. OptDefault clears a stored option: a peer is then
// notified, and a group falls back to its type's default (Work and Public
// notify; Meeting and AVChatRoom receive without push, L15213–15214).
const (
	OptDefault          ReceiveOpt = ""
	OptReceive          ReceiveOpt = "receive"
	OptReceiveNotNotify ReceiveOpt = "receive_not_notify"
	OptNotReceive       ReceiveOpt = "not_receive"
)

// ParseReceiveOpt returns the option named s ("" or "default" clear it).
func ParseReceiveOpt(s string) (ReceiveOpt, error) {
	switch o := ReceiveOpt(s); o {
	case OptDefault, OptReceive, OptReceiveNotNotify, OptNotReceive:
		return o, nil
	case "default":
		return OptDefault, nil
	}
	return "", fieldErr("opt", "want receive, receive_not_notify, not_receive or default, got %q", s)
}

// Conversation kinds a receive option applies to.
const (
	KindC2C   = "c2c"
	KindGroup = "group"
)

// Conv names a conversation from the recipient's side: KindC2C with the
// peer's user id, or KindGroup with the group id.
type Conv struct {
	Kind string
	ID   string
}

func (c Conv) field() string { return c.Kind + ":" + c.ID }

// previewField is the field of the conversation's preview in the same
// hash as the receive options; ReceiveOptions skips it (its "kind" is
// "preview").
func (c Conv) previewField() string { return "preview:" + c.field() }

func (c Conv) check() error {
	if c.Kind != KindC2C && c.Kind != KindGroup {
		return fieldErr("kind", "must be c2c or group, got %q", c.Kind)
	}
	return checkText("id", c.ID, MaxConvIDBytes, true)
}

// SetReceiveOption stores user's option for the peer or group id of kind;
// OptDefault removes it.
func (s *Store) SetReceiveOption(ctx context.Context, app, user, kind, id string, opt ReceiveOpt) error {
	if err := checkUser(app, user); err != nil {
		return err
	}
	c := Conv{Kind: kind, ID: id}
	if err := c.check(); err != nil {
		return err
	}
	if _, err := ParseReceiveOpt(string(opt)); err != nil {
		return err
	}
	var err error
	if opt == OptDefault {
		err = s.rdb.HDel(ctx, s.optKey(app, user), c.field()).Err()
	} else {
		err = s.rdb.HSet(ctx, s.optKey(app, user), c.field(), string(opt)).Err()
	}
	if err != nil {
		return fmt.Errorf("set receive option: %w", err)
	}
	return nil
}

// ReceiveOption returns user's stored option for the peer or group id of
// kind, OptDefault when none is set.
func (s *Store) ReceiveOption(ctx context.Context, app, user, kind, id string) (ReceiveOpt, error) {
	if err := checkUser(app, user); err != nil {
		return "", err
	}
	c := Conv{Kind: kind, ID: id}
	if err := c.check(); err != nil {
		return "", err
	}
	v, err := s.rdb.HGet(ctx, s.optKey(app, user), c.field()).Result()
	if err != nil && err != redis.Nil {
		return "", fmt.Errorf("get receive option: %w", err)
	}
	return ReceiveOpt(v), nil
}

// ReceiveOptions returns every option user stored, keyed by kind then id.
func (s *Store) ReceiveOptions(ctx context.Context, app, user string) (map[string]map[string]ReceiveOpt, error) {
	if err := checkUser(app, user); err != nil {
		return nil, err
	}
	h, err := s.rdb.HGetAll(ctx, s.optKey(app, user)).Result()
	if err != nil {
		return nil, fmt.Errorf("list receive options: %w", err)
	}
	out := map[string]map[string]ReceiveOpt{KindC2C: {}, KindGroup: {}}
	for f, v := range h {
		kind, id, ok := strings.Cut(f, ":")
		if ok && out[kind] != nil {
			out[kind][id] = ReceiveOpt(v)
		}
	}
	return out, nil
}

// UserState is what the dispatcher needs to know about one recipient
// before looking at devices.
type UserState struct {
	// Settings are the user's settings, except that Settings.Preview is
	// the preview that applies to the conversation: the conversation's
	// own when set, else the user's.
	Settings Settings
	// Opt is the recipient's stored option for the message's
	// conversation, OptDefault when none.
	Opt ReceiveOpt
	// Coalesce is the recipient's coalescing window for the conversation
	// (0 = off for it), nil when unset: the app's window applies.
	Coalesce *time.Duration
}

// States returns the settings and the receive option for conv of each of
// users (out[i] for users[i]) in one round trip, however many users. A
// zero conv (no peer to look up) returns OptDefault options.
func (s *Store) States(ctx context.Context, app string, users []string, conv Conv) ([]UserState, error) {
	if err := checkApp(app); err != nil {
		return nil, err
	}
	withOpt := conv != Conv{}
	if withOpt {
		if err := conv.check(); err != nil {
			return nil, err
		}
	}
	cmds, err := execPipe(ctx, s.rdb, func(p redis.Pipeliner) {
		for _, u := range users {
			p.HGetAll(ctx, s.usrKey(app, u))
			if withOpt {
				p.HMGet(ctx, s.optKey(app, u), conv.field(), conv.previewField(), conv.coalesceField())
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("load user states: %w", err)
	}
	out := make([]UserState, len(users))
	k := 0
	for i := range users {
		out[i].Settings = parseSettings(cmds[k].(*redis.MapStringStringCmd).Val())
		k++
		if withOpt {
			v := cmds[k].(*redis.SliceCmd).Val()
			out[i].Opt = ReceiveOpt(hmString(v, 0))
			if p := storedPreview(hmString(v, 1)); p != "" {
				out[i].Settings.Preview = p
			}
			out[i].Coalesce = storedCoalesce(hmString(v, 2))
			k++
		}
	}
	return out, nil
}

// hmString returns the i-th value of an HMGET answer, "" when absent.
func hmString(v []any, i int) string {
	if i < len(v) {
		if s, ok := v[i].(string); ok {
			return s
		}
	}
	return ""
}

// SetConvPreview stores user's preview mode for the peer or group id of
// kind; "" removes it (the user's, else the app's mode applies).
func (s *Store) SetConvPreview(ctx context.Context, app, user, kind, id, preview string) error {
	if err := checkUser(app, user); err != nil {
		return err
	}
	c := Conv{Kind: kind, ID: id}
	if err := c.check(); err != nil {
		return err
	}
	if err := checkPreview("preview", preview); err != nil {
		return err
	}
	var err error
	if preview == "" {
		err = s.rdb.HDel(ctx, s.optKey(app, user), c.previewField()).Err()
	} else {
		err = s.rdb.HSet(ctx, s.optKey(app, user), c.previewField(), preview).Err()
	}
	if err != nil {
		return fmt.Errorf("set conversation preview: %w", err)
	}
	return nil
}

// ConvPreviews returns every conversation preview user stored, keyed by
// kind then id.
func (s *Store) ConvPreviews(ctx context.Context, app, user string) (map[string]map[string]vendors.Preview, error) {
	if err := checkUser(app, user); err != nil {
		return nil, err
	}
	h, err := s.rdb.HGetAll(ctx, s.optKey(app, user)).Result()
	if err != nil {
		return nil, fmt.Errorf("list conversation previews: %w", err)
	}
	out := map[string]map[string]vendors.Preview{KindC2C: {}, KindGroup: {}}
	for f, v := range h {
		rest, ok := strings.CutPrefix(f, "preview:")
		if !ok {
			continue
		}
		if kind, id, ok := strings.Cut(rest, ":"); ok && out[kind] != nil {
			out[kind][id] = storedPreview(v)
		}
	}
	return out, nil
}
