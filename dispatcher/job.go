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
	// Priority is high, normal or low; default by the job's kind (see
	// Lane).
	Priority string `json:"priority,omitempty"`

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
// V2TIMOfflinePushInfo, and today's Tencent OfflinePushInfo field by field,
// docs/tencent.md): they win over everything else.
type OfflinePush struct {
	// Disable is Tencent's PushFlag 1: no offline push for this message.
	Disable bool   `json:"disable,omitempty"`
	Title   string `json:"title,omitempty"`
	// Desc replaces the generated content.
	Desc string `json:"desc,omitempty"`
	// Ext is the opaque pass-through the app receives.
	Ext string `json:"ext,omitempty"`
	// IOSSound is the iOS sound file; "push.no_sound" means silent.
	IOSSound string `json:"ios_sound,omitempty"`
	// IgnoreIOSBadge is Tencent's ApnsInfo.BadgeMode 1: this message does
	// not raise the APNs badge.
	IgnoreIOSBadge bool `json:"ignore_ios_badge,omitempty"`
	// Badge sets the badge explicitly; only for jobs with explicit devices
	// (test pushes), recipients' badges come from the registry.
	Badge *int `json:"badge,omitempty"`
	// BadgeAdd is Tencent's BadgeAddNum (1–99): the badge is raised by
	// this much instead of 1 (APNs, Huawei, Honor, HarmonyOS).
	BadgeAdd *int `json:"badge_add,omitempty"`
	// BadgeSet is Tencent's BadgeSetNum: the badge is set to this value
	// (0–999 on APNs, 0–99 on Huawei, Honor and HarmonyOS); it wins over
	// BadgeAdd.
	BadgeSet *int `json:"badge_set,omitempty"`
	// Languages is Tencent's MultiLanguageContent: a title and desc per
	// device language, chosen by the device's locale; the top-level Title
	// and Desc are the fallback.
	Languages []LocalizedPush `json:"languages,omitempty"`
	// VoIP makes the push a call: an APNs voip push to devices with a VoIP
	// token (a normal alert otherwise) and each Android vendor's call
	// category at high priority. Tencent's ApnsInfo.IsVoipPush.
	VoIP bool `json:"voip,omitempty"`
	// Android holds the Android vendors' options (Tencent's AndroidInfo).
	Android AndroidPush `json:"android,omitempty"`
	// APNs holds the APNs options (Tencent's ApnsInfo).
	APNs APNsPush `json:"apns,omitempty"`
	// Harmony holds the HarmonyOS NEXT options (Tencent's HarmonyInfo).
	Harmony HarmonyPush `json:"harmony,omitempty"`
}

// LocalizedPush is one entry of OfflinePush.Languages.
type LocalizedPush struct {
	// Language is a BCP 47 tag or Tencent's code ("en", "zh-hant").
	Language string `json:"language"`
	Title    string `json:"title,omitempty"`
	Desc     string `json:"desc,omitempty"`
}

