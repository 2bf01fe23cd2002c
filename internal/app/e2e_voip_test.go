package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/harmony"
)

// callEnv is one callee per vendor, plus two iPhones: one that reported a
// VoIP token beside its alert token, one that did not.
type callEnv struct {
	h      *harness
	users  []string
	tokens map[string]string // user → alert token
	voip   string            // the VoIP token of user "ios-voip"
}

func newCallEnv(t *testing.T) *callEnv {
	h := newHarness(t)
	e := &callEnv{h: h, tokens: map[string]string{}, voip: fmt.Sprintf("%064x", 0xc0ffee)}
	for i, v := range vendors.All() {
		cert := h.addVendor(testApp, v)
		u := "u-" + string(v)
		if v == vendors.APNs {
			u = "ios-voip"
			e.add(u, cert, deviceToken(v, 100))
			// The fake now refuses a VoIP push to any other token, and an
			// alert to this one.
			h.apns.AddVoIPToken(e.voip)
			h.do(http.MethodPut, devicePath(testApp, u, cert, e.voip),
				api.BindRequest{TokenType: "voip", AlertToken: e.tokens[u]}, nil)
			u = "ios-plain"
		}
		e.add(u, cert, deviceToken(v, i))
	}
	return e
}

func (e *callEnv) add(user string, cert int64, tok string) {
	e.h.bind(testApp, user, cert, tok, "")
	e.users, e.tokens[user] = append(e.users, user), tok
}

// TestCallsEndToEnd places a call to every vendor and cancels it, through
// the API and the worker, against the strict fakes: the iPhone with a VoIP
// token gets a PushKit push, the one without falls back to an alert, each
// Android vendor gets its call class, and the cancel reaches the same
// devices, replacing the call's notification.
func TestCallsEndToEnd(t *testing.T) {
	e := newCallEnv(t)
	h := e.h
	h.enqueue(map[string]any{"app_id": testApp, "msg_id": "call-1", "sender": map[string]any{"user_id": "denny"},
		"recipients": e.users, "elems": []map[string]any{{"type": "text", "text": "call"}},
		"offline_push": map[string]any{"title": "Denny", "desc": "Incoming video call", "ext": `{"call_id":"c-9"}`, "voip": true}})
	// One device per vendor, and a second APNs device (without a VoIP token).
	if got, n := countEvents(h.waitDone(testApp, "call-1", 20*time.Second)), len(vendors.All())+1; got["sent"] != n {
		t.Fatalf("call events %v, want %d sent", got, n)
	}
	call := e.lastPerToken()
	e.checkAPNs(t, call, false)
	e.checkAndroidClass(t, call)

	var res api.CancelCallResponse
	h.do(http.MethodPost, "/v1/apps/"+testApp+"/messages/call-1/cancel-call",
		api.CancelCallRequest{Sender: dispatcher.From{UserID: "denny"}, Recipients: e.users, Ext: `{"call_id":"c-9"}`}, &res)
	if res.MsgID != "call-1"+dispatcher.CancelCallSuffix {
		t.Fatalf("cancel answered %+v", res)
	}
	if got, n := countEvents(h.waitDone(testApp, res.MsgID, 20*time.Second)), len(vendors.All())+1; got["sent"] != n {
		t.Fatalf("cancel events %v, want %d sent", got, n)
	}
	cancel := e.lastPerToken()
	e.checkAPNs(t, cancel, true)
	e.checkAndroidClass(t, cancel)
	e.checkReplaces(t, call, cancel)
}

// lastPerToken returns the last accepted send request of each token.
func (e *callEnv) lastPerToken() map[string]fake.Recorded {
	out := map[string]fake.Recorded{}
	for _, v := range vendors.All() {
		for _, r := range sends(e.h.sb, v) {
			if r.Status == http.StatusOK {
				for _, tok := range r.Tokens {
					out[tok] = r
				}
			}
		}
	}
	return out
}

