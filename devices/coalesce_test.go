package devices

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestBursts: a window opens with its first message, counts the later
// ones (a message counted again is not counted twice), is one key per
// user and conversation that expires with the window, and the next
// message after it opens a new one.
func TestBursts(t *testing.T) {
	s, db, _ := newStore(t)
	ctx := context.Background()
	denny, g1 := Conv{Kind: KindC2C, ID: "denny"}, Conv{Kind: KindGroup, ID: "g1"}
	vinson := []BurstOf{{UserID: "vinson", Window: time.Second}}
	steps := []struct {
		conv Conv
		msg  string
		of   []BurstOf
		want []Burst
	}{
		{denny, "m1", vinson, []Burst{{First: "m1", Count: 1}}},
		{denny, "m2", vinson, []Burst{{First: "m1", Count: 2}}},
		{denny, "m2", vinson, []Burst{{First: "m1", Count: 2}}}, // a retried resolution
		{denny, "m1", vinson, []Burst{{First: "m1", Count: 1}}}, // the first, again
		{denny, "m3", vinson, []Burst{{First: "m1", Count: 3}}},
		// Another conversation, and another recipient, have windows of
		// their own; one round trip serves several recipients.
		{g1, "g-1", append([]BurstOf{{UserID: "ann", Window: time.Minute}}, vinson...),
			[]Burst{{First: "g-1", Count: 1}, {First: "g-1", Count: 1}}},
		{g1, "g-2", append([]BurstOf{{UserID: "ann", Window: time.Minute}}, vinson...),
			[]Burst{{First: "g-1", Count: 2}, {First: "g-1", Count: 2}}},
	}
	for i, st := range steps {
		got, err := s.Bursts(ctx, app, st.conv, st.msg, st.of)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if d := cmp.Diff(st.want, got); d != "" {
			t.Fatalf("step %d (%s in %v): -want +got\n%s", i, st.msg, st.conv, d)
		}
	}
	key := s.coalesceKey(app, "vinson", denny)
	if ttl := db.Client.PTTL(ctx, key).Val(); ttl <= 0 || ttl > time.Second {
		t.Fatalf("window key TTL %v, want at most the 1s window", ttl)
	}
	if ttl := db.Client.PTTL(ctx, s.coalesceKey(app, "ann", g1)).Val(); ttl <= 50*time.Second {
		t.Fatalf("ann's window TTL %v, want her own 1m window", ttl)
	}
	time.Sleep(1100 * time.Millisecond)
	if n := db.Client.Exists(ctx, key).Val(); n != 0 {
		t.Fatalf("window key still there after its window")
	}
	got, err := s.Bursts(ctx, app, denny, "m4", vinson)
	if err != nil || got[0] != (Burst{First: "m4", Count: 1}) {
		t.Fatalf("after the window: %+v, %v; want m4 opening a new window", got, err)
	}
	if got, err := s.Bursts(ctx, app, denny, "m5", nil); err != nil || got != nil {
		t.Fatalf("no recipients: %v, %v; want nothing and no command", got, err)
	}
}

// TestConvCoalesce: a conversation's window is stored next to its receive
// option and preview, read by States (nil when unset, 0 when turned off
// for it), validated, and invisible to ReceiveOptions.
func TestConvCoalesce(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	dur := func(d time.Duration) *time.Duration { return &d }
	for _, c := range []struct {
		user, kind, id string
		w              *time.Duration
	}{
		{"vinson", KindC2C, "denny", dur(30 * time.Second)},
		{"ann", KindC2C, "denny", dur(0)},
		{"bob", KindC2C, "denny", dur(time.Minute)},
		{"bob", KindC2C, "denny", nil}, // cleared
	} {
		if err := s.SetConvCoalesce(ctx, app, c.user, c.kind, c.id, c.w); err != nil {
			t.Fatalf("SetConvCoalesce(%+v): %v", c, err)
		}
	}
	if err := s.SetReceiveOption(ctx, app, "vinson", KindC2C, "denny", OptReceive); err != nil {
		t.Fatal(err)
	}
	states, err := s.States(ctx, app, []string{"vinson", "ann", "bob"}, Conv{Kind: KindC2C, ID: "denny"})
	if err != nil {
		t.Fatal(err)
	}
	want := []*time.Duration{dur(30 * time.Second), dur(0), nil}
	for i, st := range states {
		if d := cmp.Diff(want[i], st.Coalesce); d != "" {
			t.Errorf("user %d: -want +got\n%s", i, d)
		}
	}
	if states[0].Opt != OptReceive {
		t.Errorf("vinson's receive option = %q, want receive beside the window", states[0].Opt)
	}
	opts, err := s.ReceiveOptions(ctx, app, "vinson")
	if err != nil || len(opts[KindC2C]) != 1 || len(opts) != 2 {
		t.Errorf("ReceiveOptions = %v, %v; want the one option and no window", opts, err)
	}
	for _, bad := range []time.Duration{time.Millisecond, 999 * time.Millisecond, time.Hour + time.Second, -time.Second} {
		var fe *FieldError
		if err := s.SetConvCoalesce(ctx, app, "vinson", KindC2C, "denny", &bad); !errors.As(err, &fe) || fe.Field != "coalesce_window" {
			t.Errorf("window %v: %v, want a coalesce_window field error", bad, err)
		}
	}
	for _, ok := range []time.Duration{0, time.Second, time.Hour} {
		if err := CheckCoalesceWindow("w", ok); err != nil {
			t.Errorf("window %v refused: %v", ok, err)
		}
	}
}
