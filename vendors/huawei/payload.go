package huawei

import (
	"fmt"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// click_action.type values [vendor-protocols.md §4; HMSGO constants].
const (
	clickTypeIntent = 1 // open an app page by intent or action
	clickTypeURL    = 2 // open a URL (HTTPS only)
	clickTypeApp    = 3 // open the app
)

// Limits of the send API [§4 "Limits"; HWDOC https-send-api].
const (
	// maxBodyBytes is the message body limit, tokens excluded.
	maxBodyBytes = 4096
	// maxTTL is the 15-day ceiling of android.ttl [§4, UNCERTAIN for v1];
	// a longer expiry is capped rather than refused with 80100001.
	maxTTL = 1296000 * time.Second
	// maxBadge is the largest badge.set_num.
	maxBadge = 99
	// maxTag bounds the collapse tag derived from the message id.
	maxTag = 64
)

// settings are the certificate values a message needs.
type settings struct {
	AppID      string
	ChannelID  string
	Category   string
	Importance string
	BadgeClass string
	Click      vendors.Click
}

// settingsOf reads the certificate values a message needs. Huawei opens
// only HTTPS pages, so an http:// click URL is refused here, once, rather
// than on every send.
func settingsOf(cred *vendors.Credential) (settings, error) {
	click, err := cred.Click.Normalize()
	if err == nil && click.Action == vendors.ClickURL && !strings.HasPrefix(click.Target, "https://") {
		err = fmt.Errorf("click_target %q: Huawei opens only https:// URLs", click.Target)
	}
	if err != nil {
		return settings{}, fmt.Errorf("huawei certificate %d: %w", cred.ID, err)
	}
	return settings{
		AppID:      cred.Field(vendors.FieldAppID),
		ChannelID:  cred.Field(vendors.FieldChannelID),
		Category:   cred.Field(vendors.FieldCategory),
		Importance: cred.Field(vendors.FieldImportance),
		BadgeClass: cred.Field(vendors.FieldBadgeClass),
		Click:      click,
	}, nil
}

// importanceSilent is the importance of a silent push (push.no_sound):
// LOW is Huawei's "information and marketing" class, shown as a silent
// notification, no ringtone and no vibration [vendor-protocols.md §4
// Classification; Huawei's 2023 notification rules as summarised at
// help.aliyun.com/en/document_detail/2539603.html].
const importanceSilent = "LOW"

// sendRequest is the body of POST /v1/{appId}/messages:send [§4 Send].
type sendRequest struct {
	ValidateOnly bool    `json:"validate_only"`
	Message      message `json:"message"`
}

type message struct {
	Data    string   `json:"data,omitempty"`
	Android android  `json:"android"`
	Token   []string `json:"token"`
}

type android struct {
	// Urgency is HIGH for a call (call.go), else Huawei's default.
	Urgency  string `json:"urgency,omitempty"`
	Category string `json:"category,omitempty"`
	TTL      string `json:"ttl,omitempty"`
	// Notification is nil for an id_only data message (dataRequest).
	Notification *notification `json:"notification,omitempty"`
	// BiTag is echoed in the receipts (receipt.go): the signed reference.
	BiTag string `json:"bi_tag,omitempty"`
}

type notification struct {
	Title       string      `json:"title"`
	Body        string      `json:"body"`
	ClickAction clickAction `json:"click_action"`
	ChannelID   string      `json:"channel_id,omitempty"`
	NotifyID    int         `json:"notify_id,omitempty"`
	Tag         string      `json:"tag,omitempty"`
	Importance  string      `json:"importance,omitempty"`
	// DefaultSound is always set, a silent push's too: Huawei needs either
	// a sound or the default one (HMS's own validator refuses "sound must
	// not be empty when default_sound is false", HMSGO
	// validateAndroidNotification); it is false only with the job's
	// Android sound. A silent push is silent by importance LOW instead.
	DefaultSound bool   `json:"default_sound"`
	Badge        *badge `json:"badge,omitempty"`
	// Sound is a custom sound, "/raw/<name>" in the app's resources
	// (default_sound false); Image is the https URL of the right-hand
	// icon; Style 1 with BigTitle and BigBody is the big-text style
	// [vendor-protocols.md §4 android.notification].
	Sound    string `json:"sound,omitempty"`
	Image    string `json:"image,omitempty"`
	Style    int    `json:"style,omitempty"`
	BigTitle string `json:"big_title,omitempty"`
	BigBody  string `json:"big_body,omitempty"`
}

type clickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent,omitempty"`
	Action string `json:"action,omitempty"`
	URL    string `json:"url,omitempty"`
}