func (e *callEnv) checkAPNs(t *testing.T, last map[string]fake.Recorded, cancel bool) {
	t.Helper()
	if _, ok := last[e.tokens["ios-voip"]]; ok && !cancel {
		t.Errorf("the alert token of the iPhone with a VoIP token was pushed too")
	}
	v := last[e.voip]
	want := map[string]string{"apns-push-type": "voip", "apns-topic": testBundle + ".voip", "apns-priority": "10", "apns-expiration": "0"}
	for k, w := range want {
		if got := v.Header.Get(k); got != w {
			t.Errorf("VoIP push %s = %q, want %q", k, got, w)
		}
	}
	body := jsonMap(t, v.Body)
	wantCancel := map[bool]string{true: "true", false: "<nil>"}[cancel]
	if path(body, "msg_id") != "call-1" || path(body, "ext") != `{"call_id":"c-9"}` || path(body, "cancel") != wantCancel ||
		path(body, "aps.badge") != "<nil>" || path(body, "aps.sound") != "<nil>" {
		t.Errorf("VoIP body %s: want msg_id call-1, the ext, cancel %s, no badge or sound", v.Body, wantCancel)
	}
	a := last[e.tokens["ios-plain"]]
	wantBody := map[bool]string{true: "Call ended", false: "Incoming video call"}[cancel]
	ab := jsonMap(t, a.Body)
	if a.Header.Get("apns-push-type") != "alert" || a.Header.Get("apns-topic") != testBundle ||
		a.Header.Get("apns-collapse-id") != "call-1" || path(ab, "aps.alert.body") != wantBody {
		t.Errorf("fallback alert %v %s: want an alert %q collapsing on call-1", a.Header, a.Body, wantBody)
	}
}

// checkAndroidClass checks each Android vendor's call class.
func (e *callEnv) checkAndroidClass(t *testing.T, last map[string]fake.Recorded) {
	t.Helper()
	want := map[vendors.Vendor]map[string]string{
		vendors.Huawei:  {"message.android.category": "VOIP", "message.android.urgency": "HIGH"},
		vendors.Honor:   {"android.notification.importance": "NORMAL"},
		vendors.OPPO:    {"notification.category": "IM", "notification.notify_level": "16"},
		vendors.Vivo:    {"category": "IM", "classification": "1"},
		vendors.FCM:     {"message.android.priority": "high"},
		vendors.Meizu:   {"noticeBarInfo.noticeMsgType": "1"},
		harmony.Harmony: {"payload.notification.category": "VOIP"},
	}
	for v, fields := range want {
		m := vendorJSON(t, v, last[e.tokens["u-"+string(v)]])
		for p, w := range fields {
			if got := path(m, p); !strings.EqualFold(got, w) {
				t.Errorf("%s %s = %q, want %q", v, p, got, w)
			}
		}
	}
}

// checkReplaces checks that the cancel carries the call's replace ids
// (notify id, tag, collapse key, notifyKey) on every Android vendor that
// has one, and its own dedupe id where the vendor deduplicates.
func (e *callEnv) checkReplaces(t *testing.T, call, cancel map[string]fake.Recorded) {
	t.Helper()
	same := map[vendors.Vendor][]string{
		vendors.Huawei:  {"message.android.notification.notify_id", "message.android.notification.tag"},
		vendors.Honor:   {"android.notification.notifyId", "android.notification.tag"},
		vendors.FCM:     {"message.android.collapse_key", "message.android.notification.tag"},
		vendors.Meizu:   {"advanceInfo.notifyKey"},
		vendors.Xiaomi:  {"notify_id"},
		harmony.Harmony: {"payload.notification.notifyId"},
	}
	differ := map[vendors.Vendor][]string{vendors.OPPO: {"notification.app_message_id"}, vendors.Vivo: {"requestId"}}
	for v, ps := range same {
		tok := e.tokens["u-"+string(v)]
		a, b := vendorJSON(t, v, call[tok]), vendorJSON(t, v, cancel[tok])
		for _, p := range ps {
			if path(a, p) == "<nil>" || path(a, p) != path(b, p) {
				t.Errorf("%s %s: call %s, cancel %s; want the same id", v, p, path(a, p), path(b, p))
			}
		}
	}
	for v, ps := range differ {
		tok := e.tokens["u-"+string(v)]
		a, b := vendorJSON(t, v, call[tok]), vendorJSON(t, v, cancel[tok])
		for _, p := range ps {
			if path(a, p) == path(b, p) {
				t.Errorf("%s %s: the cancel repeats the call's dedupe id %s and would be dropped", v, p, path(a, p))
			}
		}
	}
}

// vendorJSON returns a vendor request as one JSON object: the body, or
// the JSON form field that carries the message (OPPO, Meizu), or the form
// itself (Xiaomi).
func vendorJSON(t *testing.T, v vendors.Vendor, r fake.Recorded) map[string]any {
	t.Helper()
	if r.Body == nil {
		t.Fatalf("%s: no accepted request", v)
	}
	switch v {
	case vendors.OPPO, vendors.Meizu, vendors.Xiaomi:
		form, err := url.ParseQuery(string(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if v == vendors.Xiaomi {
			m := map[string]any{}
			for k := range form {
				m[k] = form.Get(k)
			}
			return m
		}
		field := map[vendors.Vendor]string{vendors.OPPO: "message", vendors.Meizu: "messageJson"}[v]
		return jsonMap(t, []byte(form.Get(field)))
	}
	return jsonMap(t, r.Body)
}

func jsonMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}

// path returns the value at a dotted path of m as text, "<nil>" when absent.
func path(m map[string]any, p string) string {
	var cur any = m
	for _, k := range strings.Split(p, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return "<nil>"
		}
		cur = obj[k]
	}
	return fmt.Sprint(cur)
}

