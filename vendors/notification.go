package vendors

import (
	"context"
	"time"
)

// SoundSilent is the iOS sound value that means "no sound and no vibration"
// (the seed's kIOSOfflinePushNoSound / NO_SOUND_NO_VIBRATION).
const SoundSilent = "push.no_sound"

// Notification is what one device is sent: the rendered text and the options
// every vendor maps to its own fields. The dispatcher builds it; adapters
// only translate it, they never apply rules of their own.
type Notification struct {
	// ID is the message id the notification comes from. Adapters derive the
	// vendor's collapse/dedupe id from it (see CollapseID and NotifyID), so a
	// duplicate after a crash replaces the first notification.
	ID string `json:"id"`
	// Title and Body are the rendered text, already within the vendor's
	// limits (see LimitsOf).
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
	// Ext is the opaque pass-through the app reads when the notification is
	// clicked; "" means none. Where it goes per vendor is in ext.go.
	Ext string `json:"ext,omitempty"`
	// Sound is the iOS sound file name, "" for the system default. Android
	// vendors ignore custom sounds (the seed: vendors do not support them).
	Sound string `json:"sound,omitempty"`
	// Silent means no sound and no vibration (push.no_sound).
	Silent bool `json:"silent,omitempty"`
	// Badge is the launcher badge to set (APNs aps.badge, Huawei/Honor
	// badge.set_num); nil leaves the badge alone.
	Badge *int `json:"badge,omitempty"`
	// ExpireAt is when the vendor should stop trying to deliver; zero means
	// the vendor's default.
	ExpireAt time.Time `json:"expire_at,omitempty"`
	// Android holds the per-vendor Android options; empty fields fall back to
	// the certificate's defaults.
	Android AndroidOptions `json:"android,omitempty"`
	// Preview is the preview mode the text was rendered in on this vendor
	// (PreviewSenderOnly, PreviewHidden, PreviewIDOnly); "" is full. The
	// trace reads it to say which mode applied.
	Preview Preview `json:"preview,omitempty"`
	// IDs is set only in PreviewIDOnly, on vendors with a data message:
	// the ids an end-to-end-encrypted app needs to fetch and show the
	// message itself (IDMsg, IDSender, IDGroup). An adapter that maps it
	// sends a data message with the ids and Ext and no text (APNs
	// content-available + mutable-content with the ids as custom keys,
	// FCM data, Huawei/Honor data, Xiaomi pass_through); Title and Body
	// then hold the hidden text, which is what an adapter without that
	// mapping shows (docs/rules.md, "Preview privacy").
	IDs map[string]string `json:"ids,omitempty"`
}

// Preview is how much of a message a notification shows (issue 15 point 3).
type Preview string

// The preview modes.
const (
	// PreviewFull shows the rendered text as is: title, sender and content.
	PreviewFull Preview = "full"
	// PreviewSenderOnly shows who sent it ("Denny sent you a message"),
	// never the content.
	PreviewSenderOnly Preview = "sender_only"
	// PreviewHidden shows a fixed text ("New message"): neither sender nor
	// content.
	PreviewHidden Preview = "hidden"
	// PreviewIDOnly sends no text at all: a data push carrying only ids,
	// for end-to-end-encrypted apps that fill in the text on the phone.
	// Vendors without a data message get PreviewHidden instead.
	PreviewIDOnly Preview = "id_only"
)

// The keys of Notification.IDs.
const (
	IDMsg    = "msg_id"
	IDSender = "sender_id"
	IDGroup  = "group_id"
)

// Previews lists the preview modes.
func Previews() []Preview {
	return []Preview{PreviewFull, PreviewSenderOnly, PreviewHidden, PreviewIDOnly}
}

// ParsePreview returns the mode named s; "" is valid and means "not set"
// (the next level decides).
func ParsePreview(s string) (Preview, bool) {
	p := Preview(s)
	if p == "" {
		return "", true
	}
	for _, m := range Previews() {
		if p == m {
			return p, true
		}
	}
	return "", false
}

// AndroidOptions are the per-message Android vendor settings of the job's
// offline_push.android, already resolved against the certificate defaults
// (job value > certificate value).
type AndroidOptions struct {
	// ChannelID is the notification channel (OPPO, Xiaomi, Huawei, FCM).
	ChannelID string `json:"channel_id,omitempty"`
	// Category is the Huawei category (IM, …) or the vivo category.
	Category string `json:"category,omitempty"`
	// Importance is the Huawei/Honor importance (LOW, NORMAL).
	Importance string `json:"importance,omitempty"`
	// Classification is vivo's classification (0 operations, 1 system);
	// nil means the certificate default.
	Classification *int `json:"classification,omitempty"`
}

// TTL returns how long the vendor should keep the notification, measured
// from now: the time left until ExpireAt, or def when ExpireAt is zero.
// It never returns less than one second.
func (n *Notification) TTL(now time.Time, def time.Duration) time.Duration {
	if n.ExpireAt.IsZero() {
		return def
	}
	d := n.ExpireAt.Sub(now).Truncate(time.Second)
	if d < time.Second {
		return time.Second
	}
	return d
}

// IntPtr returns a pointer to v, for Badge and Classification.
func IntPtr(v int) *int { return &v }

// Revoker is implemented by the senders of vendors with a real revoke API
// (HarmonyOS Push Kit's messages:revoke, by token and notifyId): Revoke
// withdraws n's notification, found by the notify id an adapter derives
// from n.ID, from each token's device, whether still undelivered or shown
// and not yet tapped. It returns one Result per token, as Send does. A
// revoke leaves the launcher badge as it is (Push Kit's doc says so).
// Vendors without one are sent a replacement with the same id instead
// (dispatcher.Replacer).
type Revoker interface {
	Revoke(ctx context.Context, n *Notification, tokens []string) []Result
}
