package api

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pushd/pushd/devices"
)

// TestCoalesceWindowAPI: a conversation's coalesce_window is set through
// its receive-options body, beside (and independent of) the receive
// option and preview; "0" turns it off for the conversation, "" clears
// it, and bad values are 400s naming the field.
func TestCoalesceWindowAPI(t *testing.T) {
	f := newFixture(t, nil, nil)
	usr := "/v1/apps/" + appA + "/users/vinson/receive-options/"
	steps := []struct {
		name   string
		path   string
		body   any
		want   int
		answer map[string]any
	}{
		{"mute a group", usr + "group/g1", map[string]any{"opt": "receive_not_notify"}, 200,
			map[string]any{"opt": "receive_not_notify"}},
		{"window alone keeps the mute", usr + "group/g1", map[string]any{"coalesce_window": "30s"}, 200,
			map[string]any{"kind": "group", "id": "g1", "opt": "receive_not_notify", "coalesce_window": "30s"}},
		{"off for one peer, with an option", usr + "c2c/denny", map[string]any{"opt": "receive", "coalesce_window": "0"}, 200,
			map[string]any{"opt": "receive", "coalesce_window": "0"}},
		{"set then cleared", usr + "c2c/ann", map[string]any{"coalesce_window": "1m"}, 200, nil},
		{"cleared", usr + "c2c/ann", map[string]any{"coalesce_window": ""}, 200, map[string]any{"coalesce_window": ""}},
		{"not a duration", usr + "group/g1", map[string]any{"coalesce_window": "soon"}, 400, map[string]any{"field": "coalesce_window"}},
		{"too short", usr + "group/g1", map[string]any{"coalesce_window": "100ms"}, 400, map[string]any{"field": "coalesce_window"}},
		{"too long", usr + "group/g1", map[string]any{"coalesce_window": "2h"}, 400, map[string]any{"field": "coalesce_window"}},
	}
	for _, st := range steps {
		rec := f.do(request("PUT", st.path, "", st.body))
		if rec.Code != st.want {
			t.Fatalf("%s: %d %s, want %d", st.name, rec.Code, rec.Body, st.want)
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
	// What the dispatcher reads.
	ctx := context.Background()
	for _, c := range []struct {
		conv devices.Conv
		want time.Duration
		set  bool
		opt  devices.ReceiveOpt
	}{
		{devices.Conv{Kind: devices.KindGroup, ID: "g1"}, 30 * time.Second, true, devices.OptReceiveNotNotify},
		{devices.Conv{Kind: devices.KindC2C, ID: "denny"}, 0, true, devices.OptReceive},
		{devices.Conv{Kind: devices.KindC2C, ID: "ann"}, 0, false, devices.OptDefault},
	} {
		states, err := f.devs.States(ctx, appA, []string{"vinson"}, c.conv)
		if err != nil {
			t.Fatal(err)
		}
		st := states[0]
		if (st.Coalesce != nil) != c.set || st.Coalesce != nil && *st.Coalesce != c.want || st.Opt != c.opt {
			t.Errorf("%v: window %v, opt %q; want set=%v %v, opt %q", c.conv, st.Coalesce, st.Opt, c.set, c.want, c.opt)
		}
	}
}
