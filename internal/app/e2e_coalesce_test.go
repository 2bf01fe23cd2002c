package app

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/harmony"
)

// coalesceWindow is the e2e window: long enough for four jobs to run
// inside it, short enough to wait out.
const coalesceWindow = 4 * time.Second

// dennyJob is a one-to-one message from Denny to every recipient.
func dennyJob(msg string, recipients []string) map[string]any {
	return map[string]any{"app_id": testApp, "msg_id": msg,
		"sender":     map[string]any{"user_id": "denny", "nickname": "Denny"},
		"recipients": recipients,
		"elems":      []map[string]any{{"type": "text", "text": "Are you there? " + msg}},
		// No Xiaomi channel: the default one allows a single message per
		// device a day, so updates are not sent on it (rule coalesced).
		"offline_push": map[string]any{"ext": "conv:c2c_denny"}}
}

// burst sends job and returns each vendor's one request (nil for a vendor
// that got none), after checking the events: sent on every vendor but
// the dropped ones, which are dropped with rule coalesced.
func burst(t *testing.T, h *harness, msg string, job map[string]any, dropped ...vendors.Vendor) map[vendors.Vendor]*fake.Recorded {
	t.Helper()
	for _, v := range vendors.All() {
		h.sb.Recorder(v).Reset()
	}
	h.enqueue(job)
	evs := h.waitDone(testApp, msg, 20*time.Second)
	got := countEvents(evs)
	if want := len(vendors.All()) - len(dropped); got["sent"] != want || got["dropped:"+dispatcher.RuleCoalesced] != len(dropped) || len(evs) != len(vendors.All()) {
		t.Fatalf("%s: events %v, want %d sent and %d dropped:coalesced: %+v", msg, got, want, len(dropped), evs)
	}
	out := map[vendors.Vendor]*fake.Recorded{}
	for _, v := range vendors.All() {
		reqs := sends(h.sb, v)
		isDropped := false
		for _, d := range dropped {
			isDropped = isDropped || d == v
		}
		switch {
		case isDropped && len(reqs) != 0:
			t.Fatalf("%s: %s got %d requests, want none (coalesced)", msg, v, len(reqs))
		case isDropped:
			out[v] = nil
		case len(reqs) != 1 || reqs[0].Status != http.StatusOK:
			t.Fatalf("%s: %s got %d requests (%+v), want one accepted", msg, v, len(reqs), reqs)
		default:
			out[v] = &reqs[0]
		}
	}
	return out
}

// checkReplaces: an update carries the first message's collapse or notify
// ids. HarmonyOS's appMessageId is its dedupe id: the update's own.
func checkReplaces(t *testing.T, v vendors.Vendor, f fields, first, msg string) {
	t.Helper()
	if v == harmony.Harmony {
		if len(f.ids) != 2 || f.ids[0] != strconv.Itoa(vendors.NotifyID(first)) || f.ids[1] == first {
			t.Errorf("harmony ids %q, want notifyId %d and an appMessageId of its own", f.ids, vendors.NotifyID(first))
		}
		return
	}
	if v == vendors.OPPO || v == vendors.Vivo {
		// Their dedupe ids are the update's own (notify_id / notifyId,
		// the first message's, is checked by the adapters' goldens).
		checkIDs(t, v, f.ids, msg)
		return
	}
	checkIDs(t, v, f.ids, first)
}

