package devices

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReceiveOptions(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	set := func(kind, id string, o ReceiveOpt) {
		t.Helper()
		if err := s.SetReceiveOption(ctx, app, "vinson", kind, id, o); err != nil {
			t.Fatalf("SetReceiveOption(%s, %s, %s): %v", kind, id, o, err)
		}
	}
	set(KindC2C, "denny", OptNotReceive)
	set(KindGroup, "g1", OptReceiveNotNotify)
	set(KindGroup, "meeting:1", OptReceive)
	set(KindGroup, "g2", OptNotReceive)
	set(KindGroup, "g2", OptDefault)

	cases := []struct {
		kind, id string
		want     ReceiveOpt
	}{
		{KindC2C, "denny", OptNotReceive},
		{KindGroup, "denny", OptDefault}, // kinds do not mix
		{KindGroup, "g1", OptReceiveNotNotify},
		{KindGroup, "meeting:1", OptReceive},
		{KindGroup, "g2", OptDefault},
	}
	for _, tc := range cases {
		got, err := s.ReceiveOption(ctx, app, "vinson", tc.kind, tc.id)
		if err != nil || got != tc.want {
			t.Errorf("ReceiveOption(%s, %s) = %q, %v; want %q", tc.kind, tc.id, got, err, tc.want)
		}
	}
	all, err := s.ReceiveOptions(ctx, app, "vinson")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]ReceiveOpt{
		KindC2C:   {"denny": OptNotReceive},
		KindGroup: {"g1": OptReceiveNotNotify, "meeting:1": OptReceive},
	}
	if d := cmp.Diff(want, all); d != "" {
		t.Errorf("ReceiveOptions (-want +got):\n%s", d)
	}
}

func TestReceiveOptionValidation(t *testing.T) {
	s, _, _ := newStore(t)
	cases := []struct {
		kind, id string
		opt      ReceiveOpt
		field    string
	}{
		{"channel", "x", OptReceive, "kind"},
		{KindC2C, "", OptReceive, "id"},
		{KindGroup, "g1", "mute", "opt"},
	}
	for _, tc := range cases {
		var fe *FieldError
		err := s.SetReceiveOption(context.Background(), app, "vinson", tc.kind, tc.id, tc.opt)
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("SetReceiveOption(%q, %q, %q) = %v, want a FieldError on %s", tc.kind, tc.id, tc.opt, err, tc.field)
		}
	}
	if o, err := ParseReceiveOpt("default"); err != nil || o != OptDefault {
		t.Errorf(`ParseReceiveOpt("default") = %q, %v`, o, err)
	}
}

func TestStates(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.PutSettings(ctx, app, "b", SettingsPatch{Push: PushOff, GroupSound: str("g.caf")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetReceiveOption(ctx, app, "a", KindGroup, "g1", OptReceiveNotNotify); err != nil {
		t.Fatal(err)
	}
	if err := s.SetReceiveOption(ctx, app, "b", KindGroup, "g2", OptNotReceive); err != nil {
		t.Fatal(err)
	}
	got, err := s.States(ctx, app, []string{"a", "b", "c"}, Conv{Kind: KindGroup, ID: "g1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []UserState{
		{Settings: Settings{Push: PushOn}, Opt: OptReceiveNotNotify},
		{Settings: Settings{Push: PushOff, GroupSound: "g.caf"}},
		{Settings: Settings{Push: PushOn}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("States (-want +got):\n%s", d)
	}
}
