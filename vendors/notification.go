package vendors

import "time"

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
