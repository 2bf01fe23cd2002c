package dispatcher

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pushd/pushd/vendors"
)

// voipView is what a call delivery must say: where it goes and how.
type voipView struct {
	Token              string
	VoIP, Call, Cancel bool
	Replaces           string
	Badge              *int
}

func TestResolveCalls(t *testing.T) {
	tests := []struct {
		name  string
		msgID string
		voip  bool
		// prior runs the call first: the cancel follows it.
		prior bool
		want  map[string]voipView // by alert token
	}{
		{"call: the VoIP token where there is one, an alert elsewhere", "call-1", true, false, map[string]voipView{
			"a-voip":  {Token: "v1", VoIP: true, Call: true},
			"a-plain": {Token: "a-plain", Call: true, Badge: vendors.IntPtr(1)},
			"xm":      {Token: "xm", Call: true},
		}},
		{"cancel: the same targets, replacing the call", "call-1" + CancelCallSuffix, true, true, map[string]voipView{
			"a-voip":  {Token: "v1", VoIP: true, Call: true, Cancel: true, Replaces: "call-1"},
			"a-plain": {Token: "a-plain", Call: true, Cancel: true, Replaces: "call-1", Badge: vendors.IntPtr(2)},
			"xm":      {Token: "xm", Call: true, Cancel: true, Replaces: "call-1"},
		}},
		{"a message is no call, VoIP token or not", "m-1", false, false, map[string]voipView{
			"a-voip":  {Token: "a-voip", Badge: vendors.IntPtr(1)},
			"a-plain": {Token: "a-plain", Badge: vendors.IntPtr(1)},
			"xm":      {Token: "xm"},
		}},
		{"the cancel suffix without voip is an ordinary id", "m-1" + CancelCallSuffix, false, false, map[string]voipView{
			"a-voip":  {Token: "a-voip", Badge: vendors.IntPtr(1)},
			"a-plain": {Token: "a-plain", Badge: vendors.IntPtr(1)},
			"xm":      {Token: "xm"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newRsvEnv(t)
			for _, u := range []struct {
				user, token string
				cert        int64
			}{{"vinson", "a-voip", rsvAPNs}, {"vinson", "xm", rsvXiaomi}, {"ann", "a-plain", rsvAPNs}} {
				e.bind(t, u.user, u.cert, u.token)
			}
			if err := e.store.BindVoIP(e.ctx, rsvApp, "vinson", rsvAPNs, "a-voip", "v1"); err != nil {
				t.Fatal(err)
			}
			if tc.prior {
				// The call raised ann's badge; the cancel raises it again
				// (the API's cancel excludes it from unread, see calls.go).
				prior := rsvJob()
				prior.MsgID, prior.Recipients, prior.OfflinePush.VoIP = "call-1", []string{"ann"}, true
				if _, _, err := e.r.Resolve(e.ctx, prior); err != nil {
					t.Fatal(err)
				}
			}
			j := rsvJob()
			j.MsgID, j.Recipients, j.OfflinePush.VoIP = tc.msgID, []string{"vinson", "ann"}, tc.voip
			ds, drops, err := e.r.Resolve(e.ctx, j)
			if err != nil || len(drops) != 0 {
				t.Fatalf("Resolve: %v, drops %+v", err, drops)
			}
			got := map[string]voipView{}
			alertOf := map[string]string{"v1": "a-voip"}
			for _, d := range ds {
				key := d.Token
				if a, ok := alertOf[key]; ok {
					key = a
				}
				n := d.Notif
				got[key] = voipView{Token: d.Token, VoIP: n.VoIP, Call: n.Call, Cancel: n.CallCancel, Replaces: n.Replaces, Badge: n.Badge}
				if n.ID != tc.msgID && !n.CallCancel {
					t.Errorf("%s: notification id %q, want %q", key, n.ID, tc.msgID)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("deliveries (-want +got):\n%s", diff)
			}
		})
	}
}

// A VoIP delivery does not raise the binding's badge counter: the next
// message's badge follows the last one a push carried.
func TestResolveVoIPLeavesBadgeCounter(t *testing.T) {
	e := newRsvEnv(t)
	e.bind(t, "vinson", rsvAPNs, "a-voip")
	if err := e.store.BindVoIP(e.ctx, rsvApp, "vinson", rsvAPNs, "a-voip", "v1"); err != nil {
		t.Fatal(err)
	}
	call := rsvJob()
	call.MsgID, call.OfflinePush.VoIP = "call-1", true
	if _, _, err := e.r.Resolve(e.ctx, call); err != nil {
		t.Fatal(err)
	}
	msg := rsvJob()
	ds, _, err := e.r.Resolve(e.ctx, msg)
	if err != nil || len(ds) != 1 {
		t.Fatalf("Resolve: %v, %d deliveries", err, len(ds))
	}
	if b := ds[0].Notif.Badge; b == nil || *b != 1 {
		t.Errorf("badge after a VoIP call and a message = %v, want 1", b)
	}
	bs, err := e.store.List(e.ctx, rsvApp, "vinson")
	if err != nil || len(bs) != 1 || bs[0].VoIPToken != "v1" {
		t.Fatalf("bindings %+v, %v", bs, err)
	}
}
