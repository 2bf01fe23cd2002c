package dispatcher

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/vendors"
)

// Burst coalescing (issue 15 point 5, docs/rules.md "Burst coalescing"):
// with a window on, a recipient gets at most one alert per conversation
// per window. The window's first message is pushed as usual; each later
// one is pushed as a silent update of that notification (Replaces = the
// first msg_id, "Denny: 3 new messages"), or, on a vendor that cannot
// replace a shown notification, not at all (RuleCoalesced). The badge is
// counted as for any message. With the window off for the app and no
// conversation setting, Resolve runs no command for it.

// Coalesce returns the app's coalescing window, 0 when off; the error
// names coalesce_window.
func (a AppSettings) Coalesce() (time.Duration, error) {
	if a.CoalesceWindow == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(a.CoalesceWindow)
	if err != nil {
		return 0, fmt.Errorf("coalesce_window: %q is not a duration (want e.g. 30s, or 0 for off)", a.CoalesceWindow)
	}
	if err := devices.CheckCoalesceWindow("coalesce_window", d); err != nil {
		return 0, err
	}
	return d, nil
}

// candidate is a delivery due to binding b of the chunk's recipient user
// (an index into the chunk's kept users), before badges.
type candidate struct {
	user int
	b    devices.Binding
	d    Delivery
}

// coalescible reports whether j's pushes can be coalesced at all: a
// message to users in a known conversation, and not a call (a call must
// ring, and its cancel replaces the call itself).
func coalescible(j *Job, conv devices.Conv) bool {
	return len(j.Devices) == 0 && conv != (devices.Conv{}) && !j.OfflinePush.VoIP
}

// windowOf is a recipient's window: the conversation's own setting when
// it has one (0 = off), else the app's.
func windowOf(app time.Duration, st devices.UserState) time.Duration {
	if st.Coalesce != nil {
		return *st.Coalesce
	}
	return app
}

// coalesce counts the message into the window of each recipient with a
// delivery and a window on (one script each, one round trip for the
// chunk), then rewrites the deliveries of recipients inside a window, or
// drops them where the vendor cannot replace. It returns the candidates
// left. Recipients without a window, and every recipient when the app's
// window is off and no conversation sets one, cost nothing.
func (rs *resolution) coalesce(ctx context.Context, conv devices.Conv, users []string, states []devices.UserState, cands []candidate) ([]candidate, error) {
	if len(cands) == 0 || !coalescible(rs.j, conv) {
		return cands, nil
	}
	appWindow, _ := rs.app.Coalesce() // validated with the config
	var of []devices.BurstOf
	var at map[int]int // user index → index in of; nil while none is on
	for _, c := range cands {
		if _, seen := at[c.user]; seen {
			continue
		}
		if w := windowOf(appWindow, states[c.user]); w > 0 {
			if at == nil {
				at = map[int]int{}
			}
			at[c.user] = len(of)
			of = append(of, devices.BurstOf{UserID: users[c.user], Window: w})
		}
	}
	if len(of) == 0 {
		return cands, nil
	}
	bursts, err := rs.r.Devices.Bursts(ctx, rs.j.AppID, conv, rs.j.MsgID, of)
	if err != nil {
		return nil, err
	}
	out := cands[:0]
	for _, c := range cands {
		k, on := at[c.user]
		if !on || bursts[k].Count <= 1 {
			out = append(out, c)
			continue
		}
		if !updatable(c.d, rs.cachedCert(c.b.CertID), bursts[k].Count) {
			rs.drop(c.d.UserID, c.b.CertID, c.b.Token, RuleCoalesced)
			continue
		}
		if err := rs.asUpdate(&c.d, bursts[k], states[c.user].Settings.Locale); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// updatable reports whether d, the count-th message of a window, may be
// pushed as an update of the window's first notification: on vendors
// that replace a shown notification (Descriptor.Replaces), within their
// update limits (Descriptor.Updates: Xiaomi's default channel allows one
// message per device a day, so it updates only on the job's or the
// certificate's channel_id; Meizu up to four pushes a window).
func updatable(d Delivery, cert *CertInfo, count int) bool {
	if !replaceableVendors(d.Vendor) {
		return false
	}
	desc, _ := vendors.Lookup(d.Vendor)
	u := desc.Updates
	if u.Max > 0 && count > u.Max {
		return false
	}
	if u.NeedChannel {
		return d.Notif.Android.ChannelID != "" || cert != nil && cert.Fields[vendors.FieldChannelID] != ""
	}
	return true
}

// asUpdate turns d into the update of its burst's first notification: the
// same collapse and notify ids (Replaces), no sound, the burst's text. Its
// own ID stays, so vendors that deduplicate by id accept it. The
// notification is no longer the render's, so planning compares it
// (share 0).
func (rs *resolution) asUpdate(d *Delivery, b devices.Burst, locale string) error {
	n := d.Notif
	n.Replaces, n.Silent, n.Sound = b.First, true, ""
	n.Body = burstBody(rs.j, rs.localeApp(locale), n.Preview, b.Count)
	d.share = 0
	return fitLimits(n, d.Vendor)
}

// localeApp is the app's settings for a recipient locale, as render
// resolved them.
func (rs *resolution) localeApp(locale string) AppSettings {
	if app, ok := rs.locales.get(locale); ok {
		return app
	}
	app := rs.app.ForLocale(locale)
	rs.locales.set(locale, app)
	return app
}

// burstBody is the text of a burst of count messages in preview mode
// ("" = full): "Denny: 3 new messages", "Den (Hiking): 3 new messages" in
// a group (name card, else nickname), and in hidden, or for a sender
// without a name, "3 new messages". sender_only may name the sender, so it
// reads as full; id_only shows no count either (the hidden text).
func burstBody(j *Job, app AppSettings, mode vendors.Preview, count int) string {
	n := strconv.Itoa(count)
	switch mode {
	case vendors.PreviewIDOnly:
		return app.Hidden
	case vendors.PreviewHidden:
		return strings.ReplaceAll(app.CoalescedHidden, CountToken, n)
	}
	name := strings.TrimSpace(j.Sender.Nickname)
	if j.IsGroup() {
		if card := strings.TrimSpace(j.Sender.NameCard); card != "" {
			name = card
		}
	}
	if name == "" {
		return strings.ReplaceAll(app.CoalescedHidden, CountToken, n)
	}
	text, group := app.Coalesced, ""
	if j.IsGroup() {
		if group = strings.TrimSpace(j.Group.Name); group != "" {
			text = app.CoalescedGroup
		}
	}
	return strings.NewReplacer(SenderName, name, GroupName, group, CountToken, n).Replace(text)
}
