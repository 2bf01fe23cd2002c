package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/vendors"
)

// Replacer withdraws notifications already pushed (issue 15 point 4): a
// recalled message, or messages read on another device. It sends each
// device a notification with the message's own id, so the vendor's
// collapse or notify id derived from it (vendors/ids.go) replaces the one
// shown, and it lowers the badge by what the message raised
// (devices.LowerBadges). The pushes are synchronous, through the pool:
// recalls are rare and the caller wants to know what each device got.
type Replacer struct {
	Devices *devices.Store
	Pool    *Pool
	// Apps returns an app's settings; nil means DefaultAppSettings.
	Apps func(appID string) AppSettings
}

// MaxReplaceTargets bounds the devices and recipients of one recall, and
// the messages of one read.
const MaxReplaceTargets = 1000

// RecallRequest is the body of a recall: the recipients as the message
// service knows them, or explicit devices.
type RecallRequest struct {
	Recipients []string `json:"recipients,omitempty"`
	Devices    []Device `json:"devices,omitempty"`
}

// ReadRequest is the body of a read on another device.
type ReadRequest struct {
	// Conversation is the conversation read (kind c2c with the peer, or
	// group with the group id).
	Conversation ConvRef `json:"conversation"`
	// Unread, when known, is the user's unread count after the read: the
	// badge of every device becomes it.
	Unread *int `json:"unread,omitempty"`
	// MsgIDs are the messages read whose notifications to replace; without
	// them only the badge changes (with Unread), shown at the next push.
	MsgIDs []string `json:"msg_ids,omitempty"`
}

// ConvRef names a conversation in the API.
type ConvRef struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Replaced is what one device got.
type Replaced struct {
	MsgID     string `json:"msg_id"`
	UserID    string `json:"user_id,omitempty"`
	CertID    int64  `json:"cert_id"`
	TokenHash string `json:"token_hash"`
	Vendor    string `json:"vendor"`
	// Action is ActionReplaced, ActionNotReplaceable or ActionFailed.
	Action string `json:"action"`
	// Badge is the badge the replacement set; absent when it left the
	// badge alone.
	Badge *int `json:"badge,omitempty"`
	// Error is the vendor's refusal, for ActionFailed.
	Error string `json:"error,omitempty"`
}

// The actions of a Replaced.
const (
	// ActionReplaced: the vendor accepted the replacement.
	ActionReplaced = "replaced"
	// ActionNotReplaceable: the vendor has no way to replace the
	// notification through pushd's adapters (docs/rules.md, "Recall and
	// read-elsewhere"); only the badge counter changed.
	ActionNotReplaceable = "not_replaceable"
	// ActionRevoked: the vendor's revoke API withdrew the notification
	// (vendors.Revoker); the badge on the phone changes at the next push.
	ActionRevoked = "revoked"
	// ActionFailed: the vendor refused the replacement.
	ActionFailed = "failed"
)

// replaceableVendors reports whether v replaces a shown notification by a
// new one with the same collapse/notify id (its descriptor's Replaces). A
// replacement carries its own id, so the vendors' dedupe ids (OPPO
// app_message_id, vivo requestId, apns-id) do not drop it, and Replaces,
// so the collapse and notify ids are the message's.
func replaceableVendors(v vendors.Vendor) bool {
	d, ok := vendors.Lookup(v)
	return ok && d.Replaces
}

// target is one device a replacement goes to.
type target struct {
	user   string
	cert   *CertInfo
	token  string
	locale string
}

// ErrTooManyTargets is returned for a request over MaxReplaceTargets.
var ErrTooManyTargets = fmt.Errorf("at most %d recipients, devices or messages", MaxReplaceTargets)

