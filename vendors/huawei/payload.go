package huawei

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

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
	Category     string       `json:"category,omitempty"`
	TTL          string       `json:"ttl,omitempty"`
	Notification notification `json:"notification"`
}

type notification struct {
	Title       string      `json:"title"`
	Body        string      `json:"body"`
	ClickAction clickAction `json:"click_action"`
	ChannelID   string      `json:"channel_id,omitempty"`
	NotifyID    int         `json:"notify_id,omitempty"`
	Tag         string      `json:"tag,omitempty"`
	Importance  string      `json:"importance,omitempty"`
	// DefaultSound is always set: Huawei needs either a sound or the
	// default one, and custom sounds are not supported (SPEC §4.5).
	DefaultSound bool   `json:"default_sound"`
	Badge        *badge `json:"badge,omitempty"`
}

type clickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent,omitempty"`
	Action string `json:"action,omitempty"`
	URL    string `json:"url,omitempty"`
}

type badge struct {
	SetNum int    `json:"set_num"`
	Class  string `json:"class"`
}

// buildBody returns the JSON body of one message to tokens. The body is
// shrunk to Huawei's 4096 bytes (tokens excluded) by shortening the text;
// an ext too large to fit fails with a Rejected error.
func buildBody(n vendors.Notification, s settings, tokens []string, now time.Time) ([]byte, error) {
	vendors.LimitsOf(vendors.Huawei).Fit(&n)
	size := func(m *vendors.Notification) (int, error) {
		b, err := json.Marshal(newRequest(m, s, []string{}, now))
		return len(b) - len(`[]`), err
	}
	if err := vendors.ShrinkToFit(vendors.Huawei, &n, maxBodyBytes, size); err != nil {
		return nil, err
	}
	return json.Marshal(newRequest(&n, s, tokens, now))
}

// newRequest maps n onto Huawei's fields.
func newRequest(n *vendors.Notification, s settings, tokens []string, now time.Time) sendRequest {
	nt := notification{
		Title: n.Title, Body: n.Body, DefaultSound: true,
		ClickAction: click(n, s.Click),
		ChannelID:   pick(n.Android.ChannelID, s.ChannelID),
		Importance:  pick(n.Android.Importance, s.Importance),
	}
	if n.ID != "" {
		nt.NotifyID = vendors.NotifyID(n.ID)
		nt.Tag = vendors.CollapseID(n.ID, maxTag)
	}
	if n.Badge != nil && s.BadgeClass != "" {
		nt.Badge = &badge{SetNum: min(max(*n.Badge, 0), maxBadge), Class: s.BadgeClass}
	}
	a := android{Category: pick(n.Android.Category, s.Category), TTL: ttl(n, now), Notification: nt}
	return sendRequest{Message: message{Data: vendors.ExtJSON(n, s.Click), Android: a, Token: tokens}}
}

// click maps the certificate's click action. An intent URI carries ext in
// its extras; any other intent target is an intent action.
func click(n *vendors.Notification, c vendors.Click) clickAction {
	switch c.Action {
	case vendors.ClickURL:
		return clickAction{Type: clickTypeURL, URL: c.Target}
	case vendors.ClickIntent:
		if isIntentURI(c.Target) {
			return clickAction{Type: clickTypeIntent, Intent: intentWithExtras(c.Target, vendors.ExtMap(n, c))}
		}
		return clickAction{Type: clickTypeIntent, Action: c.Target}
	}
	return clickAction{Type: clickTypeApp}
}

// ttl is the time left until n expires as "<seconds>s", capped at maxTTL,
// or "" for Huawei's default.
func ttl(n *vendors.Notification, now time.Time) string {
	if n.ExpireAt.IsZero() {
		return ""
	}
	return fmt.Sprintf("%ds", int64(min(n.TTL(now, 0), maxTTL)/time.Second))
}

func pick(job, cert string) string {
	if job != "" {
		return job
	}
	return cert
}

// isIntentURI reports whether s is an Intent.toUri string.
func isIntentURI(s string) bool {
	return strings.Contains(s, "#Intent;") && strings.HasSuffix(s, ";end")
}

// intentWithExtras adds extras to an intent URI as "S.key=value;" string
// extras, encoded as Android's Intent.toUri does, so the opened page reads
// them with getStringExtra.
func intentWithExtras(uri string, extras map[string]string) string {
	if len(extras) == 0 {
		return uri
	}
	keys := make([]string, 0, len(extras))
	for k := range extras {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(uri, "end"))
	for _, k := range keys {
		b.WriteString("S." + androidURIEncode(k) + "=" + androidURIEncode(extras[k]) + ";")
	}
	b.WriteString("end")
	return b.String()
}

// androidURIEncode is android.net.Uri.encode: every byte except letters,
// digits and _-!.~'()* is percent-encoded.
func androidURIEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_-!.~'()*", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
