package fake

import (
	"encoding/json"
	"net/url"
	"testing"
)

func ip(v int) *int { return &v }

// The fakes refuse today's OfflinePushInfo fields with wrong types or
// values as the vendors do, and accept the right ones.
func TestFakeFieldChecks(t *testing.T) {
	cases := []struct {
		name string
		bad  string // "" = accepted
	}{
		{"apns flags ok", checkAPS(map[string]any{"content-available": 1.0, "mutable-content": 1.0, "interruption-level": "critical",
			"alert": map[string]any{"subtitle": "s"}})},
		{"apns flag as string", ne(checkAPS(map[string]any{"mutable-content": "1"}))},
		{"apns flag 2", ne(checkAPS(map[string]any{"content-available": 2.0}))},
		{"apns interruption unknown", ne(checkAPS(map[string]any{"interruption-level": "urgent"}))},
		{"apns subtitle number", ne(checkAPS(map[string]any{"alert": map[string]any{"subtitle": 3.0}}))},

		{"fcm image ok", replyText(fcmCheckImage(json.RawMessage(`{"image":"https://x.example/a.png"}`), "f"))},
		{"fcm image relative", ne(replyText(fcmCheckImage(json.RawMessage(`{"image":"/a.png"}`), "f")))},
		{"fcm image number", ne(replyText(fcmCheckImage(json.RawMessage(`{"image":3}`), "f")))},

		{"hms style ok", hwCheckStyle("https://x.example/a.png", ip(1), "t", "b")},
		{"hms inbox ok", hwCheckStyle("", ip(3), "", "")},
		{"hms image http", ne(hwCheckStyle("http://x.example/a.png", nil, "", ""))},
		{"hms big text without big body", ne(hwCheckStyle("", ip(1), "t", ""))},
		{"hms style 2", ne(hwCheckStyle("", ip(2), "", ""))},

		{"oppo ok", oppoText0((&oppoClass{Style: ip(2), Category: "IM", NotifyLevel: ip(16), PrivateMsgTemplateID: "t",
			PrivateTitleParameters: map[string]string{"a": "b"}}).check("short"))},
		{"oppo long text too long", ne(oppoText0((&oppoClass{Style: ip(2)}).check(string(make([]rune, 129)))))},
		{"oppo unknown category", ne(oppoText0((&oppoClass{Category: "CHAT"}).check("c")))},
		{"oppo level without category", ne(oppoText0((&oppoClass{NotifyLevel: ip(2)}).check("c")))},
		{"oppo level 3", ne(oppoText0((&oppoClass{Category: "IM", NotifyLevel: ip(3)}).check("c")))},
		{"oppo params without template", ne(oppoText0((&oppoClass{PrivateContentParameters: map[string]string{"a": "b"}}).check("c")))},

		{"xiaomi sound ok", xmText(xmCheckSound(url.Values{"extra.sound_uri": {"android.resource://com.x/raw/shake"}}, "com.x"))},
		{"xiaomi sound other package", ne(xmText(xmCheckSound(url.Values{"extra.sound_uri": {"android.resource://com.y/raw/shake"}}, "com.x")))},
		{"xiaomi sound with extension", ne(xmText(xmCheckSound(url.Values{"extra.sound_uri": {"android.resource://com.x/raw/shake.mp3"}}, "com.x")))},
	}
	for _, c := range cases {
		if c.bad != "" {
			t.Errorf("%s: %s", c.name, c.bad)
		}
	}
}

// ne turns an expected refusal into "" and a missing one into an error.
func ne(reason string) string {
	if reason == "" {
		return "accepted, want a refusal"
	}
	return ""
}

func replyText(r *fcmReply) string {
	if r == nil {
		return ""
	}
	return "refused"
}

func oppoText0(code int, msg string) string {
	if code == 0 {
		return ""
	}
	return msg
}

func xmText(code, msg string) string {
	if code == "" {
		return ""
	}
	return msg
}