// AndroidPush holds the per-message Android vendor options; each wins over
// the certificate's default. The names follow Tencent's AndroidInfo.
type AndroidPush struct {
	// Sound is the Android ringtone, a file name without extension in
	// the app's res/raw (Tencent's AndroidInfo.Sound).
	Sound string `json:"sound,omitempty"`
	// PushStyle 1 is the big-text style (Huawei, Honor, OPPO).
	PushStyle int `json:"push_style,omitempty"`

	OPPOChannelID string `json:"oppo_channel_id,omitempty"`
	// OPPOCategory is OPPO's message category (IM, MARKETING, …).
	OPPOCategory string `json:"oppo_category,omitempty"`
	// OPPONotifyLevel is 1 (bar), 2 (bar + lock screen) or 16 (bar, lock
	// screen, banner, vibration, ring); it needs OPPOCategory.
	OPPONotifyLevel int `json:"oppo_notify_level,omitempty"`
	// OPPOPrivateTemplateID is OPPO's private-message template, filled
	// with the title and content parameters.
	OPPOPrivateTemplateID      string            `json:"oppo_private_template_id,omitempty"`
	OPPOPrivateTitleParameters map[string]string `json:"oppo_private_title_parameters,omitempty"`
	OPPOPrivateContentParams   map[string]string `json:"oppo_private_content_parameters,omitempty"`

	XiaomiChannelID string `json:"xiaomi_channel_id,omitempty"`

	HuaweiChannelID  string `json:"huawei_channel_id,omitempty"`
	HuaweiCategory   string `json:"huawei_category,omitempty"`
	HuaweiImportance string `json:"huawei_importance,omitempty"`
	// HuaweiImage is the https URL of the small right-hand icon.
	HuaweiImage string `json:"huawei_image,omitempty"`

	// HonorImportance is LOW (marketing) or NORMAL (service and
	// communication).
	HonorImportance string `json:"honor_importance,omitempty"`
	HonorImage      string `json:"honor_image,omitempty"`

	VivoClassification *int   `json:"vivo_classification,omitempty"`
	VivoCategory       string `json:"vivo_category,omitempty"`
	// VivoNotifyType is 1 none, 2 ring, 3 vibrate, 4 ring and vibrate.
	VivoNotifyType int `json:"vivo_notify_type,omitempty"`

	// MeizuNoticeMsgType is 0 public or 1 private; nil is the
	// certificate's default.
	MeizuNoticeMsgType *int `json:"meizu_notice_msg_type,omitempty"`

	// FCMChannelID is Tencent's GoogleChannelID.
	FCMChannelID string `json:"fcm_channel_id,omitempty"`
	// FCMImage is Tencent's GoogleImage.
	FCMImage string `json:"fcm_image,omitempty"`
	// FCMPriority is Tencent's GooglePriority: normal or high.
	FCMPriority string `json:"fcm_priority,omitempty"`
}

// IsZero reports whether no Android option is set.
func (a *AndroidPush) IsZero() bool {
	return a.Sound == "" && a.PushStyle == 0 && a.OPPOChannelID == "" && a.OPPOCategory == "" &&
		a.OPPONotifyLevel == 0 && a.OPPOPrivateTemplateID == "" && len(a.OPPOPrivateTitleParameters) == 0 &&
		len(a.OPPOPrivateContentParams) == 0 && a.XiaomiChannelID == "" && a.HuaweiChannelID == "" &&
		a.HuaweiCategory == "" && a.HuaweiImportance == "" && a.HuaweiImage == "" &&
		a.HonorImportance == "" && a.HonorImage == "" && a.VivoClassification == nil &&
		a.VivoCategory == "" && a.VivoNotifyType == 0 && a.MeizuNoticeMsgType == nil &&
		a.FCMChannelID == "" && a.FCMImage == "" && a.FCMPriority == ""
}

// APNsPush holds the per-message APNs options (Tencent's ApnsInfo; the
// sound and badge mode are OfflinePush.IOSSound and IgnoreIOSBadge).
type APNsPush struct {
	// Title overrides OfflinePush.Title on APNs.
	Title    string `json:"title,omitempty"`
	Subtitle string `json:"subtitle,omitempty"`
	// Image is an https URL the app's notification service extension
	// downloads; it sets mutable-content.
	Image          string `json:"image,omitempty"`
	MutableContent bool   `json:"mutable_content,omitempty"`
	// InterruptionLevel is passive, active, time-sensitive or critical.
	InterruptionLevel string `json:"interruption_level,omitempty"`
	// ContentAvailable makes a background (silent) push.
	ContentAvailable bool `json:"content_available,omitempty"`
}

// IsZero reports whether no APNs option is set.
func (a *APNsPush) IsZero() bool { return *a == APNsPush{} }

// HarmonyPush holds the per-message HarmonyOS NEXT options (Tencent's
// HarmonyInfo).
type HarmonyPush struct {
	// Title overrides OfflinePush.Title on HarmonyOS.
	Title string `json:"title,omitempty"`
	// Category is Push Kit's notification category (IM, VOIP, …).
	Category string `json:"category,omitempty"`
	// Image is the https URL of the large icon.
	Image string `json:"image,omitempty"`
	// Sound is a file in the app's resources/rawfile; SoundDuration
	// (1–60 s) loops it.
	Sound         string `json:"sound,omitempty"`
	SoundDuration int    `json:"sound_duration,omitempty"`
}

// IsZero reports whether no HarmonyOS option is set.
func (h *HarmonyPush) IsZero() bool { return *h == HarmonyPush{} }

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
