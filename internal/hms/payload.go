package hms

import (
	"encoding/json"
	"fmt"
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

// ClickAction is the click action of a notification. Its fields match
// each vendor's tagged clickAction, which converts from it directly.
type ClickAction struct {
	Type   int
	Intent string
	Action string
	URL    string
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

// Badge returns n's badge number clamped to 0..maxBadge, and false when n
// sets no badge or the certificate names no badge class to apply it to.
func Badge(n *vendors.Notification, class string, maxBadge int) (int, bool) {
	if n.Badge == nil || class == "" {
		return 0, false
	}
	return min(max(*n.Badge, 0), maxBadge), true
}

// TTL is the time left until n expires as "<seconds>s", capped at maxTTL,
// or "" for the vendor's default.
func TTL(n *vendors.Notification, now time.Time, maxTTL time.Duration) string {
	if n.ExpireAt.IsZero() {
		return ""
	}
	return fmt.Sprintf("%ds", int64(min(n.TTL(now, 0), maxTTL)/time.Second))
}

// Pick prefers the job's value over the certificate's.
func Pick(job, cert string) string {
	if job != "" {
		return job
	}
	return cert
}

// Body returns the JSON of build(n, tokens), the text of n cut to l and
// shortened until the body without tokens fits l.Payload; an ext too
// large to fit fails with a Rejected error of v.
func Body[T any](v vendors.Vendor, l vendors.Limits, n vendors.Notification, tokens []string,
	build func(n *vendors.Notification, tokens []string) T) ([]byte, error) {
	l.Fit(&n)
	maxBytes := l.Payload
	size := func(m *vendors.Notification) (int, error) {
		b, err := json.Marshal(build(m, []string{}))
		return len(b) - len(`[]`), err
	}
	if err := vendors.ShrinkToFit(v, &n, maxBytes, size); err != nil {
		return nil, err
	}
	return json.Marshal(build(&n, tokens))
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
