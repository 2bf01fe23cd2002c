package app

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// previewHarness starts pushd with apps.<testApp>.preview = mode and one
// background device per vendor for user u-<vendor>.
func previewHarness(t *testing.T, mode string) (*harness, []string) {
	t.Helper()
	h := newHarness(t, func(s *setup) {
		s.cfg.Apps = map[string]map[string]any{testApp: {"preview": mode}}
	})
	var users []string
	for i, v := range vendors.All() {
		cert := h.addVendor(testApp, v)
		u, tok := "u-"+string(v), deviceToken(v, i)
		users = append(users, u)
		h.bind(testApp, u, cert, tok, "")
		h.background(testApp, u, cert, tok, 2)
	}
	return h, users
}

// vendorTexts sends job and returns what each vendor's fake was asked to
// show, after checking each accepted exactly one request.
func vendorTexts(t *testing.T, h *harness, msg string, job map[string]any) map[vendors.Vendor]fields {
	t.Helper()
	for _, v := range vendors.All() {
		h.sb.Recorder(v).Reset()
	}
	h.enqueue(job)
	if got := countEvents(h.waitDone(testApp, msg, 20*time.Second)); got["sent"] != len(vendors.All()) {
		t.Fatalf("events %v, want %d sent: %+v", got, len(vendors.All()), h.eventsOf(testApp, msg))
	}
	out := map[vendors.Vendor]fields{}
	for _, v := range vendors.All() {
		reqs := sends(h.sb, v)
		if len(reqs) != 1 || reqs[0].Status != http.StatusOK {
			t.Fatalf("%s: %d requests (%+v), want one accepted", v, len(reqs), reqs)
		}
		out[v] = vendorFields(t, v, reqs[0])
		checkIDs(t, v, out[v].ids, msg)
	}
	return out
}

// TestPreviewSenderOnlyOnEveryVendor: with apps.<id>.preview sender_only,
// every vendor shows who wrote in which group and never the text or the
// message's own title; the ext is still carried; force_show shows one
// message in full.
func TestPreviewSenderOnlyOnEveryVendor(t *testing.T) {
	h, users := previewHarness(t, "sender_only")
	got := vendorTexts(t, h, "prv-so-1", groupJob("prv-so-1", users))
	for _, v := range vendors.All() {
		wantTitle := "New message"
		if v == vendors.APNs {
			wantTitle = ""
		}
		f := got[v]
		if f.title != wantTitle || f.body != "Den sent a message in Hiking" {
			t.Errorf("%s: %q / %q, want %q / %q", v, f.title, f.body, wantTitle, "Den sent a message in Hiking")
		}
		if !strings.Contains(f.ext, "conv:group_g1") {
			t.Errorf("%s: ext %q, want the app's ext carried", v, f.ext)
		}
	}
	job := groupJob("prv-so-2", users)
	job["offline_push"].(map[string]any)["force_show"] = true
	for v, f := range vendorTexts(t, h, "prv-so-2", job) {
		if f.title != grpTitle || f.body != grpBody {
			t.Errorf("force_show on %s: %q / %q, want %q / %q", v, f.title, f.body, grpTitle, grpBody)
		}
	}
}

