// Package dispatcher turns offline-delivery jobs into vendor pushes: the job
// contract, the notification rules, the asynq handlers, fan-out per
// certificate and the retry policy.
package dispatcher

import (
	"time"
)

// Task types.
const (
	// TypeMessage is the offline-delivery job the message service enqueues.
	TypeMessage = "push:message"
	// TypeRetry carries the rendered notifications of the devices whose
	// delivery failed with a retryable error, and nothing else.
	TypeRetry = "push:retry"
)

// Job is the offline-delivery job of SPEC §3.3: one message, to every
// offline recipient (or to explicit device tokens).
type Job struct {
	AppID string `json:"app_id"`
	// MsgID is unique per app: the idempotency key of the job.
	MsgID  string `json:"msg_id"`
	Sender From   `json:"sender"`
	// Recipients are the user ids the message service found offline; their
	// devices come from the device registry.
	Recipients []string `json:"recipients,omitempty"`
	// Devices are explicit tokens, instead of Recipients.
	Devices []Device `json:"devices,omitempty"`
	// Group is absent for one-to-one messages.
	Group *Group `json:"group,omitempty"`
	Elems []Elem `json:"elems,omitempty"`
	// System marks system and group-system messages: never pushed.
	System             bool `json:"system,omitempty"`
	OnlineUserOnly     bool `json:"online_user_only,omitempty"`
	ExcludedFromUnread bool `json:"excluded_from_unread,omitempty"`
	// Mentions are the @ targets of a group message; MentionAll ("@all")
	// targets everyone.
	Mentions    []string    `json:"mentions,omitempty"`
	OfflinePush OfflinePush `json:"offline_push"`
	// ExpireAt is when delivery stops being useful; default now + 24h.
	ExpireAt *time.Time `json:"expire_at,omitempty"`

	// validated marks a job read back from the job stream, where only jobs
	// that passed Validate (renders for every vendor included) are
	// written: Resolve does not render it for every vendor again.
	validated bool
}

// MentionAll in Job.Mentions mentions every group member.
const MentionAll = "@all"

// From is the sender of the message.
type From struct {
	UserID   string `json:"user_id"`
	Nickname string `json:"nickname,omitempty"`
	// NameCard is the sender's name card in the group, preferred over the
	// nickname in group notifications.
	NameCard string `json:"name_card,omitempty"`
}

// Group describes the group a group message was sent in.
type Group struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Type is Work (alias Private), Public, Meeting (alias ChatRoom),
	// AVChatRoom or BChatRoom.
	Type string `json:"type"`
}

// Group types.
const (
	GroupWork       = "Work"
	GroupPrivate    = "Private"
	GroupPublic     = "Public"
	GroupMeeting    = "Meeting"
	GroupChatRoom   = "ChatRoom"
	GroupAVChatRoom = "AVChatRoom"
	GroupBChatRoom  = "BChatRoom"
)

// Elem is one element of the message body.
type Elem struct {
	// Type is one of the Elem* constants.
	Type string `json:"type"`
	// Text is the text of a text element.
	Text string `json:"text,omitempty"`
	// Desc is the description of a custom element: what its push shows.
	Desc string `json:"desc,omitempty"`
}

// Element types.
const (
	ElemText      = "text"
	ElemImage     = "image"
	ElemSound     = "sound"
	ElemVideo     = "video"
	ElemFile      = "file"
	ElemLocation  = "location"
	ElemFace      = "face"
	ElemMerger    = "merger"
	ElemCustom    = "custom"
	ElemGroupTips = "group_tips"
)

// OfflinePush is the message's own push settings (the seed's
// V2TIMOfflinePushInfo): they win over everything else.
type OfflinePush struct {
	Disable bool   `json:"disable,omitempty"`
	Title   string `json:"title,omitempty"`
	// Desc replaces the generated content.
	Desc string `json:"desc,omitempty"`
	// Ext is the opaque pass-through the app receives.
	Ext string `json:"ext,omitempty"`
	// IOSSound is the iOS sound file; "push.no_sound" means silent.
	IOSSound       string `json:"ios_sound,omitempty"`
	IgnoreIOSBadge bool   `json:"ignore_ios_badge,omitempty"`
	// Badge sets the badge explicitly; only for jobs with explicit devices
	// (test pushes), recipients' badges come from the registry.
	Badge   *int        `json:"badge,omitempty"`
	Android AndroidPush `json:"android,omitempty"`
}

// AndroidPush holds the per-message Android vendor options; each wins over
// the certificate's default.
type AndroidPush struct {
	OPPOChannelID      string `json:"oppo_channel_id,omitempty"`
	XiaomiChannelID    string `json:"xiaomi_channel_id,omitempty"`
	HuaweiChannelID    string `json:"huawei_channel_id,omitempty"`
	FCMChannelID       string `json:"fcm_channel_id,omitempty"`
	HuaweiCategory     string `json:"huawei_category,omitempty"`
	HuaweiImportance   string `json:"huawei_importance,omitempty"`
	VivoClassification *int   `json:"vivo_classification,omitempty"`
	VivoCategory       string `json:"vivo_category,omitempty"`
}

// Device is an explicit push target: a token under a certificate.
type Device struct {
	CertID int64  `json:"cert_id"`
	Token  string `json:"token"`
	// Vendor, when given, must match the certificate's vendor.
	Vendor string `json:"vendor,omitempty"`
}

// IsGroup reports whether j is a group message.
func (j *Job) IsGroup() bool { return j.Group != nil }

// Expiry returns the job's expiry, or the default when it has none.
func (j *Job) Expiry(def time.Time) time.Time {
	if j.ExpireAt == nil {
		return def
	}
	return *j.ExpireAt
}