// TestCoalesceBurstOnEveryVendor: with apps.<id>.coalesce_window three
// messages from Denny within the window give one alert per device: the
// first as usual on all eight vendors, the next two as silent updates of
// it (same collapse/notify ids, "Denny: 3 new messages" on the third, the
// badge counting every message) on every vendor, but for Xiaomi's default
// channel (dropped, rule coalesced: it allows one message a day). A group message is its own
// conversation, and after the window the next message alerts again.
func TestCoalesceBurstOnEveryVendor(t *testing.T) {
	h := newHarness(t, func(s *setup) {
		s.cfg.Apps = map[string]map[string]any{testApp: {"coalesce_window": coalesceWindow.String()}}
	})
	var users []string
	for i, v := range vendors.All() {
		cert := h.addVendor(testApp, v)
		u, tok := "u-"+string(v), deviceToken(v, i)
		users = append(users, u)
		h.bind(testApp, u, cert, tok, "")
		h.background(testApp, u, cert, tok, 2)
	}
	start := time.Now()
	first := burst(t, h, "cb-1", dennyJob("cb-1", users))
	for _, v := range vendors.All() {
		f := vendorFields(t, v, *first[v])
		if f.body != "Denny: Are you there? cb-1" {
			t.Errorf("first on %s: %q, want the message", v, f.body)
		}
		checkIDs(t, v, f.ids, "cb-1")
	}
	if !strings.Contains(string(first[vendors.APNs].Body), `"sound"`) {
		t.Errorf("first APNs alert has no sound: %s", first[vendors.APNs].Body)
	}
	for _, step := range []struct {
		msg   string
		count int
	}{{"cb-2", 2}, {"cb-3", 3}} {
		got := burst(t, h, step.msg, dennyJob(step.msg, users), vendors.Xiaomi)
		want := "Denny: " + strconv.Itoa(step.count) + " new messages"
		for _, v := range vendors.All() {
			if got[v] == nil {
				continue
			}
			f := vendorFields(t, v, *got[v])
			if f.body != want {
				t.Errorf("%s on %s: %q, want %q", step.msg, v, f.body, want)
			}
			checkReplaces(t, v, f, "cb-1", step.msg)
			if d, _ := vendors.Lookup(v); d.Badge && f.badge != strconv.Itoa(2+step.count) {
				t.Errorf("%s on %s: badge %q, want %d (every message counts)", step.msg, v, f.badge, 2+step.count)
			}
		}
		if b := string(got[vendors.APNs].Body); strings.Contains(b, `"sound"`) {
			t.Errorf("%s: APNs update has a sound: %s", step.msg, b)
		}
		if id := got[vendors.APNs].Header.Get("apns-id"); id == first[vendors.APNs].Header.Get("apns-id") && id != "" {
			t.Errorf("%s: APNs update reuses the first apns-id %s", step.msg, id)
		}
	}
	// The trace names the rule on Xiaomi, and shows the update's
	// text where it was sent.
	steps := map[string]int{}
	for _, e := range h.trace(testApp, "cb-3").Entries {
		steps[e.Step]++
		switch {
		case e.Step == dispatcher.EventDropped && e.Rule != dispatcher.RuleCoalesced:
			t.Errorf("cb-3 trace: %+v, want only coalesced drops", e)
		case e.Step == dispatcher.EventDropped && e.UserID != "u-xiaomi":
			t.Errorf("cb-3 trace: %s dropped, want only Xiaomi", e.UserID)
		case e.Step == dispatcher.StepRendered && e.Body != "Denny: 3 new messages":
			t.Errorf("cb-3 trace: rendered %+v, want the burst text", e)
		}
	}
	if steps[dispatcher.EventDropped] != 1 || steps[dispatcher.StepRendered] != len(vendors.All())-1 {
		t.Errorf("cb-3 trace steps %v, want 1 dropped and %d rendered", steps, len(vendors.All())-1)
	}
	// Another conversation (the group g1) is not coalesced.
	other := burst(t, h, "cb-g1", groupJob("cb-g1", users))
	for _, v := range vendors.All() {
		if f := vendorFields(t, v, *other[v]); f.body != grpBody {
			t.Errorf("group on %s: %q, want %q", v, f.body, grpBody)
		}
	}
	if el := time.Since(start); el >= coalesceWindow {
		t.Fatalf("the burst took %v, longer than the %v window: the test proves nothing", el, coalesceWindow)
	}
	time.Sleep(coalesceWindow - time.Since(start) + 200*time.Millisecond)
	after := burst(t, h, "cb-4", dennyJob("cb-4", users))
	for _, v := range vendors.All() {
		f := vendorFields(t, v, *after[v])
		if f.body != "Denny: Are you there? cb-4" {
			t.Errorf("after the window on %s: %q, want the message", v, f.body)
		}
		checkIDs(t, v, f.ids, "cb-4")
	}
}