// badge is the launcher badge: set_num sets it, add_num raises it on the
// device (a binding whose count pushd does not keep); set_num wins
// [vendor-protocols.md §4 Badge, §8].
type badge struct {
	AddNum int    `json:"add_num,omitempty"`
	SetNum *int   `json:"set_num,omitempty"`
	Class  string `json:"class"`
}

// buildBody returns the JSON body of one message to tokens. The body is
// shrunk to Huawei's 4096 bytes (tokens excluded) by shortening the text;
// an ext too large to fit fails with a Rejected error.
func buildBody(n vendors.Notification, s settings, tokens []string, now time.Time) ([]byte, error) {
	return hms.Body(vendors.Huawei, limits(), n, tokens, func(m *vendors.Notification, ts []string) sendRequest {
		return newRequest(m, s, ts, now)
	})
}

// newRequest maps n onto Huawei's fields.
func newRequest(n *vendors.Notification, s settings, tokens []string, now time.Time) sendRequest {
	if n.IDOnly() {
		return dataRequest(n, tokens, now)
	}
	nt := &notification{
		Title: n.Title, Body: n.Body, DefaultSound: true,
		ClickAction: clickAction(hms.Click(n, s.Click,
			hms.ClickTypes{Intent: clickTypeIntent, URL: clickTypeURL, App: clickTypeApp})),
		ChannelID:  hms.Pick(n.Android.ChannelID, s.ChannelID),
		Importance: hms.Pick(n.Android.Importance, s.Importance),
	}
	if n.Silent {
		nt.Importance = importanceSilent
	}
	nt.NotifyID, nt.Tag = hms.IDs(replaceIDs(n), maxTag)
	nt.Badge = badgeOf(n, s.BadgeClass)
	applyStyle(nt, n)
	if snd := n.Android.Sound; snd != "" && !n.Silent {
		nt.Sound, nt.DefaultSound = "/raw/"+snd, false
	}
	a := android{Category: hms.Pick(n.Android.Category, s.Category), TTL: ttl(n, now), Notification: nt}
	if n.Callback != nil {
		a.BiTag = n.Callback.Param
	}
	callClass(n, &a)
	return sendRequest{ValidateOnly: n.ValidateOnly, Message: message{Data: vendors.ExtJSON(n, s.Click), Android: a, Token: tokens}}
}

// dataRequest is n's id_only message: a data (pass-through) message,
// message.data with the ids and ext and no android.notification, which
// Huawei hands to the app's HmsMessageService.onMessageReceived without
// showing anything (vendor-protocols.md §4 Send: "data": "pass-through
// payload"; Huawei's send API: a message with data and without
// notification is a data message). urgency stays Huawei's default
// (NORMAL): HIGH for data messages needs Huawei's approval
// [UNCERTAIN: not in vendor-protocols.md].
func dataRequest(n *vendors.Notification, tokens []string, now time.Time) sendRequest {
	a := android{TTL: ttl(n, now)}
	if n.Callback != nil {
		a.BiTag = n.Callback.Param
	}
	return sendRequest{ValidateOnly: n.ValidateOnly, Message: message{Data: n.IDOnlyData(), Android: a, Token: tokens}}
}

// ttl is the time left until n expires as "<seconds>s", capped at maxTTL,
// or "" for Huawei's default.
func ttl(n *vendors.Notification, now time.Time) string { return hms.TTL(n, now, maxTTL) }

// intentWithExtras adds extras to an intent URI the way Huawei's intent
// click action expects them.
func intentWithExtras(uri string, extras map[string]string) string {
	return hms.IntentWithExtras(uri, extras)
}

// badgeOf is n's badge for the certificate's badge class: set_num when n
// sets the badge, else add_num when it raises it, clamped to 0..99 and
// 1..99; nil without a class or a badge.
func badgeOf(n *vendors.Notification, class string) *badge {
	if num, ok := hms.Badge(n, class, maxBadge); ok {
		return &badge{SetNum: &num, Class: class}
	}
	if n.BadgeAdd == nil || class == "" || *n.BadgeAdd <= 0 {
		return nil
	}
	return &badge{AddNum: min(*n.BadgeAdd, maxBadge), Class: class}
}

// styleBigText is style 1, the big-text style: big_title and big_body
// show the whole text (Tencent's PushStyle 1) [vendor-protocols.md §4, §8].
const styleBigText = 1

// applyStyle sets n's image and, for the big-text style, the big title and
// body.
func applyStyle(nt *notification, n *vendors.Notification) {
	nt.Image = n.Image
	if n.Android.BigText {
		nt.Style, nt.BigTitle, nt.BigBody = styleBigText, n.Title, n.Body
	}
}
