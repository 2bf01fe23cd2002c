package apns

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sideshow/apns2"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// maxCollapseID is the longest apns-collapse-id APNs accepts; a longer one
// is refused with BadCollapseId (vendor-protocols.md §1, request headers).
const maxCollapseID = 64

// contentType is what apns2 sends, and so what pushd sends.
const contentType = "application/json; charset=utf-8"

// alert is aps.alert. Title is omitted when empty so iOS shows the body on
// its own instead of an empty bold line.
type alert struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
	// Subtitle is Tencent's ApnsInfo.SubTitle.
	Subtitle string `json:"subtitle,omitempty"`
}

// aps is the Apple-defined part of the payload (vendor-protocols.md §1,
// payload fields).
type aps struct {
	Alert alert `json:"alert"`
	// Badge is omitted when the job leaves the badge alone; 0 clears it.
	Badge *int `json:"badge,omitempty"`
	// Sound is omitted for a silent notification.
	Sound string `json:"sound,omitempty"`
	// ContentAvailable (1) wakes the app in the background
	// (content-available), MutableContent (1) lets its notification
	// service extension change the notification (mutable-content), and
	// InterruptionLevel is iOS 15's interruption-level (vendor-protocols.md
	// §1, payload fields).
	ContentAvailable  int    `json:"content-available,omitempty"`
	MutableContent    int    `json:"mutable-content,omitempty"`
	InterruptionLevel string `json:"interruption-level,omitempty"`
}

// payload is the whole request body. Ext sits at the top level under
// vendors.ExtKey: iOS hands every custom key to the app, and an APNs
// notification has no click action that could drop it (vendors/ext.go).
type payload struct {
	APS aps    `json:"aps"`
	Ext string `json:"ext,omitempty"`
	// Image is Tencent's ApnsInfo.Image, a custom key beside ext: APNs
	// itself shows no image, the app's notification service extension
	// (mutable-content is set with it) downloads and attaches it
	// [tencent-rest-format.md §1.3].
	Image string `json:"image,omitempty"`
}

// flag is 1 for true, the value APNs reads in content-available and
// mutable-content; 0 is omitted.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// soundOf returns aps.sound: nothing when silent, the named file, or the
// system "default" sound.
func soundOf(n *vendors.Notification) string {
	switch {
	case n.Silent || n.Sound == vendors.SoundSilent:
		return ""
	case n.Sound != "":
		return n.Sound
	}
	return "default"
}

// idOnly reports whether n is an id_only push (docs/rules.md "Preview
// privacy"): a background push with the ids and ext, no alert. A VoIP
// push is never one: PushKit shows nothing anyway.
func idOnly(n *vendors.Notification) bool {
	return n.IDOnly() && !n.VoIP
}

// backgroundAPS is the aps of a background push: content-available alone.
// Apple: "create a remote notification with an aps dictionary that
// includes only the content-available key … the aps dictionary must not
// contain any keys that would trigger user interactions" (alert, sound,
// badge), sent with apns-push-type background and apns-priority 5
// (vendor-protocols.md §1 request headers; apnspush.com, "How to Push
// and Handle Background Push Notifications in iOS", quoting Apple's
// "Pushing background updates to your App").
type backgroundAPS struct {
	ContentAvailable int `json:"content-available"`
}

// backgroundPayload returns the body of an id_only push: the ids as
// custom keys (msg_id, sender_id, group_id) beside aps and ext, no text.
// The app fetches and shows the message itself.
func backgroundPayload(n *vendors.Notification) map[string]any {
	p := make(map[string]any, len(n.IDs)+2)
	for k, v := range n.IDs {
		p[k] = v
	}
	p["aps"] = backgroundAPS{ContentAvailable: 1}
	if n.Ext != "" {
		p[vendors.ExtKey] = n.Ext
	}
	return p
}

// encodePayload returns the JSON body for n. HTML escaping is off so "<",
// ">" and "&" cost one byte each against the 4096-byte limit, not six.
func encodePayload(n *vendors.Notification) ([]byte, error) {
	if idOnly(n) {
		return vendorhttp.MarshalUnescaped(backgroundPayload(n))
	}
	p := payload{
		APS: aps{Alert: alert{Title: n.Title, Body: n.Body, Subtitle: n.Subtitle}, Badge: n.Badge, Sound: soundOf(n),
			ContentAvailable: flag(n.ContentAvailable), MutableContent: flag(n.MutableContent || n.Image != ""),
			InterruptionLevel: n.InterruptionLevel},
		Ext:   n.Ext,
		Image: n.Image,
	}
	return vendorhttp.MarshalUnescaped(p)
}

// fitPayload returns the body for n, its body text (then title) shortened
// until the payload fits APNs' limit. ext is never dropped: when ext alone
// does not fit, it returns vendors.ShrinkToFit's Rejected error.
func fitPayload(n *vendors.Notification) ([]byte, error) {
	if n.VoIP {
		return fitVoIP(n)
	}
	c := *n
	size := func(m *vendors.Notification) (int, error) {
		b, err := encodePayload(m)
		return len(b), err
	}
	if err := vendors.ShrinkToFit(vendors.APNs, &c, limits().Payload, size); err != nil {
		return nil, err
	}
	return encodePayload(&c)
}

// Header values every push shares (see requestHeader).
var (
	contentTypeValue   = []string{contentType}
	alertPushType      = []string{string(apns2.PushTypeAlert)}
	backgroundPushType = []string{string(apns2.PushTypeBackground)}
	highPriority       = []string{strconv.Itoa(apns2.PriorityHigh)}
	lowPriority        = []string{strconv.Itoa(apns2.PriorityLow)}
)

// requestHeader returns the headers of a push of n to topic, as apns2's
// setHeaders would write them, with lowercase names as HTTP/2 sends them.
// The authorization header is added by the caller.
//
// The constant values are shared slices (net/http never changes a
// request's header values): a push allocates its map and its own values
// only.
func requestHeader(n *vendors.Notification, topic string) http.Header {
	h := make(http.Header, 8)
	h["content-type"] = contentTypeValue
	h["apns-push-type"] = alertPushType
	h["apns-topic"] = []string{topic}
	h["apns-priority"] = highPriority
	// apns2 omits apns-expiration for the zero time; APNs then uses its
	// default storage period.
	if n.ExpireAt.After(time.Unix(0, 0)) {
		h["apns-expiration"] = []string{strconv.FormatInt(n.ExpireAt.Unix(), 10)}
	}
	if id := vendors.CollapseID(n.ReplaceKey(), maxCollapseID); id != "" {
		h["apns-collapse-id"] = []string{id}
	}
	if n.VoIP {
		voipHeader(h, topic)
	}
	if idOnly(n) {
		// A background push must use push type background and priority
		// 5 (see backgroundAPS).
		h["apns-push-type"] = backgroundPushType
		h["apns-priority"] = lowPriority
	}
	return h
}
