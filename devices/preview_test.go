package devices

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/vendors"
)

// TestPreviewSettings: the user's preview is a setting like the locale,
// a conversation's is stored next to its receive option, and States
// returns the one that applies to the message's conversation.
func TestPreviewSettings(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	got, err := s.PutSettings(ctx, app, "vinson", SettingsPatch{Preview: str("sender_only")})
	if err != nil || got.Preview != vendors.PreviewSenderOnly {
		t.Fatalf("PutSettings preview: %+v, %v", got, err)
	}
	if read, _ := s.GetSettings(ctx, app, "vinson"); read.Preview != vendors.PreviewSenderOnly {
		t.Fatalf("GetSettings preview = %q", read.Preview)
	}
	convs := []struct{ user, kind, id, preview string }{
		{"vinson", KindGroup, "g1", "hidden"},
		{"vinson", KindC2C, "denny", "id_only"},
		{"ann", KindGroup, "g1", "full"},
		{"ann", KindGroup, "g2", "hidden"},
		{"ann", KindGroup, "g2", ""}, // cleared
	}
	for _, c := range convs {
		if err := s.SetConvPreview(ctx, app, c.user, c.kind, c.id, c.preview); err != nil {
			t.Fatalf("SetConvPreview(%+v): %v", c, err)
		}
	}
	// The receive option and the preview of one conversation are
	// independent.
	if err := s.SetReceiveOption(ctx, app, "vinson", KindGroup, "g1", OptReceiveNotNotify); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		conv Conv
		want []UserState
	}{
		{Conv{Kind: KindGroup, ID: "g1"}, []UserState{
			{Settings: Settings{Push: PushOn, Preview: vendors.PreviewHidden}, Opt: OptReceiveNotNotify},
			{Settings: Settings{Push: PushOn, Preview: vendors.PreviewFull}},
			{Settings: Settings{Push: PushOn}},
		}},
		{Conv{Kind: KindC2C, ID: "denny"}, []UserState{
			{Settings: Settings{Push: PushOn, Preview: vendors.PreviewIDOnly}},
			{Settings: Settings{Push: PushOn}},
			{Settings: Settings{Push: PushOn}},
		}},
		{Conv{Kind: KindGroup, ID: "g2"}, []UserState{
			{Settings: Settings{Push: PushOn, Preview: vendors.PreviewSenderOnly}}, // the user's
			{Settings: Settings{Push: PushOn}},
			{Settings: Settings{Push: PushOn}},
		}},
		{Conv{}, []UserState{
			{Settings: Settings{Push: PushOn, Preview: vendors.PreviewSenderOnly}},
			{Settings: Settings{Push: PushOn}},
			{Settings: Settings{Push: PushOn}},
		}},
	}
	for _, tc := range cases {
		got, err := s.States(ctx, app, []string{"vinson", "ann", "nobody"}, tc.conv)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("States(%+v) (-want +got):\n%s", tc.conv, d)
		}
	}
	previews, err := s.ConvPreviews(ctx, app, "vinson")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]vendors.Preview{KindC2C: {"denny": vendors.PreviewIDOnly}, KindGroup: {"g1": vendors.PreviewHidden}}
	if d := cmp.Diff(want, previews); d != "" {
		t.Errorf("ConvPreviews (-want +got):\n%s", d)
	}
	// Previews do not show up as receive options.
	opts, _ := s.ReceiveOptions(ctx, app, "vinson")
	if d := cmp.Diff(map[string]map[string]ReceiveOpt{KindC2C: {}, KindGroup: {"g1": OptReceiveNotNotify}}, opts); d != "" {
		t.Errorf("ReceiveOptions (-want +got):\n%s", d)
	}
	// An empty preview restores the app's.
	if got, err := s.PutSettings(ctx, app, "vinson", SettingsPatch{Preview: str("")}); err != nil || got.Preview != "" {
		t.Errorf("clearing the preview: %+v, %v", got, err)
	}
}

func TestPreviewValidation(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	var fe *FieldError
	if _, err := s.PutSettings(ctx, app, "vinson", SettingsPatch{Preview: str("blurred")}); !errors.As(err, &fe) || fe.Field != "preview" {
		t.Errorf("PutSettings(preview blurred) = %v, want a FieldError on preview", err)
	}
	cases := []struct {
		kind, id, preview, field string
	}{
		{KindGroup, "g1", "Hidden", "preview"},
		{"channel", "g1", "hidden", "kind"},
		{KindC2C, "", "hidden", "id"},
	}
	for _, tc := range cases {
		err := s.SetConvPreview(ctx, app, "vinson", tc.kind, tc.id, tc.preview)
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("SetConvPreview(%q, %q, %q) = %v, want a FieldError on %s", tc.kind, tc.id, tc.preview, err, tc.field)
		}
	}
}
