package vendors

import (
	"context"
	"errors"
	"net/http"
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
	// Subtitle is the APNs alert subtitle (Tencent's ApnsInfo.SubTitle).
	Subtitle string `json:"subtitle,omitempty"`
	// Image is the picture URL (https) the vendor shows: APNs passes it
	// to the app's notification service extension, FCM, Huawei and Honor
	// show it in the notification.
	Image string `json:"image,omitempty"`
	// MutableContent sets APNs' aps.mutable-content, so the app's
	// notification service extension may change the notification (an
	// image sets it too).
	MutableContent bool `json:"mutable_content,omitempty"`
	// InterruptionLevel is APNs' aps.interruption-level (passive, active,
	// time-sensitive, critical); "" is the system default.
	InterruptionLevel string `json:"interruption_level,omitempty"`
	// ContentAvailable sets APNs' aps.content-available: a background
	// push the app handles without the user seeing an alert.
	ContentAvailable bool `json:"content_available,omitempty"`
	// BadgeAdd raises the launcher badge by this much on the device, for
	// vendors whose badge can add (Huawei/Honor badge.add_num); it is used
	// only when Badge is nil, for bindings whose count pushd does not keep.
	BadgeAdd *int `json:"badge_add,omitempty"`
	// Harmony holds the HarmonyOS NEXT options of the job's
	// offline_push.harmony; nil means none. Only the harmony adapter reads
	// it.
	Harmony *HarmonyOptions `json:"harmony,omitempty"`
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
	// Callback, when set, is where the vendor sends this notification's
	// receipts (delivered, clicked) and the signed reference they carry
	// back. Adapters of vendors that take a per-message callback map it to
	// their fields; nil sends none.
	Callback *Callback `json:"callback,omitempty"`
	// ValidateOnly asks the vendor to check the request (credential, token,
	// payload) without alerting a phone (pushd push --validate-only): FCM
	// validate_only, Huawei validate_only, vivo pushMode 1 (test devices
	// only); the adapters of vendors without such a mode authenticate
	// where they have an auth call (Honor, OPPO) and send nothing.
	ValidateOnly bool `json:"validate_only,omitempty"`

	// Call marks a call invitation, or its cancel (the job's
	// offline_push.voip): Android adapters send it in their vendor's
	// call/IM class at high priority (docs/rules.md "Calls (VoIP)").
	Call bool `json:"call,omitempty"`
	// VoIP makes the APNs push a PushKit voip push (topic <bundle>.voip,
	// priority 10, expiration 0, no badge or sound): the delivery's token
	// is then the device's VoIP token. Only the dispatcher sets it, for a
	// device that reported one.
	VoIP bool `json:"voip,omitempty"`
	// CallCancel marks the push that ends call Replaces: a VoIP push
	// carries {"cancel":true}, an alert or Android notification replaces
	// the call's (same collapse or notify id).
	CallCancel bool `json:"call_cancel,omitempty"`
	// Replaces, when set, is the message id whose notification this one
	// replaces: adapters derive the collapse/notify id (not the dedupe id)
	// from it instead of ID. See ReplaceKey.
	Replaces string `json:"replaces,omitempty"`
}

