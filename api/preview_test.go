package api

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/vendors"
)

// TestPreviewSettingsAPI: the user's preview is set through the settings
// patch, a conversation's through its receive-options body, the two are
// independent of the receive option, and bad values are 400s naming the
// field.
func TestPreviewSettingsAPI(t *testing.T) {
	f := newFixture(t, nil, nil)
	usr := "/v1/apps/" + appA + "/users/vinson"
	steps := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
		answer map[string]any
	}{
		{"user preview", "PUT", usr + "/settings", map[string]any{"preview": "sender_only"}, 200,
			map[string]any{"push": 1.0, "preview": "sender_only"}},
		{"mute a group", "PUT", usr + "/receive-options/group/g1", map[string]any{"opt": "receive_not_notify"}, 200,
			map[string]any{"kind": "group", "id": "g1", "opt": "receive_not_notify"}},
		{"preview alone keeps the mute", "PUT", usr + "/receive-options/group/g1", map[string]any{"preview": "id_only"}, 200,
			map[string]any{"kind": "group", "id": "g1", "opt": "receive_not_notify", "preview": "id_only"}},
		{"both at once", "PUT", usr + "/receive-options/c2c/denny", map[string]any{"opt": "receive", "preview": "hidden"}, 200,
			map[string]any{"kind": "c2c", "id": "denny", "opt": "receive", "preview": "hidden"}},
		{"bad user preview", "PUT", usr + "/settings", map[string]any{"preview": "blurred"}, 400, nil},
		{"bad conversation preview", "PUT", usr + "/receive-options/group/g1", map[string]any{"preview": "Full"}, 400, nil},
	}
	for _, st := range steps {
		rec := f.do(request(st.method, st.path, "", st.body))
		if rec.Code != st.want {
			t.Fatalf("%s: %d %s, want %d", st.name, rec.Code, rec.Body, st.want)
		}
		if st.answer == nil {
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for k, v := range st.answer {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v (answer %s)", st.name, k, got[k], v, rec.Body)
			}
		}
	}
	// What the dispatcher reads: the conversation's preview over the
	// user's, the mute unchanged.
	states, err := f.devs.States(context.Background(), appA, []string{"vinson"}, devices.Conv{Kind: devices.KindGroup, ID: "g1"})
	if err != nil {
		t.Fatal(err)
	}
	if st := states[0]; st.Settings.Preview != vendors.PreviewIDOnly || st.Opt != devices.OptReceiveNotNotify {
		t.Errorf("group g1 state = %+v, want id_only and receive_not_notify", st)
	}
	states, _ = f.devs.States(context.Background(), appA, []string{"vinson"}, devices.Conv{Kind: devices.KindGroup, ID: "g9"})
	if st := states[0]; st.Settings.Preview != vendors.PreviewSenderOnly {
		t.Errorf("group g9 state = %+v, want the user's sender_only", st)
	}
}