// Recall replaces msg's notification on the devices of req and lowers
// their badges by what msg raised.
func (r *Replacer) Recall(ctx context.Context, app, msg string, req RecallRequest) ([]Replaced, error) {
	if err := CheckMsgID("msg_id", msg); err != nil {
		return nil, err
	}
	switch {
	case len(req.Recipients)+len(req.Devices) > MaxReplaceTargets:
		return nil, fieldErr("recipients", "%v", ErrTooManyTargets)
	case len(req.Recipients) == 0 && len(req.Devices) == 0:
		return nil, fieldErr("recipients", "one of recipients or devices is required")
	}
	ts, err := r.targets(ctx, app, unique(req.Recipients), req.Devices)
	if err != nil {
		return nil, err
	}
	badges, err := r.lowered(ctx, app, msg, ts)
	if err != nil {
		return nil, err
	}
	return r.replace(ctx, app, msg, ts, badges, func(t LocaleText) string { return t.Recalled }), nil
}

// Read replaces the notifications of req.MsgIDs on user's devices and
// sets their badges to req.Unread, or, without it, lowers them by what
// each message raised.
func (r *Replacer) Read(ctx context.Context, app, user string, req ReadRequest) ([]Replaced, error) {
	c := req.Conversation
	if c.Kind != devices.KindC2C && c.Kind != devices.KindGroup || c.ID == "" {
		return nil, fieldErr("conversation", "want {kind: c2c or group, id}, got %+v", c)
	}
	if req.Unread != nil && *req.Unread < 0 {
		return nil, fieldErr("unread", "must not be negative, got %d", *req.Unread)
	}
	if len(req.MsgIDs) > MaxReplaceTargets {
		return nil, fieldErr("msg_ids", "%v", ErrTooManyTargets)
	}
	for _, m := range req.MsgIDs {
		if err := CheckMsgID("msg_ids", m); err != nil {
			return nil, err
		}
	}
	ts, err := r.targets(ctx, app, []string{user}, nil)
	if err != nil {
		return nil, err
	}
	var set map[int]int
	if req.Unread != nil {
		if set, err = r.set(ctx, app, ts, *req.Unread); err != nil {
			return nil, err
		}
	}
	var out []Replaced
	for _, m := range unique(req.MsgIDs) {
		badges := set
		if badges == nil {
			if badges, err = r.lowered(ctx, app, m, ts); err != nil {
				return nil, err
			}
		}
		out = append(out, r.replace(ctx, app, m, ts, badges, func(t LocaleText) string { return t.ReadElsewhere })...)
	}
	return out, nil
}

