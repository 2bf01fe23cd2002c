package xiaomi

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Form field names of POST /v3/message/regid [vendor-protocols.md §3 "Send
// endpoint"; OFFICIAL SDK Constants].
const (
	fieldRegID        = "registration_id"
	fieldPackage      = "restricted_package_name"
	fieldPassThrough  = "pass_through"
	fieldTitle        = "title"
	fieldDescription  = "description"
	fieldPayload      = "payload"
	fieldNotifyType   = "notify_type"
	fieldNotifyID     = "notify_id"
	fieldTimeToLive   = "time_to_live"
	fieldNotifyEffect = "extra.notify_effect"
	fieldIntentURI    = "extra.intent_uri"
	fieldWebURI       = "extra.web_uri"
	fieldChannelID    = "extra.channel_id"
	fieldSoundURI     = "extra.sound_uri"
	extraPrefix       = "extra."
)

// notify_effect values: what tapping the notification does [§3 form fields].
const (
	effectLauncher = "1" // open the launcher activity
	effectIntent   = "2" // open any activity, needs extra.intent_uri
	effectWeb      = "3" // open a web page, needs extra.web_uri
)

// notify_type values [§3; MZS XiaoMiConstants]: -1 is DEFAULT_ALL (sound,
// vibration and lights); 4 is lights only, so a silent message neither
// rings nor vibrates.
const (
	notifyTypeAll    = "-1"
	notifyTypeSilent = "4"
	// notifyTypeNoDefaultSound is vibrate (2) and lights (4) without the
	// default sound (1), so extra.sound_uri plays instead [UNCERTAIN:
	// Xiaomi's server docs say a custom sound needs notify_type without
	// DEFAULT_SOUND; not verified against a device].
	notifyTypeNoDefaultSound = "6"
)

// settings are the certificate values a message needs.
type settings struct {
	Package   string
	ChannelID string
	Click     vendors.Click
}

// settingsOf reads the certificate values a message needs, rejecting a
// certificate whose click action is invalid rather than silently ignoring it.
func settingsOf(cred *vendors.Credential) (settings, error) {
	click, err := cred.Click.Normalize()
	if err != nil {
		return settings{}, fmt.Errorf("xiaomi certificate %d: %w", cred.ID, err)
	}
	return settings{
		Package:   cred.Field(vendors.FieldPackage),
		ChannelID: cred.Field(vendors.FieldChannelID),
		Click:     click,
	}, nil
}

// buildForm returns the form of one message to tokens. n is a copy: the
// title and description are cut to Xiaomi's limits here, never in the
// caller's notification.
func buildForm(n vendors.Notification, s settings, tokens []string, now time.Time) url.Values {
	if (&n).IDOnly() {
		return passThroughForm(&n, s, tokens, now)
	}
	limits().Fit(&n)
	f := url.Values{}
	f.Set(fieldRegID, strings.Join(tokens, ","))
	f.Set(fieldPackage, s.Package)
	f.Set(fieldPassThrough, "0")
	f.Set(fieldTitle, n.Title)
	f.Set(fieldDescription, n.Body)
	f.Set(fieldNotifyType, notifyTypeAll)
	switch {
	case n.Silent:
		f.Set(fieldNotifyType, notifyTypeSilent)
	case n.Android.Sound != "" && s.Package != "":
		// A custom sound is a res/raw resource of the app, named by URI
		// [vendor-protocols.md §3 extra.sound_uri].
		f.Set(fieldNotifyType, notifyTypeNoDefaultSound)
		f.Set(fieldSoundURI, "android.resource://"+s.Package+"/raw/"+n.Android.Sound)
	}
	// A call's cancel replaces the call: the same notify_id (ReplaceKey).
	// Xiaomi has no call class of its own: a call rings through the
	// private-message (私信) channel the app registered with high
	// importance, named by the job's or the certificate's channel_id
	// (vendor-protocols.md §3 extra.channel_id; docs/rules.md "Calls").
	if id := n.ReplaceKey(); id != "" {
		f.Set(fieldNotifyID, strconv.Itoa(vendors.NotifyID(id)))
	}
	if !n.ExpireAt.IsZero() {
		f.Set(fieldTimeToLive, strconv.FormatInt(n.TTL(now, 0).Milliseconds(), 10))
	}
	if ch := channelID(&n, s); ch != "" {
		f.Set(fieldChannelID, ch)
	}
	setClick(f, s.Click)
	setExt(f, &n, s.Click)
	setCallback(f, n.Callback)
	return f
}

// passThroughForm is n's id_only message: pass_through 1, a pass-through
// (data) message Xiaomi hands to the app's PushMessageReceiver
// (onReceivePassThroughMessage) without showing anything, its payload the
// ids and ext as a JSON object, URL-encoded as MIDOC requires
// (vendor-protocols.md §3 form fields: "pass_through 1 pass-through
// (data)", "payload … must be URL-encoded"). No title, description,
// notify_type or click: nothing is shown. The receipt callback is kept.
func passThroughForm(n *vendors.Notification, s settings, tokens []string, now time.Time) url.Values {
	f := url.Values{}
	f.Set(fieldRegID, strings.Join(tokens, ","))
	f.Set(fieldPackage, s.Package)
	f.Set(fieldPassThrough, "1")
	f.Set(fieldPayload, url.QueryEscape(n.IDOnlyData()))
	if !n.ExpireAt.IsZero() {
		f.Set(fieldTimeToLive, strconv.FormatInt(n.TTL(now, 0).Milliseconds(), 10))
	}
	setCallback(f, n.Callback)
	return f
}

// channelID is the job's channel, else the certificate's (SPEC §4.6).
func channelID(n *vendors.Notification, s settings) string {
	if n.Android.ChannelID != "" {
		return n.Android.ChannelID
	}
	return s.ChannelID
}

func setClick(f url.Values, c vendors.Click) {
	switch c.Action {
	case vendors.ClickURL:
		f.Set(fieldNotifyEffect, effectWeb)
		f.Set(fieldWebURI, c.Target)
	case vendors.ClickIntent:
		f.Set(fieldNotifyEffect, effectIntent)
		f.Set(fieldIntentURI, c.Target)
	default:
		f.Set(fieldNotifyEffect, effectLauncher)
	}
}

// setExt puts ext under extra.ext (what the app reads from the clicked
// message's extras) and in payload, which MIDOC requires URL-encoded.
func setExt(f url.Values, n *vendors.Notification, c vendors.Click) {
	ext := vendors.ExtMap(n, c)
	for k, v := range ext {
		f.Set(extraPrefix+k, v)
	}
	if v, ok := ext[vendors.ExtKey]; ok {
		f.Set(fieldPayload, url.QueryEscape(v))
	}
}
