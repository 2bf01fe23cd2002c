package huawei

import (
	"fmt"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// maxBodyBytes is the message body limit, tokens excluded [§4 "Limits";
// HWDOC https-send-api]. The other limits are internal/hms's (maxTTL,
// badge, tag).
const maxBodyBytes = hms.MaxBodyBytes

// settings are the certificate values a message needs.
type settings = hms.Settings

// settingsOf reads the certificate values a message needs. Huawei opens
// only HTTPS pages, so an http:// click URL is refused here, once, rather
// than on every send.
func settingsOf(cred *vendors.Credential) (settings, error) {
	return hms.SettingsOf(vendors.Huawei, cred, httpsOnly)
}

// httpsOnly refuses a click URL that is not https://.
func httpsOnly(click vendors.Click) error {
	if click.Action == vendors.ClickURL && !strings.HasPrefix(click.Target, "https://") {
		return fmt.Errorf("click_target %q: Huawei opens only https:// URLs", click.Target)
	}
	return nil
}

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
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	ClickAction hms.ClickAction `json:"click_action"`
	ChannelID   string          `json:"channel_id,omitempty"`
	NotifyID    int             `json:"notify_id,omitempty"`
	Tag         string          `json:"tag,omitempty"`
	Importance  string          `json:"importance,omitempty"`
	// DefaultSound is always set, a silent push's too: Huawei needs either
	// a sound or the default one (HMS's own validator refuses "sound must
	// not be empty when default_sound is false", HMSGO
	// validateAndroidNotification); it is false only with the job's
	// Android sound. A silent push is silent by importance LOW instead.
	DefaultSound bool   `json:"default_sound"`
	Badge        *badge `json:"badge,omitempty"`
	// Sound is a custom sound, "/raw/<name>" in the app's resources
	// (default_sound false).
	Sound string `json:"sound,omitempty"`
	// Image is the https URL of the right-hand icon; Style 1 with
	// BigTitle and BigBody is the big-text style [vendor-protocols.md §4
	// android.notification].
	Image    string `json:"image,omitempty"`
	Style    int    `json:"style,omitempty"`
	BigTitle string `json:"big_title,omitempty"`
	BigBody  string `json:"big_body,omitempty"`
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
	return hms.Body(vendors.Huawei, hms.Limits(), n, s, tokens, now, newRequest)
}

// newRequest maps n onto Huawei's fields; a silent push is importance LOW
// (hms.ImportanceSilent) with the default sound.
func newRequest(n *vendors.Notification, s settings, tokens []string, now time.Time) sendRequest {
	a := android{TTL: hms.TTL(n, now), BiTag: hms.BiTag(n)}
	if n.IDOnly() {
		return dataRequest(a, n, tokens)
	}
	c := hms.NotificationOf(n, s)
	nt := &notification{Title: c.Title, Body: c.Body, ClickAction: c.Click,
		ChannelID: hms.Pick(n.Android.ChannelID, s.ChannelID), NotifyID: c.NotifyID, Tag: c.Tag,
		Importance: c.Importance, DefaultSound: true, Badge: (*badge)(c.Badge),
		Image: c.Image, Style: c.Style, BigTitle: c.BigTitle, BigBody: c.BigBody}
	if snd := n.Android.Sound; snd != "" && !n.Silent {
		nt.Sound, nt.DefaultSound = "/raw/"+snd, false
	}
	a.Category, a.Notification = hms.Pick(n.Android.Category, s.Category), nt
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
func dataRequest(a android, n *vendors.Notification, tokens []string) sendRequest {
	return sendRequest{ValidateOnly: n.ValidateOnly, Message: message{Data: n.IDOnlyData(), Android: a, Token: tokens}}
}