// targets lists the live devices of users (with their locales) and the
// explicit devs whose certificate belongs to app.
func (r *Replacer) targets(ctx context.Context, app string, users []string, devs []Device) ([]target, error) {
	var ts []target
	certs := map[int64]*CertInfo{}
	add := func(user string, certID int64, token, locale string) error {
		c, ok := certs[certID]
		if !ok {
			var err error
			c, err = r.Pool.Lookup(ctx, certID)
			if errors.Is(err, ErrUnknownCert) {
				c, err = nil, nil
			}
			if err != nil {
				return err
			}
			if c != nil && c.AppID != app {
				c = nil
			}
			certs[certID] = c
		}
		if c != nil {
			ts = append(ts, target{user: user, cert: c, token: token, locale: locale})
		}
		return nil
	}
	if len(users) > 0 {
		states, err := r.Devices.States(ctx, app, users, devices.Conv{})
		if err != nil {
			return nil, err
		}
		lists, _, err := r.Devices.ListExpiring(ctx, app, users)
		if err != nil {
			return nil, err
		}
		for i, u := range users {
			for _, b := range lists[i] {
				if err := add(u, b.CertID, b.Token, states[i].Settings.Locale); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, d := range devs {
		if err := add("", d.CertID, d.Token, ""); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// badgeRefs returns the refs of the targets whose badge pushd counts,
// with their indexes in ts.
func badgeRefs(ts []target) ([]devices.Ref, []int) {
	var refs []devices.Ref
	var at []int
	for i, t := range ts {
		if t.user != "" && badgeVendor(t.cert.Vendor) {
			refs = append(refs, devices.Ref{UserID: t.user, CertID: t.cert.ID, Token: t.token})
			at = append(at, i)
		}
	}
	return refs, at
}

// lowered lowers the badges msg raised and returns the new badge of each
// target (by index) whose badge went down.
func (r *Replacer) lowered(ctx context.Context, app, msg string, ts []target) (map[int]int, error) {
	refs, at := badgeRefs(ts)
	if len(refs) == 0 {
		return map[int]int{}, nil
	}
	res, err := r.Devices.LowerBadges(ctx, app, msg, refs)
	if err != nil {
		return nil, err
	}
	out := map[int]int{}
	for k, l := range res {
		if l.Err == nil && l.Lowered {
			out[at[k]] = l.Badge
		}
	}
	return out, nil
}

// set sets every counted badge to unread and returns it per target.
func (r *Replacer) set(ctx context.Context, app string, ts []target, unread int) (map[int]int, error) {
	refs, at := badgeRefs(ts)
	out := map[int]int{}
	if len(refs) == 0 {
		return out, nil
	}
	errs, err := r.Devices.SetBadges(ctx, app, refs, unread)
	if err != nil {
		return nil, err
	}
	for k, e := range errs {
		if e == nil {
			out[at[k]] = unread
		}
	}
	return out, nil
}

// replace sends each target the replacement of msg's notification, in the
// target's locale, with its new badge where it changed.
func (r *Replacer) replace(ctx context.Context, app, msg string, ts []target, badges map[int]int, text func(LocaleText) string) []Replaced {
	settings := DefaultAppSettings()
	if r.Apps != nil {
		settings = r.Apps(app)
	}
	out := make([]Replaced, 0, len(ts))
	for i, t := range ts {
		v := t.cert.Vendor
		rep := Replaced{MsgID: msg, UserID: t.user, CertID: t.cert.ID, TokenHash: vendors.TokenHash(t.token), Vendor: string(v)}
		if b, ok := badges[i]; ok {
			rep.Badge = vendors.IntPtr(b)
		}
		if !replaceableVendors(v) && !r.revokes(ctx, t) {
			rep.Action = ActionNotReplaceable
			out = append(out, rep)
			continue
		}
		loc := settings.ForLocale(t.locale)
		lt := LocaleText{Recalled: loc.Recalled, ReadElsewhere: loc.ReadElsewhere}
		// The replacement's own id keeps it from being dropped as a
		// duplicate where a vendor deduplicates (apns-id, Push Kit's
		// appMessageId); Replaces gives it the message's collapse and
		// notify ids, so it replaces the one shown (ReplaceKey).
		n := &vendors.Notification{ID: msg + "#replaced", Replaces: msg, Title: privateTitle(v, loc.DefaultTitle), Body: text(lt),
			Silent: true, Badge: rep.Badge}
		rep.Action, rep.Error = r.send(ctx, t, n)
		out = append(out, rep)
	}
	return out
}

// revokes reports whether t's sender has a revoke API.
func (r *Replacer) revokes(ctx context.Context, t target) bool {
	s, _, err := r.Pool.Sender(ctx, t.cert.ID)
	_, ok := s.(vendors.Revoker)
	return err == nil && ok
}

// send withdraws n's notification from t: through the vendor's revoke API
// where its sender has one, else by pushing n, which replaces it. It
// returns the action and the vendor's refusal.
func (r *Replacer) send(ctx context.Context, t target, n *vendors.Notification) (string, string) {
	s, _, err := r.Pool.Sender(ctx, t.cert.ID)
	if err != nil || s == nil {
		return ActionFailed, fmt.Sprintf("certificate %d: unavailable", t.cert.ID)
	}
	action, res := ActionReplaced, []vendors.Result(nil)
	if rv, ok := s.(vendors.Revoker); ok {
		action, res = ActionRevoked, rv.Revoke(ctx, n, []string{t.token})
	} else {
		res = s.Send(ctx, n, []string{t.token})
	}
	if i := slices.IndexFunc(res, func(x vendors.Result) bool { return x.Err != nil }); i >= 0 || len(res) == 0 {
		if i < 0 {
			return ActionFailed, "no result"
		}
		return ActionFailed, res[i].Err.Error()
	}
	return action, ""
}
