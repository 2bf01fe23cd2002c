package dispatcher

import (
	"context"
	"errors"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/vendors"
)

// badgeVendor reports whether v carries a launcher badge pushd counts, as
// its descriptor says (APNs aps.badge, Huawei/Honor badge.set_num, SPEC
// §4.4).
func badgeVendor(v vendors.Vendor) bool {
	d, ok := vendors.Lookup(v)
	return ok && d.Badge
}

// countsBadge reports whether j raises recipients' badges: not with
// ignore_ios_badge ("the unread count icon of the application will not
// increase", seed L5066) nor for a message excluded from the unread count
// (seed L3277; the badge mirrors the unread count). Such a push carries
// no badge at all, which leaves the one on the device as it is.
//
// Tencent's BadgeSetNum and BadgeAddNum win over BadgeMode ("if neither is
// set, APNs follows ApnsInfo.BadgeMode", tencent-rest-format.md §1.1); a
// badge_set is the sender's explicit value and counts even for a message
// excluded from unread.
func countsBadge(j *Job) bool {
	p := &j.OfflinePush
	switch {
	case p.BadgeSet != nil:
		return true
	case j.ExcludedFromUnread:
		return false
	case p.BadgeAdd != nil:
		return true
	}
	return !p.IgnoreIOSBadge
}

// badgeRef is the counter step of j for one binding: raised by badge_add
// (1 without it), or set to badge_set.
func badgeRef(j *Job, d Delivery) devices.Ref {
	r := devices.Ref{UserID: d.UserID, CertID: d.CertID, Token: d.Token, MsgID: j.MsgID, Set: j.OfflinePush.BadgeSet}
	if a := j.OfflinePush.BadgeAdd; a != nil {
		r.Add = *a
	}
	return r
}

// assignBadges raises the badge of every pending delivery that counts one,
// in one round trip, and sets it on the delivery's own notification. The
// increment re-checks the binding atomically: one that went to the
// foreground, or was unbound, since it was listed is dropped instead.
func (rs *resolution) assignBadges(ctx context.Context, pending []Delivery) error {
	var refs []devices.Ref
	var at []int
	if countsBadge(rs.j) {
		for i, d := range pending {
			if badgeVendor(d.Vendor) {
				refs = append(refs, badgeRef(rs.j, d))
				at = append(at, i)
			}
		}
	}
	results, err := rs.r.Devices.NextBadges(ctx, rs.j.AppID, refs)
	if err != nil {
		return err
	}
	skip := map[int]string{}
	for k, res := range results {
		i := at[k]
		switch {
		case errors.Is(res.Err, devices.ErrForeground):
			skip[i] = RuleForeground
		case errors.Is(res.Err, devices.ErrNotFound):
			skip[i] = RuleNoBinding
		default:
			pending[i].Notif.Badge = vendors.IntPtr(res.Badge)
		}
	}
	for i, d := range pending {
		if rule := skip[i]; rule != "" {
			rs.drop(d.UserID, d.CertID, d.Token, rule)
			continue
		}
		rs.ds = append(rs.ds, d)
	}
	return nil
}

// neverReportedAndroid reports whether b is an Android binding on a badge
// vendor (Huawei, Honor) that never reported background or foreground:
// its app does not report its unread count, so pushd cannot know when the
// user read the messages, and a counted badge would only grow (one device
// reached 26). Such a binding gets the job's offline_push.badge, or no
// badge at all (docs/rules.md).
func neverReportedAndroid(b devices.Binding, v vendors.Vendor) bool {
	return badgeVendor(v) && v != vendors.APNs && !b.Background && !b.Foreground
}

// fixedBadge sets the job's own badge, if it has one and counts badges,
// on d's notification; otherwise d carries none.
func (rs *resolution) fixedBadge(d *Delivery) {
	d.Notif.Badge, d.Notif.BadgeAdd = nil, nil
	if countsBadge(rs.j) {
		applyFixedBadge(rs.j, d.Vendor, d.Notif)
	}
}

// applyFixedBadge sets the badge of a notification whose count pushd does
// not keep (a never-reported Huawei/Honor binding, an explicit device):
// badge_set, else the job's badge, else badge_add as the vendor's own
// increment where its descriptor says the badge can add (Huawei/Honor
// badge.add_num).
func applyFixedBadge(j *Job, v vendors.Vendor, n *vendors.Notification) {
	p := &j.OfflinePush
	switch {
	case p.BadgeSet != nil:
		n.Badge = vendors.IntPtr(*p.BadgeSet)
	case p.Badge != nil:
		n.Badge = vendors.IntPtr(*p.Badge)
	case p.BadgeAdd != nil && addsBadge(v):
		n.BadgeAdd = vendors.IntPtr(*p.BadgeAdd)
	}
}

// addsBadge reports whether v's badge can add on the device.
func addsBadge(v vendors.Vendor) bool {
	d, ok := vendors.Lookup(v)
	return ok && d.Options.BadgeAdd
}