// TestPreviewIDOnlyOnEveryVendor: with id_only no vendor receives the
// message's text, sender or group name, and every vendor accepts the push.
// The vendors with a data message (APNs, FCM, Huawei, Honor, Xiaomi) get
// one with the ids and the ext and no text at all; the others show the
// hidden text (docs/rules.md, "Preview privacy").
func TestPreviewIDOnlyOnEveryVendor(t *testing.T) {
	h, users := previewHarness(t, "id_only")
	const msg = "prv-id-1"
	for _, v := range vendors.All() {
		h.sb.Recorder(v).Reset()
	}
	h.enqueue(groupJob(msg, users))
	if got := countEvents(h.waitDone(testApp, msg, 20*time.Second)); got["sent"] != len(vendors.All()) {
		t.Fatalf("events %v, want %d sent: %+v", got, len(vendors.All()), h.eventsOf(testApp, msg))
	}
	wantIDs := map[string]string{vendors.IDMsg: msg, vendors.IDSender: "denny", vendors.IDGroup: "g1"}
	for _, v := range vendors.All() {
		reqs := sends(h.sb, v)
		if len(reqs) != 1 || reqs[0].Status != http.StatusOK {
			t.Fatalf("%s: %d requests (%+v), want one accepted", v, len(reqs), reqs)
		}
		for _, leak := range []string{"See you", "Den", "Hiking", grpTitle} {
			if strings.Contains(string(reqs[0].Body), leak) {
				t.Errorf("%s leaks %q: %s", v, leak, reqs[0].Body)
			}
		}
		data, ok := idOnlyData(t, v, reqs[0])
		if !ok {
			f := vendorFields(t, v, reqs[0])
			checkIDs(t, v, f.ids, msg)
			if f.title != "New message" || f.body != "New message" || !strings.Contains(f.ext, "conv:group_g1") {
				t.Errorf("%s: %q / %q ext %q, want the hidden text and the app's ext", v, f.title, f.body, f.ext)
			}
			continue
		}
		if strings.Contains(string(reqs[0].Body), "New message") {
			t.Errorf("%s: the data message carries text: %s", v, reqs[0].Body)
		}
		for k, want := range wantIDs {
			if data[k] != want {
				t.Errorf("%s: data %s = %q, want %q (%v)", v, k, data[k], want, data)
			}
		}
		if !strings.Contains(data[vendors.ExtKey], "conv:group_g1") {
			t.Errorf("%s: data ext %q, want the app's ext carried", v, data[vendors.ExtKey])
		}
	}
}

// idOnlyData returns the data of an id_only push as the vendor received
// it, and false for the vendors without a data message. It fails the test
// where the request is not the vendor's data message: APNs background
// (push type background, priority 5, aps content-available alone), FCM
// message.data without notification, Huawei/Honor data without
// android.notification, Xiaomi pass_through 1 with the URL-encoded payload.
func idOnlyData(t *testing.T, v vendors.Vendor, r fake.Recorded) (map[string]string, bool) {
	t.Helper()
	data := map[string]string{}
	switch v {
	case vendors.APNs:
		var b map[string]any
		decodeJSON(t, r.Body, &b)
		aps, _ := json.Marshal(b["aps"])
		if r.Header.Get("apns-push-type") != "background" || r.Header.Get("apns-priority") != "5" ||
			string(aps) != `{"content-available":1}` {
			t.Errorf("apns: %v %s, want a background push at priority 5, aps content-available alone", r.Header, r.Body)
		}
		for k, val := range b {
			if s, ok := val.(string); ok {
				data[k] = s
			}
		}
	case vendors.FCM:
		var b struct {
			Message struct {
				Data         map[string]string
				Notification json.RawMessage
				Android      struct{ Notification json.RawMessage }
			}
		}
		decodeJSON(t, r.Body, &b)
		if b.Message.Notification != nil || b.Message.Android.Notification != nil {
			t.Errorf("fcm: %s, want a data-only message", r.Body)
		}
		data = b.Message.Data
	case vendors.Huawei, vendors.Honor:
		var b struct {
			Data    string
			Message struct {
				Data    string
				Android struct{ Notification json.RawMessage }
			}
			Android struct{ Notification json.RawMessage }
		}
		decodeJSON(t, r.Body, &b)
		if b.Message.Android.Notification != nil || b.Android.Notification != nil {
			t.Errorf("%s: %s, want a data message without android.notification", v, r.Body)
		}
		decodeJSON(t, []byte(b.Data+b.Message.Data), &data)
	case vendors.Xiaomi:
		form := parseForm(t, r)
		p, err := url.QueryUnescape(form.Get("payload"))
		if err != nil || form.Get("pass_through") != "1" || form.Has("title") || form.Has("description") {
			t.Errorf("xiaomi: %v, want pass_through 1 without text and a URL-encoded payload", form)
		}
		decodeJSON(t, []byte(p), &data)
	default:
		return nil, false
	}
	return data, true
}
