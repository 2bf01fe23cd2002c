package vendors

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// This file is the one place that decides how ext reaches the app on each
// vendor (SPEC §4.3). Every adapter calls these helpers; none builds ext on
// its own.
//
//	APNs         top-level "ext"
//	FCM          data.ext
//	Xiaomi       extra.ext (the payload form field carries it too)
//	Huawei/Honor click intent extras and data: {"ext": …}
//	OPPO         action_parameters: ext itself if it is a JSON object, else {"ext": …}
//	vivo         clientCustomMap.ext
//	Meizu        clickTypeInfo.parameters.ext
//
// ext is delivered only when the click action carries it (open app or
// in-app page); with a URL click it is dropped, as the console documents.

// ExtKey is the key the app reads the pass-through from.
const ExtKey = "ext"

// ExtMap returns {"ext": ext}, or nil when there is no ext or the click
// action does not deliver it.
func ExtMap(n *Notification, c Click) map[string]string {
	if n.Ext == "" || !c.CarriesExt() {
		return nil
	}
	return map[string]string{ExtKey: n.Ext}
}

// OPPOActionParameters returns the JSON object OPPO's action_parameters
// needs: ext itself when it is a JSON object (each key becomes an Intent
// extra, as the seed documents), otherwise ext wrapped as {"ext": ext}.
// It returns "" when there is nothing to deliver.
func OPPOActionParameters(n *Notification, c Click) string {
	if n.Ext == "" || !c.CarriesExt() {
		return ""
	}
	trimmed := strings.TrimSpace(n.Ext)
	if strings.HasPrefix(trimmed, "{") {
		var obj map[string]any
		if json.Unmarshal([]byte(trimmed), &obj) == nil {
			return trimmed
		}
	}
	b, _ := json.Marshal(map[string]string{ExtKey: n.Ext})
	return string(b)
}

// ExtJSON returns {"ext": ext} as a JSON string (Huawei/Honor message data),
// or "" when there is nothing to deliver.
func ExtJSON(n *Notification, c Click) string {
	m := ExtMap(n, c)
	if m == nil {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// ExtCost is what ext weighs against a vendor's ext limit: its length
// as a JSON string without the quotes, the way the adapters encode it (a
// quote, a backslash, <, > and & and control characters count as their
// escapes). A vendor that counts characters (vivo) counts fewer.
//
// It counts without encoding: every job pays it at decode and at render,
// and json.Marshal of a large ext was a twentieth of the worker's CPU.
// FuzzExtCost holds it to encoding/json's own escaping.
func ExtCost(ext string) int {
	n := 0
	for i := 0; i < len(ext); {
		c := ext[i]
		if c < utf8.RuneSelf {
			n += asciiCost[c]
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(ext[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += len(`\ufffd`) // an invalid byte is encoded as U+FFFD
		case r == '\u2028' || r == '\u2029':
			n += len(`\u2028`)
		default:
			n += size
		}
		i += size
	}
	return n
}

// asciiCost is the length of each ASCII byte as encoding/json writes it
// in a string: \", \\, \b, \f, \n, \r and \t take two bytes, the other
// control characters and the HTML-sensitive <, > and & six (\u00XX).
var asciiCost = func() (t [utf8.RuneSelf]int) {
	for c := range t {
		switch {
		case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
			t[c] = 2
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			t[c] = 6
		default:
			t[c] = 1
		}
	}
	return t
}()

// IDOnly reports whether n is an id_only push (docs/rules.md "Preview
// privacy"): a data message carrying the ids and ext, no text, on the
// vendors that have one.
func (n *Notification) IDOnly() bool { return n.Preview == PreviewIDOnly && len(n.IDs) > 0 }

// IDOnlyData is the data of an id_only message: a JSON object of the ids
// and the ext (ExtKey), whatever the click action (a data message has no
// click).
func (n *Notification) IDOnlyData() string {
	m := make(map[string]string, len(n.IDs)+1)
	for k, v := range n.IDs {
		m[k] = v
	}
	if n.Ext != "" {
		m[ExtKey] = n.Ext
	}
	b, _ := json.Marshal(m)
	return string(b)
}
