package honor

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// clickAction.type values [vendor-protocols.md §8 Send; HONORGO model.go].
const (
	clickTypeIntent = 1 // open an app page by intent or action
	clickTypeURL    = 2 // open a URL
	clickTypeApp    = 3 // open the app
)

const (
	// maxBodyBytes is the body limit, tokens excluded: Honor's API is a fork
	// of Huawei's and vendors.LimitsOf gives both 4096 bytes [§8, UNCERTAIN].
	maxBodyBytes = 4096
	// maxTTL is android.ttl's documented ceiling [§8 Send].
	maxTTL = 1296000 * time.Second
	// maxBadge is the largest badge.setNum.
	maxBadge = 99
	// maxTag bounds the collapse tag derived from the message id.
	maxTag = 64
)

// settings are the certificate values a message needs.
type settings struct {
	AppID      string
	Importance string
	BadgeClass string
	Click      vendors.Click
}

func settingsOf(cred *vendors.Credential) (settings, error) {
	click, err := cred.Click.Normalize()
	if err != nil {
		return settings{}, fmt.Errorf("honor certificate %d: %w", cred.ID, err)
	}
	return settings{
		AppID:      cred.Field(vendors.FieldAppID),
		Importance: cred.Field(vendors.FieldImportance),
		BadgeClass: cred.Field(vendors.FieldBadgeClass),
		Click:      click,
	}, nil
}

// sendRequest is the body of POST /api/v1/{appId}/sendMessage: unlike
// Huawei, no "message" wrapper and camelCase fields [§8 Send].
type sendRequest struct {
	Data    string   `json:"data,omitempty"`
	Android android  `json:"android"`
	Token   []string `json:"token"`
}

type android struct {
	TTL          string       `json:"ttl,omitempty"`
	Notification notification `json:"notification"`
}

type notification struct {
	Title       string      `json:"title"`
	Body        string      `json:"body"`
	ClickAction clickAction `json:"clickAction"`
	Importance  string      `json:"importance,omitempty"`
	Badge       *badge      `json:"badge,omitempty"`
	NotifyID    int         `json:"notifyId,omitempty"`
	Tag         string      `json:"tag,omitempty"`
}

type clickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent,omitempty"`
	Action string `json:"action,omitempty"`
	URL    string `json:"url,omitempty"`
}

type badge struct {
	SetNum     int    `json:"setNum"`
	BadgeClass string `json:"badgeClass"`
}

// buildBody returns the JSON body of one message to tokens, shrunk to
// maxBodyBytes (tokens excluded); an ext too large to fit is Rejected.
func buildBody(n vendors.Notification, s settings, tokens []string, now time.Time) ([]byte, error) {
	vendors.LimitsOf(vendors.Honor).Fit(&n)
	size := func(m *vendors.Notification) (int, error) {
		b, err := json.Marshal(newRequest(m, s, []string{}, now))
		return len(b) - len(`[]`), err
	}
	if err := vendors.ShrinkToFit(vendors.Honor, &n, maxBodyBytes, size); err != nil {
		return nil, err
	}
	return json.Marshal(newRequest(&n, s, tokens, now))
}

// newRequest maps n onto Honor's fields.
func newRequest(n *vendors.Notification, s settings, tokens []string, now time.Time) sendRequest {
	nt := notification{Title: n.Title, Body: n.Body, ClickAction: click(n, s.Click),
		Importance: pick(n.Android.Importance, s.Importance)}
	if n.ID != "" {
		nt.NotifyID = vendors.NotifyID(n.ID)
		nt.Tag = vendors.CollapseID(n.ID, maxTag)
	}
	if n.Badge != nil && s.BadgeClass != "" {
		nt.Badge = &badge{SetNum: min(max(*n.Badge, 0), maxBadge), BadgeClass: s.BadgeClass}
	}
	return sendRequest{Data: vendors.ExtJSON(n, s.Click), Token: tokens,
		Android: android{TTL: ttl(n, now), Notification: nt}}
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

// ttl is the time left until n expires as "<seconds>s", capped at
// 1296000 s, or "" for Honor's default.
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
// extras, encoded as Android's Intent.toUri does.
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
