package app

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/harmony"
)

// replacementFields decodes the fake's request r in pushd's words: as
// vendorFields, but for Huawei and Honor, whose replacement carries no data.
func replacementFields(t *testing.T, v vendors.Vendor, r fake.Recorded) fields {
	t.Helper()
	if v == vendors.Huawei || v == vendors.Honor {
		return hmsReplacement(t, v, r)
	}
	return vendorFields(t, v, r)
}

// hmsReplacement reads a Huawei or Honor replacement, which carries no
// data (a recall does not repeat the message's ext).
func hmsReplacement(t *testing.T, v vendors.Vendor, r fake.Recorded) fields {
	t.Helper()
	var b struct {
		Message struct {
			Android struct{ Notification hwNotification }
		}
		Android struct{ Notification hwNotification }
	}
	decodeJSON(t, r.Body, &b)
	n, id, set := b.Message.Android.Notification, b.Message.Android.Notification.NotifyID, "set_num"
	if v == vendors.Honor {
		n, set = b.Android.Notification, "setNum"
		id = n.NotifyIDHonor
	}
	f := fields{title: n.Title, body: n.Body, ids: []string{strconv.Itoa(id), n.Tag}}
	if n.Badge[set] != nil {
		f.badge = fmt.Sprint(n.Badge[set])
	}
	return f
}

// notifyIDOf is the notify id of an OPPO (notification.notify_id) or vivo
// (notifyId) request.
func notifyIDOf(t *testing.T, v vendors.Vendor, r fake.Recorded) int {
	t.Helper()
	var b struct {
		NotifyID     int `json:"notifyId"`
		Notification struct {
			NotifyID int `json:"notify_id"`
		}
	}
	if v == vendors.Vivo {
		decodeJSON(t, r.Body, &b)
		return b.NotifyID
	}
	decodeJSON(t, []byte(parseForm(t, r).Get("message")), &b)
	return b.Notification.NotifyID
}

// replacedBy indexes a recall's answer by vendor.
func replacedBy(t *testing.T, rs []dispatcher.Replaced) map[vendors.Vendor]dispatcher.Replaced {
	t.Helper()
	out := map[vendors.Vendor]dispatcher.Replaced{}
	for _, r := range rs {
		if _, dup := out[vendors.Vendor(r.Vendor)]; dup {
			t.Fatalf("two answers for %s: %+v", r.Vendor, rs)
		}
		out[vendors.Vendor(r.Vendor)] = r
	}
	return out
}

// TestRecallOnEveryVendor pushes a group message to a device on each of
// the eight vendors, recalls it, and checks what each vendor was asked to
// show: the same collapse/notify id with "This message was recalled" and
// the badge lowered by the one the message raised (APNs, Huawei, Honor:
// 3 → 2); OPPO and vivo replace through notify_id/notifyId, with a
// dedupe id (app_message_id, requestId) of the replacement's own. A second
// recall lowers no badge again. A read on another device then replaces a
// second message and sets the badge to the unread count.
func TestRecallOnEveryVendor(t *testing.T) {
	h, users := previewHarness(t, "full")
	const msg = "rc-1"
	first := vendorTexts(t, h, msg, groupJob(msg, users))
	if first[vendors.APNs].badge != "3" {
		t.Fatalf("APNs badge before the recall = %q, want 3", first[vendors.APNs].badge)
	}
	for _, v := range vendors.All() {
		h.sb.Recorder(v).Reset()
	}
	rep := &dispatcher.Replacer{Devices: h.app.Devices, Pool: h.app.Pool, Apps: h.app.appSettings}
	out, err := rep.Recall(context.Background(), testApp, msg, dispatcher.RecallRequest{Recipients: users})
	if err != nil {
		t.Fatal(err)
	}
	got := replacedBy(t, out)
	for _, v := range vendors.All() {
		t.Run(string(v), func(t *testing.T) {
			r, reqs := got[v], sends(h.sb, v)
			wantBadge := ""
			if d, _ := vendors.Lookup(v); d.Badge {
				wantBadge = "2"
			}
			if r.Action != dispatcher.ActionReplaced || len(reqs) != 1 || reqs[0].Status != http.StatusOK {
				t.Fatalf("%+v, %d requests (%+v); want one accepted replacement", r, len(reqs), reqs)
			}
			f := replacementFields(t, v, reqs[0])
			wantTitle := "New message"
			if v == vendors.APNs {
				wantTitle = ""
			}
			if f.title != wantTitle || f.body != "This message was recalled" || f.badge != wantBadge {
				t.Errorf("%q / %q badge %q; want %q / %q badge %q", f.title, f.body, f.badge, wantTitle, "This message was recalled", wantBadge)
			}
			if (r.Badge != nil) != (wantBadge != "") {
				t.Errorf("answer badge %v, want %q", r.Badge, wantBadge)
			}
			if v == harmony.Harmony {
				// notifyId is the message's (it replaces); appMessageId,
				// Push Kit's dedupe id, is the replacement's own.
				if len(f.ids) != 2 || f.ids[0] != strconv.Itoa(vendors.NotifyID(msg)) || f.ids[1] == msg {
					t.Errorf("ids %q, want notifyId %d and an appMessageId of its own", f.ids, vendors.NotifyID(msg))
				}
				return
			}
			if v == vendors.OPPO || v == vendors.Vivo {
				// notify_id/notifyId is the message's (it replaces); the
				// dedupe id is the replacement's own, so it is not dropped.
				if id := notifyIDOf(t, v, reqs[0]); id != vendors.NotifyID(msg) || len(f.ids) != 1 || strings.HasPrefix(f.ids[0], msg+":") {
					t.Errorf("notify id %d, dedupe ids %q; want %d and a dedupe id of its own", id, f.ids, vendors.NotifyID(msg))
				}
				return
			}
			checkIDs(t, v, f.ids, msg)
		})
	}
	// Recalling again replaces again but lowers no badge twice.
	again, err := rep.Recall(context.Background(), testApp, msg, dispatcher.RecallRequest{Recipients: users})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Badge != nil {
			t.Errorf("second recall on %s set badge %d, want the badge left alone", r.Vendor, *r.Badge)
		}
	}

	// Read elsewhere: a second message, read on another device.
	const msg2 = "rc-2"
	vendorTexts(t, h, msg2, groupJob(msg2, users))
	for _, v := range vendors.All() {
		h.sb.Recorder(v).Reset()
	}
	unread := 0
	read, err := rep.Read(context.Background(), testApp, "u-apns", dispatcher.ReadRequest{
		Conversation: dispatcher.ConvRef{Kind: "group", ID: "g1"}, Unread: &unread, MsgIDs: []string{msg2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(read) != 1 || read[0].Action != dispatcher.ActionReplaced || read[0].Badge == nil || *read[0].Badge != 0 {
		t.Fatalf("read answer %+v, want the APNs device replaced with badge 0", read)
	}
	reqs := sends(h.sb, vendors.APNs)
	if len(reqs) != 1 {
		t.Fatalf("%d APNs requests after the read, want 1", len(reqs))
	}
	if f := apnsFields(t, reqs[0]); f.body != "Read on another device" || f.badge != "0" || f.ids[0] != msg2 {
		t.Errorf("APNs after the read: %+v", f)
	}
	// The next message counts from the read's unread count.
	const msg3 = "rc-3"
	if f := vendorTexts(t, h, msg3, groupJob(msg3, users))[vendors.APNs]; f.badge != "1" {
		t.Errorf("badge of the next message = %q, want 1", f.badge)
	}
}
