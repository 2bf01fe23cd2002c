package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

// fieldsJobBody is a group job carrying today's OfflinePushInfo fields
// (issue 14 point 1): badge_add, an English entry of languages (the
// devices have the app's locale, English), and every vendor's options.
func fieldsJobBody(msg string, recipients []string) map[string]any {
	j := groupJob(msg, recipients)
	j["offline_push"] = map[string]any{"title": grpTitle, "ext": grpExt, "badge_add": 2,
		"languages": []map[string]any{{"language": "en", "title": "Trip (en)"}, {"language": "zh-hant", "title": "旅行"}},
		"android": map[string]any{"sound": "shake", "push_style": 1, "oppo_category": "IM", "oppo_notify_level": 2,
			"oppo_private_template_id": "tpl_chat", "oppo_private_title_parameters": map[string]string{"name": "Den"},
			"vivo_notify_type": 3, "honor_importance": "LOW", "meizu_notice_msg_type": 0,
			"huawei_image": "https://cdn.example.com/hw.png", "honor_image": "https://cdn.example.com/honor.png",
			"fcm_image": "https://cdn.example.com/fcm.png", "fcm_priority": "normal"},
		"apns": map[string]any{"title": "APNs title", "subtitle": "Hiking club", "image": "https://cdn.example.com/i.jpg",
			"interruption_level": "time-sensitive"}}
	return j
}

// TestOfflinePushFieldsReachEveryVendor sends one job with many
// OfflinePushInfo fields to a device on each vendor and reads each fake's
// recorded request (the fakes refuse wrong types and values as the vendors
// do, so an accepted request is also a well-formed one): every field
// reaches the vendors that have the feature, in their own names.
func TestOfflinePushFieldsReachEveryVendor(t *testing.T) {
	h := newHarness(t)
	var users []string
	for i, v := range vendors.All() {
		cert := h.addVendor(testApp, v)
		u, tok := "f-"+string(v), deviceToken(v, i)
		users = append(users, u)
		h.bind(testApp, u, cert, tok, "")
		h.background(testApp, u, cert, tok, 2)
	}
	const msg = "fields-1"
	h.enqueue(fieldsJobBody(msg, users))
	evs := h.waitDone(testApp, msg, 20*time.Second)
	if got := countEvents(evs); got["sent"] != len(vendors.All()) {
		t.Fatalf("events %v, want %d sent", got, len(vendors.All()))
	}
	want := map[vendors.Vendor]map[string]string{
		vendors.APNs: {"aps.alert.title": "Trip (en)", "aps.alert.subtitle": "Hiking club", "aps.mutable-content": "1",
			"aps.interruption-level": "time-sensitive", "image": "https://cdn.example.com/i.jpg", "aps.badge": "4"},
		vendors.FCM: {"message.notification.title": "Trip (en)", "message.notification.image": "https://cdn.example.com/fcm.png",
			"message.android.priority": "normal", "message.android.notification.sound": "shake"},
		vendors.Xiaomi: {"title": "Trip (en)", "extra.sound_uri": "android.resource://" + testPackage + "/raw/shake", "notify_type": "6"},
		vendors.Huawei: {"message.android.notification.title": "Trip (en)", "message.android.notification.image": "https://cdn.example.com/hw.png",
			"message.android.notification.style": "1", "message.android.notification.big_title": "Trip (en)",
			"message.android.notification.sound": "/raw/shake", "message.android.notification.badge.set_num": "4"},
		vendors.Honor: {"android.notification.title": "Trip (en)", "android.notification.image": "https://cdn.example.com/honor.png",
			"android.notification.style": "1", "android.notification.importance": "LOW", "android.notification.badge.setNum": "4"},
		vendors.OPPO: {"notification.title": "Trip (en)", "notification.category": "IM", "notification.notify_level": "2",
			"notification.private_msg_template_id": "tpl_chat", "notification.private_title_parameters.name": "Den",
			"notification.style": "2"},
		vendors.Vivo:  {"title": "Trip (en)", "notifyType": "3"},
		vendors.Meizu: {"noticeBarInfo.title": "Trip (en)", "noticeBarInfo.noticeMsgType": "0"},
	}
	for _, v := range vendors.All() {
		t.Run(string(v), func(t *testing.T) {
			reqs := sends(h.sb, v)
			if len(reqs) != 1 || reqs[0].Status != http.StatusOK {
				t.Fatalf("%d send requests (%+v), want one accepted", len(reqs), reqs)
			}
			doc := requestDoc(t, v, reqs[0].Body)
			for path, w := range want[v] {
				if got := lookup(doc, path); got != w {
					t.Errorf("%s = %q, want %q", path, got, w)
				}
			}
		})
	}
}

// requestDoc is a vendor request as one JSON document: the JSON body, or
// the form with OPPO's message and Meizu's messageJson decoded.
func requestDoc(t *testing.T, v vendors.Vendor, body []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	switch v {
	case vendors.Xiaomi:
		doc = map[string]any{}
		for k, vs := range parseFormBytes(t, body) {
			doc[k] = vs[0]
		}
	case vendors.OPPO:
		decodeJSON(t, []byte(parseFormBytes(t, body).Get("message")), &doc)
	case vendors.Meizu:
		decodeJSON(t, []byte(parseFormBytes(t, body).Get("messageJson")), &doc)
	default:
		decodeJSON(t, body, &doc)
	}
	return doc
}

// lookup follows a dotted path through doc; a key of the Xiaomi form may
// itself hold dots ("extra.sound_uri"), so the whole path is tried first.
func lookup(doc map[string]any, path string) string {
	if v, ok := doc[path]; ok {
		return fmt.Sprint(v)
	}
	head, rest, found := strings.Cut(path, ".")
	if !found {
		return "<missing>"
	}
	m, ok := doc[head].(map[string]any)
	if !ok {
		return "<missing>"
	}
	return lookup(m, rest)
}

func parseFormBytes(t *testing.T, body []byte) url.Values {
	t.Helper()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatalf("form body: %v", err)
	}
	return form
}
