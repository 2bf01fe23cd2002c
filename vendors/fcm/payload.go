package fcm

import (
	"encoding/json"
	"time"

	"firebase.google.com/go/v4/messaging"

	"github.com/pushd/pushd/vendors"
)

// Message facts, from vendor-protocols.md §2.
const (
	// PayloadLimit is FCM's limit on a token message; above it FCM answers
	// 400 INVALID_ARGUMENT "message too big". The adapter measures the
	// whole message JSON without the token, which is at least the
	// notification+data bytes FCM counts.
	PayloadLimit = 4096
	// collapseKeyMax keeps android.collapse_key short; FCM documents no hard
	// limit, and 64 bytes matches APNs' apns-collapse-id.
	collapseKeyMax = 64
	// defaultTTL is how long FCM keeps an undelivered message when the job
	// has no expire_at (SPEC §3.3: now + 24 h).
	defaultTTL = 24 * time.Hour
	// maxTTL is the longest android.ttl FCM accepts: 4 weeks.
	maxTTL = 28 * 24 * time.Hour
	// priorityHigh wakes the device at once, as chat messages need. The SDK
	// spells the enum in lower case.
	priorityHigh = "high"
	// soundDefault plays the channel's default sound.
	soundDefault = "default"
)

// sendRequest is the request body FCM receives, as the SDK encodes it
// (messaging.fcmRequest).
type sendRequest struct {
	Message *messaging.Message `json:"message,omitempty"`
}

// buildMessage maps n to an FCM message without a target: title and body
// in notification, ext in data.ext (when the click action carries it), and
// the Android options: collapse key from the message id, high priority,
// the TTL left until n.ExpireAt, the channel, and the default sound unless
// n is silent. An intent click action becomes android.notification
// click_action, the intent-filter action FCM starts on tap.
//
// A notification that replaces another (n.Replaces, a recall) or may be
// replaced carries android.notification.tag, derived like collapse_key
// from n.ReplaceKey(): FCM's AndroidNotification.tag is the "identifier
// used to replace existing notifications in the notification drawer. If
// not specified, each request creates a new notification. If specified
// and a notification with the same tag is already being shown, the new
// notification replaces the existing one" (Firebase Admin SDK reference,
// AndroidNotification.tag; vendor-protocols.md §2 lists the field). collapse_key alone only
// replaces a message still pending on FCM's side.
func buildMessage(n *vendors.Notification, click vendors.Click, now time.Time) *messaging.Message {
	ttl := min(n.TTL(now, defaultTTL), maxTTL)
	if n.IDOnly() {
		return dataMessage(n, ttl)
	}
	an := &messaging.AndroidNotification{ChannelID: n.Android.ChannelID, Tag: collapseKey(n.ReplaceKey())}
	if !n.Silent {
		// A named sound is a res/raw resource of the app (FCM
		// AndroidNotification.sound: "the sound file must reside in
		// /res/raw/"; Tencent's AndroidInfo.Sound).
		an.Sound = pick(n.Android.Sound, soundDefault)
	}
	if click.Action == vendors.ClickIntent {
		an.ClickAction = click.Target
	}
	if an.ChannelID == "" && an.Sound == "" && an.ClickAction == "" && an.Tag == "" {
		an = nil // nothing to say in android.notification
	}
	m := &messaging.Message{
		Data: vendors.ExtMap(n, click),
		Android: &messaging.AndroidConfig{
			CollapseKey:  collapseKey(n.ReplaceKey()),
			Priority:     pick(n.Android.Priority, priorityHigh),
			TTL:          &ttl,
			Notification: an,
		},
	}
	if n.Title != "" || n.Body != "" || n.Image != "" {
		// notification.image is the URL of an image the device downloads
		// and shows (Tencent's GoogleImage; vendor-protocols.md §2).
		m.Notification = &messaging.Notification{Title: n.Title, Body: n.Body, ImageURL: n.Image}
	}
	callClass(n, m)
	return m
}

// dataMessage is n's id_only message: message.data with the ids and ext,
// no notification block (at the top or in android), so FCM shows nothing
// and hands the data to the app's onMessageReceived, at android.priority
// high so it is delivered at once even in Doze. Firebase, "Firebase
// Cloud Messaging message types": "Data messages, which are handled by
// the client app … contain only your user-defined custom key-value
// pairs", sent by setting the data key (firebase.google.com/docs/
// cloud-messaging/customize-messages/set-message-type). ext goes to the
// app whatever the click action: a data message has no click.
func dataMessage(n *vendors.Notification, ttl time.Duration) *messaging.Message {
	data := make(map[string]string, len(n.IDs)+1)
	for k, v := range n.IDs {
		data[k] = v
	}
	if n.Ext != "" {
		data[vendors.ExtKey] = n.Ext
	}
	return &messaging.Message{
		Data: data,
		Android: &messaging.AndroidConfig{
			CollapseKey: collapseKey(n.ReplaceKey()),
			Priority:    priorityHigh,
			TTL:         &ttl,
		},
	}
}

// pick prefers the job's value over the adapter's default.
func pick(job, def string) string {
	if job != "" {
		return job
	}
	return def
}

func collapseKey(id string) string {
	if id == "" {
		return ""
	}
	return vendors.CollapseID(id, collapseKeyMax)
}

// payloadSize is the encoded size of m without its target.
func payloadSize(m *messaging.Message) (int, error) {
	c := *m
	c.Token, c.Topic, c.Condition = "", "", ""
	b, err := json.Marshal(&c)
	return len(b), err
}

// fitMessage builds the message of n, shortening the body (then the title)
// until it fits PayloadLimit. It never drops ext: a too large ext is a
// Rejected error wrapping vendors.ErrExtTooLarge. n is not modified.
func fitMessage(n *vendors.Notification, click vendors.Click, now time.Time) (*messaging.Message, error) {
	fit := *n
	size := func(n *vendors.Notification) (int, error) { return payloadSize(buildMessage(n, click, now)) }
	if err := vendors.ShrinkToFit(vendors.FCM, &fit, PayloadLimit, size); err != nil {
		return nil, err
	}
	return buildMessage(&fit, click, now), nil
}