// A VoIP token APNs reports dead leaves the device's alert binding: the
// next call falls back to an alert on the same device.
func TestDeadVoIPTokenFallsBackToAlert(t *testing.T) {
	h := newHarness(t)
	cert := h.addAPNs(testApp, testBundle)
	alert, voip := deviceToken(vendors.APNs, 1), fmt.Sprintf("%064x", 0xdead)
	h.bind(testApp, "vinson", cert, alert, "ios")
	h.do(http.MethodPut, devicePath(testApp, "vinson", cert, voip), api.BindRequest{TokenType: "voip", AlertToken: alert}, nil)
	h.apns.AddVoIPToken(voip)
	h.apns.FailToken(voip, fake.Failure{Code: "Unregistered"})
	callJob := func(msg string) map[string]any {
		return map[string]any{"app_id": testApp, "msg_id": msg, "recipients": []string{"vinson"},
			"offline_push": map[string]any{"title": "Denny", "desc": "Incoming call", "voip": true}}
	}
	h.enqueue(callJob("call-a"))
	h.waitDone(testApp, "call-a", 20*time.Second)
	waitFor(t, "the dead VoIP token removed", 10*time.Second, func() bool {
		ds := h.listDevices(testApp, "vinson")
		return len(ds) == 1 && ds[0].VoIPTokenHash == ""
	})
	h.enqueue(callJob("call-b"))
	h.waitDone(testApp, "call-b", 20*time.Second)
	if got := okPerToken(h.apns.Requests()); got[alert] != 1 || got[voip] != 0 {
		t.Errorf("accepted pushes per token %v, want the second call as an alert to %s", got, alert)
	}
}

// Tencent's "APNs VoIP" case (tencent-rest-format.md §1.6: Title/Desc as
// the fallback, Ext, ApnsInfo.IsVoipPush 1) posted to batchsendmsg: the
// callee with a VoIP token gets a PushKit push, the one without an alert
// with Tencent's Title and Desc.
func TestTencentIsVoipPush(t *testing.T) {
	h := newHarness(t)
	cert := h.addAPNs(testApp, testBundle)
	withVoIP, without, voip := deviceToken(vendors.APNs, 1), deviceToken(vendors.APNs, 2), fmt.Sprintf("%064x", 0xca11)
	h.bind(testApp, "bonnie", cert, withVoIP, "ios")
	h.do(http.MethodPut, devicePath(testApp, "bonnie", cert, voip), api.BindRequest{TokenType: "voip", AlertToken: withVoIP}, nil)
	h.apns.AddVoIPToken(voip)
	h.bind(testApp, "rong", cert, without, "ios")
	a := h.postTencent("/v4/openim/batchsendmsg", `{
    "From_Account": "dave",
    "To_Account": ["bonnie", "rong"],
    "MsgRandom": 5550123,
    "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "call", "Desc": "call"}}],
    "OfflinePushInfo": {
        "PushFlag": 0,
        "Title": "Dave",
        "Desc": "Incoming voice call",
        "Ext": "{\"call_id\":\"t-1\"}",
        "ApnsInfo": {"IsVoipPush": 1}
    }
}`)
	h.waitDone(testApp, a.MsgKey, 20*time.Second)
	got := map[string]fake.Recorded{}
	for _, r := range h.apns.Requests() {
		if r.Status == http.StatusOK {
			got[r.Tokens[0]] = r
		}
	}
	if len(got) != 2 {
		t.Fatalf("accepted pushes to %d tokens (%v), want the VoIP token and rong's alert token", len(got), okPerToken(h.apns.Requests()))
	}
	v, alert := got[voip], got[without]
	if v.Header.Get("apns-push-type") != "voip" || path(jsonMap(t, v.Body), "ext") != `{"call_id":"t-1"}` {
		t.Errorf("bonnie's push %v %s: want a VoIP push with the ext", v.Header, v.Body)
	}
	ab := jsonMap(t, alert.Body)
	if alert.Header.Get("apns-push-type") != "alert" || path(ab, "aps.alert.title") != "Dave" || path(ab, "aps.alert.body") != "Incoming voice call" {
		t.Errorf("rong's push %v %s: want an alert with Tencent's Title and Desc", alert.Header, alert.Body)
	}
}
