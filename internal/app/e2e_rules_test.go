package app

import (
	"net/http"
	"testing"
	"time"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// apnsBody is the part of an APNs payload the tests read.
type apnsBody struct {
	Aps struct {
		Alert struct{ Title, Body string }
		Badge *int
		Sound string
	}
	Ext string
}

// fcmBody is the part of an FCM v1 request the tests read.
type fcmBody struct {
	Message struct {
		Token        string
		Notification struct{ Title, Body string }
		Data         map[string]string
		Android      struct {
			CollapseKey string `json:"collapse_key"`
		}
	}
}

func c2cJob(msg, text string) map[string]any {
	return map[string]any{"app_id": testApp, "msg_id": msg,
		"sender":     map[string]any{"user_id": "denny", "nickname": "Denny"},
		"recipients": []string{"vinson"},
		"elems":      []map[string]any{{"type": "text", "text": text}}}
}

// rulesUser is vinson with an iPhone (APNs) and an Android phone (FCM),
// bound through the HTTP API.
type rulesUser struct {
	h                 *harness
	apnsCert, fcmCert int64
}

// TestEndToEndRules follows one user through the rules (issue #3): two
// devices bound through the HTTP API, a background report with the unread
// count, a muted group; then a foreground report, then dead tokens. After
// each message it asserts exactly which requests reached the fakes, with
// what text and badge, and which events the stream holds.
func TestEndToEndRules(t *testing.T) {
	h := newHarness(t)
	u := &rulesUser{h: h, apnsCert: h.addVendor(testApp, vendors.APNs), fcmCert: h.addVendor(testApp, vendors.FCM)}
	h.bind(testApp, "vinson", u.apnsCert, tokA, "ios")
	h.bind(testApp, "vinson", u.fcmCert, tokF, "android")
	h.background(testApp, "vinson", u.apnsCert, tokA, 4)
	h.do(http.MethodPut, "/v1/apps/"+testApp+"/users/vinson/receive-options/group/g1",
		map[string]string{"opt": "receive_not_notify"}, nil)

	u.c2cAndMutedGroup(t)
	u.foregroundStopsPushes(t)
	u.deadTokensUnbind(t)
	assertNoSecrets(t, h.logs.String(), tokA, tokF)
}

// c2cAndMutedGroup: the C2C message reaches both phones with the
// generated text, the iPhone with badge unread+1; the muted group's
// message reaches nothing and its drop names the receive-option rule.
func (u *rulesUser) c2cAndMutedGroup(t *testing.T) {
	h := u.h
	h.enqueue(c2cJob("c2c-1", "See you at 8"))
	h.enqueue(map[string]any{"app_id": testApp, "msg_id": "grp-1",
		"sender":     map[string]any{"user_id": "denny", "nickname": "Denny"},
		"recipients": []string{"vinson"},
		"group":      map[string]any{"id": "g1", "name": "Hiking", "type": "Work"},
		"elems":      []map[string]any{{"type": "text", "text": "Who is coming?"}}})
	c2c := h.waitDone(testApp, "c2c-1", 20*time.Second)
	grp := h.waitDone(testApp, "grp-1", 20*time.Second)

	assertRequests(t, h.sb, map[vendors.Vendor]int{vendors.APNs: 1, vendors.FCM: 1})
	a := lastAPNs(t, h)
	if a.Aps.Alert.Body != "Denny: See you at 8" || a.Aps.Alert.Title != "" || a.Aps.Badge == nil || *a.Aps.Badge != 5 {
		t.Fatalf("APNs alert %+v badge %v; want body \"Denny: See you at 8\", no title, badge 4+1", a.Aps.Alert, a.Aps.Badge)
	}
	f := lastFCM(t, h)
	wantTitle := dispatcher.DefaultAppSettings().ForLocale("").DefaultTitle
	if f.Message.Token != tokF || f.Message.Notification.Body != "Denny: See you at 8" || f.Message.Notification.Title != wantTitle {
		t.Fatalf("FCM notification %+v to %q; want the default Android title %q", f.Message.Notification, f.Message.Token, wantTitle)
	}
	if got := countEvents(c2c); got["sent"] != 2 || len(c2c) != 2 {
		t.Fatalf("c2c-1 events %v, want 2 sent", got)
	}
	if len(grp) != 1 || grp[0].Type != dispatcher.EventDropped || grp[0].Rule != dispatcher.RuleReceiveNoNotify ||
		grp[0].UserID != "vinson" {
		t.Fatalf("grp-1 events %+v; want one drop of vinson by %s", grp, dispatcher.RuleReceiveNoNotify)
	}
}

// foregroundStopsPushes: with the app in the foreground on the iPhone it
// is not pushed; the Android phone, which never reported a state, is.
func (u *rulesUser) foregroundStopsPushes(t *testing.T) {
	h := u.h
	h.foreground(testApp, "vinson", u.apnsCert, tokA)
	h.enqueue(c2cJob("c2c-2", "Running late"))
	evs := h.waitDone(testApp, "c2c-2", 20*time.Second)
	assertRequests(t, h.sb, map[vendors.Vendor]int{vendors.APNs: 1, vendors.FCM: 2})
	if got := countEvents(evs); got["dropped:"+dispatcher.RuleForeground] != 1 || got["sent"] != 1 || len(evs) != 2 {
		t.Fatalf("c2c-2 events %v; want the iPhone dropped as foreground and one sent", got)
	}
	if f := lastFCM(t, h); f.Message.Notification.Body != "Denny: Running late" {
		t.Fatalf("FCM body %q", f.Message.Notification.Body)
	}
}

// deadTokensUnbind: both vendors answer that the token is dead; each
// binding is removed and reported, nothing is retried, and the next
// message finds no device.
func (u *rulesUser) deadTokensUnbind(t *testing.T) {
	h := u.h
	h.background(testApp, "vinson", u.apnsCert, tokA, 0)
	h.apns.FailToken(tokA, fake.Failure{Code: "Unregistered"})
	h.fcm.FailToken(tokF, fake.Failure{Code: "UNREGISTERED"})
	if n := len(h.listDevices(testApp, "vinson")); n != 2 {
		t.Fatalf("%d devices listed before the dead tokens, want 2", n)
	}
	h.enqueue(c2cJob("c2c-3", "Hello?"))
	evs := h.waitDone(testApp, "c2c-3", 20*time.Second)
	assertRequests(t, h.sb, map[vendors.Vendor]int{vendors.APNs: 2, vendors.FCM: 3})
	invalid := map[string]string{}
	for _, ev := range evs {
		if ev.Type == dispatcher.EventTokenInvalid {
			invalid[ev.Vendor] = ev.Code
		}
	}
	if len(evs) != 2 || invalid["apns"] != "Unregistered" || invalid["fcm"] != "UNREGISTERED" {
		t.Fatalf("c2c-3 events %+v; want token_invalid on apns and fcm", evs)
	}
	if ds := h.listDevices(testApp, "vinson"); len(ds) != 0 {
		t.Fatalf("devices still listed after the vendors said they are dead: %+v", ds)
	}
	h.noRetryScheduled(testApp, "c2c-3")

	h.enqueue(c2cJob("c2c-4", "Anyone?"))
	evs = h.waitDone(testApp, "c2c-4", 20*time.Second)
	assertRequests(t, h.sb, map[vendors.Vendor]int{vendors.APNs: 2, vendors.FCM: 3})
	if len(evs) != 1 || evs[0].Rule != dispatcher.RuleNoBinding {
		t.Fatalf("c2c-4 events %+v; want one drop by %s", evs, dispatcher.RuleNoBinding)
	}
}

// TestBadgeIncrementsPerMessage checks that each pushed message raises the
// badge by one from the reported unread count, and that a message excluded
// from the unread count carries no badge and raises nothing.
func TestBadgeIncrementsPerMessage(t *testing.T) {
	h := newHarness(t)
	cert := h.addVendor(testApp, vendors.APNs)
	h.bind(testApp, "vinson", cert, tokA, "ios")
	h.background(testApp, "vinson", cert, tokA, 7)
	for i, msg := range []string{"b-1", "b-2", "b-3"} {
		job := c2cJob(msg, "ping")
		if i == 1 {
			job["excluded_from_unread"] = true
		}
		h.enqueue(job)
		h.waitDone(testApp, msg, 20*time.Second)
	}
	var badges []any
	for _, r := range h.apns.Requests() {
		var b apnsBody
		decodeJSON(t, r.Body, &b)
		if b.Aps.Badge == nil {
			badges = append(badges, nil)
		} else {
			badges = append(badges, *b.Aps.Badge)
		}
	}
	if len(badges) != 3 || badges[0] != 8 || badges[1] != nil || badges[2] != 9 {
		t.Fatalf("badges %v, want [8 <nil> 9]", badges)
	}
	bs, err := h.app.Devices.List(t.Context(), testApp, "vinson")
	if err != nil || len(bs) != 1 || bs[0].Badge != 9 {
		t.Fatalf("stored binding %+v (%v), want badge 9", bs, err)
	}
}

// assertRequests checks how many requests each fake received: want lists
// the vendors that must have had some, every other fake must have none.
func assertRequests(t *testing.T, sb *fake.Sandbox, want map[vendors.Vendor]int) {
	t.Helper()
	for _, v := range vendors.All() {
		if got := sb.Recorder(v).Len(); got != want[v] {
			t.Fatalf("%s fake received %d requests, want %d", v, got, want[v])
		}
	}
}

func lastAPNs(t *testing.T, h *harness) apnsBody {
	t.Helper()
	reqs := h.apns.Requests()
	var b apnsBody
	decodeJSON(t, reqs[len(reqs)-1].Body, &b)
	return b
}

func lastFCM(t *testing.T, h *harness) fcmBody {
	t.Helper()
	reqs := h.fcm.Requests()
	var b fcmBody
	decodeJSON(t, reqs[len(reqs)-1].Body, &b)
	return b
}