// HarmonyOptions are the per-message HarmonyOS NEXT (Push Kit v3) settings
// (Tencent's HarmonyInfo); each wins over the certificate's default.
type HarmonyOptions struct {
	// Title replaces Title on HarmonyOS when set.
	Title string `json:"title,omitempty"`
	// Category is Push Kit's notification category (IM, VOIP, …).
	Category string `json:"category,omitempty"`
	// Image is the https URL of the large icon.
	Image string `json:"image,omitempty"`
	// Sound is a file in the app's resources/rawfile; SoundDuration (1–60
	// s) is how long it plays, only with Sound.
	Sound         string `json:"sound,omitempty"`
	SoundDuration int    `json:"sound_duration,omitempty"`
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

// ReplaceKey is the message id adapters derive their "same id replaces"
// ids from (APNs apns-collapse-id, FCM collapse_key, Xiaomi/Huawei/Honor
// notify_id and tag, Meizu notifyKey): Replaces when set, else ID. Dedupe
// ids (apns-id, OPPO app_message_id, vivo requestId) stay on ID, so a
// replacing push is never dropped as a duplicate of the one it replaces.
func (n *Notification) ReplaceKey() string {
	if n.Replaces != "" {
		return n.Replaces
	}
	return n.ID
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
	// Sound is the Android ringtone, a file name in the app's res/raw
	// without extension ("shake"; Tencent's AndroidInfo.Sound): Xiaomi
	// extra.sound_uri, Huawei notification.sound, FCM notification.sound.
	Sound string `json:"sound,omitempty"`
	// BigText is Tencent's PushStyle 1: the big-text (long text) style of
	// Huawei and Honor (style 1) and OPPO (style 2).
	BigText bool `json:"big_text,omitempty"`
	// NotifyLevel is OPPO's notify_level (1 bar, 2 bar and lock screen,
	// 16 bar, lock screen, banner, vibration and ring); 0 is OPPO's default.
	NotifyLevel int `json:"notify_level,omitempty"`
	// TemplateID and its TitleParams and ContentParams are OPPO's
	// private-message template (private_msg_template_id,
	// private_title_parameters, private_content_parameters).
	TemplateID    string            `json:"template_id,omitempty"`
	TitleParams   map[string]string `json:"title_params,omitempty"`
	ContentParams map[string]string `json:"content_params,omitempty"`
	// NotifyType is vivo's notifyType (1 none, 2 ring, 3 vibrate, 4 ring
	// and vibrate); 0 is the adapter's default.
	NotifyType int `json:"notify_type,omitempty"`
	// NoticeMsgType is Meizu's noticeBarInfo.noticeMsgType (0 public, 1
	// private); nil means the certificate default.
	NoticeMsgType *int `json:"notice_msg_type,omitempty"`
	// Priority is FCM's android.priority (normal or high); "" is high,
	// as chat messages need.
	Priority string `json:"priority,omitempty"`
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

// Callback is the receipt callback of one notification: the URL the vendor
// POSTs its receipts to, and the param it echoes back verbatim in each
// receipt (pushd's signed reference to the message).
type Callback struct {
	URL   string `json:"url"`
	Param string `json:"param"`
}

// ReceiptKind is what a vendor receipt reports.
type ReceiptKind string

// Receipt kinds.
const (
	// ReceiptDelivered: the notification reached the device.
	ReceiptDelivered ReceiptKind = "delivered"
	// ReceiptClicked: the user tapped the notification.
	ReceiptClicked ReceiptKind = "clicked"
	// ReceiptUndelivered: the vendor reports it could not deliver (Code
	// is its status).
	ReceiptUndelivered ReceiptKind = "undelivered"
	// ReceiptTokenInvalid: the vendor reports the token is dead on the
	// device (the app was uninstalled; Code is its status).
	ReceiptTokenInvalid ReceiptKind = "token_invalid"
)

// Receipt is one vendor receipt for one device, as a receipt parser of a
// vendor package reads it. Token is the device token (callers hash it
// before it goes anywhere), Param the callback param the notification
// carried.
type Receipt struct {
	Kind        ReceiptKind
	Param       string
	Token       string
	VendorMsgID string
	// Code is the vendor's status, verbatim, for an undelivered receipt.
	Code string
	At   time.Time
}

// ReceiptSpec is how a vendor reports deliveries to pushd.
type ReceiptSpec struct {
	// Clicks means the receipts report taps too, not only deliveries.
	Clicks bool
	// Signed means a POST is signed with the callback user name and key
	// configured in the vendor's console (receipts.callback_user and
	// receipts.callback_secret).
	Signed bool
	// Parse verifies one POST and returns its receipts, with the callback
	// param of each (the caller verifies it).
	Parse func(ReceiptRequest) ([]Receipt, error)
	// Reply is the answer the vendor expects: taken (err nil) or refused.
	Reply func(err error) (status int, body any)
}

// ErrReceiptAuth is returned by receipt parsers for a request that is not
// signed (or authenticated) the vendor's way.
var ErrReceiptAuth = errors.New("receipt not authenticated")

// ReceiptRequest is one POST a vendor made to a receipt endpoint, with
// what it is verified with.
type ReceiptRequest struct {
	Header http.Header
	Body   []byte
	// User and Secret are the callback user name and key configured in
	// the vendor's console (Huawei and Honor sign receipts with them);
	// empty when none is configured.
	User   string
	Secret []byte
	Now    time.Time
}
