package apns

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pushd/pushd/vendors"
)

// A VoIP push passes the strict fake, which checks the push type, the
// .voip topic, priority 10 and the 5120-byte limit as APNs does; an ext
// between the two limits fits a VoIP push and not an alert.
func TestSendVoIPThroughFake(t *testing.T) {
	ext := `{"sdp":"` + strings.Repeat("v", 4300) + `"}`
	tests := []struct {
		name     string
		n        vendors.Notification
		wantKind vendors.Kind
		cancel   bool
	}{
		{"call", vendors.Notification{ID: "call-1", Title: "Alice", Body: "Incoming call", Ext: `{"call":"c1"}`, Call: true, VoIP: true}, vendors.OK, false},
		{"cancel", vendors.Notification{ID: "call-1#cancel-call", Body: "Call ended", Call: true, VoIP: true, CallCancel: true, Replaces: "call-1"}, vendors.OK, true},
		{"4.3 KB ext as VoIP", vendors.Notification{ID: "call-2", Body: "Incoming call", Ext: ext, Call: true, VoIP: true}, vendors.OK, false},
		{"4.3 KB ext as an alert", vendors.Notification{ID: "call-2", Body: "Incoming call", Ext: ext, Call: true}, vendors.Rejected, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTokenEnv(t)
			rs := e.sender.Send(context.Background(), &tc.n, []string{testToken})
			if got := vendors.KindOf(rs[0].Err); got != tc.wantKind {
				t.Fatalf("kind %v (%v), want %v", got, rs[0].Err, tc.wantKind)
			}
			recs := e.fake.Requests()
			if tc.wantKind != vendors.OK {
				if len(recs) != 0 {
					t.Errorf("%d requests sent for a payload that cannot fit", len(recs))
				}
				return
			}
			if len(recs) != 1 || recs[0].Status != 200 {
				t.Fatalf("fake recorded %+v, want one accepted push", recs)
			}
			h := recs[0].Header
			for k, want := range map[string]string{"apns-push-type": "voip", "apns-topic": testTopic + ".voip",
				"apns-priority": "10", "apns-expiration": "0", "apns-collapse-id": ""} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			var p map[string]any
			if err := json.Unmarshal(recs[0].Body, &p); err != nil {
				t.Fatal(err)
			}
			aps, _ := p["aps"].(map[string]any)
			if _, ok := aps["badge"]; ok || aps["sound"] != nil {
				t.Errorf("aps %v: a VoIP push has no badge or sound", aps)
			}
			if p["msg_id"] != "call-1" && p["msg_id"] != "call-2" {
				t.Errorf("msg_id %v, want the call's id", p["msg_id"])
			}
			if got, _ := p["cancel"].(bool); got != tc.cancel {
				t.Errorf("cancel %v, want %v", p["cancel"], tc.cancel)
			}
			if p["ext"] != tc.n.Ext && tc.n.Ext != "" {
				t.Errorf("ext not carried verbatim")
			}
		})
	}
}
