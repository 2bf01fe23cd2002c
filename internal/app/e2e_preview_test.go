package app

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
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
// Until the adapters send the ids as a data message (docs/rules.md,
// "Preview privacy"), each shows the hidden text.
func TestPreviewIDOnlyOnEveryVendor(t *testing.T) {
	h, users := previewHarness(t, "id_only")
	got := vendorTexts(t, h, "prv-id-1", groupJob("prv-id-1", users))
	for _, v := range vendors.All() {
		f := got[v]
		want := fields{title: "New message", body: "New message"}
		if v == vendors.APNs {
			want.title = ""
		}
		if f.title != want.title || f.body != want.body {
			t.Errorf("%s: %q / %q, want %q / %q", v, f.title, f.body, want.title, want.body)
		}
		for _, leak := range []string{"See you", "Den", "Hiking", grpTitle} {
			if strings.Contains(f.title+f.body, leak) {
				t.Errorf("%s leaks %q: %q / %q", v, leak, f.title, f.body)
			}
		}
		if !strings.Contains(f.ext, "conv:group_g1") {
			t.Errorf("%s: ext %q, want the app's ext carried", v, f.ext)
		}
	}
}
