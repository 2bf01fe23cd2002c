package hms

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// ClickTypes are a vendor's click action type values.
type ClickTypes struct {
	Intent int // open an app page by intent or action
	URL    int // open a URL
	App    int // open the app
}

// ClickAction is the click action of a notification, with the field names
// Huawei's click_action and Honor's clickAction share [vendor-protocols.md
// §4 android.notification, §8 Send].
type ClickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent,omitempty"`
	Action string `json:"action,omitempty"`
	URL    string `json:"url,omitempty"`
}

// Click maps the certificate's click action. An intent URI carries ext in
// its extras; any other intent target is an intent action.
func Click(n *vendors.Notification, c vendors.Click, types ClickTypes) ClickAction {
	switch c.Action {
	case vendors.ClickURL:
		return ClickAction{Type: types.URL, URL: c.Target}
	case vendors.ClickIntent:
		if isIntentURI(c.Target) {
			return ClickAction{Type: types.Intent, Intent: IntentWithExtras(c.Target, vendors.ExtMap(n, c))}
		}
		return ClickAction{Type: types.Intent, Action: c.Target}
	}
	return ClickAction{Type: types.App}
}

// IDs returns the notify id and collapse tag (at most maxTag long) of n,
// or zero values when n has no id.
func IDs(n *vendors.Notification, maxTag int) (notifyID int, tag string) {
	if n.ID == "" {
		return 0, ""
	}
	return vendors.NotifyID(n.ID), vendors.CollapseID(n.ID, maxTag)
}

// Pick prefers the job's value over the certificate's.
func Pick(job, cert string) string {
	if job != "" {
		return job
	}
	return cert
}

// Body returns the JSON of build(n, s, tokens, now), the text of n cut to
// l and shortened until the body without tokens fits l.Payload; an ext too
// large to fit fails with a Rejected error of v.
func Body[S, T any](v vendors.Vendor, l vendors.Limits, n vendors.Notification, s S, tokens []string, now time.Time,
	build func(n *vendors.Notification, s S, tokens []string, now time.Time) T) ([]byte, error) {
	l.Fit(&n)
	maxBytes := l.Payload
	size := func(m *vendors.Notification) (int, error) {
		b, err := json.Marshal(build(m, s, []string{}, now))
		return len(b) - len(`[]`), err
	}
	if err := vendors.ShrinkToFit(v, &n, maxBytes, size); err != nil {
		return nil, err
	}
	return json.Marshal(build(&n, s, tokens, now))
}

// isIntentURI reports whether s is an Intent.toUri string.
func isIntentURI(s string) bool {
	return strings.Contains(s, "#Intent;") && strings.HasSuffix(s, ";end")
}

// IntentWithExtras adds extras to an intent URI as "S.key=value;" string
// extras, encoded as Android's Intent.toUri does, so the opened page reads
// them with getStringExtra.
func IntentWithExtras(uri string, extras map[string]string) string {
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
