package devices

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

func str(s string) *string { return &s }

func TestSettingsPatch(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	got, err := s.GetSettings(ctx, app, "vinson")
	if err != nil {
		t.Fatal(err)
	}
	// seed L27312: push is on until the user turns it off.
	if d := cmp.Diff(Settings{Push: PushOn}, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	dnd := &DND{Start: "22:00", Duration: Duration(8 * time.Hour), TZ: "Asia/Shanghai"}
	steps := []struct {
		name  string
		seed  string
		patch SettingsPatch
		want  Settings
	}{
		{"set sounds and switch off", "L27373", SettingsPatch{Push: PushOff, C2CSound: str("00.caf"), GroupSound: str("01.caf")},
			Settings{Push: PushOff, C2CSound: "00.caf", GroupSound: "01.caf"}},
		{"openPush 0 leaves everything unchanged", "L27312", SettingsPatch{},
			Settings{Push: PushOff, C2CSound: "00.caf", GroupSound: "01.caf"}},
		{"switch back on, add DND and locale", "", SettingsPatch{Push: PushOn, DND: dnd, Locale: str("zh-Hans")},
			Settings{Push: PushOn, C2CSound: "00.caf", GroupSound: "01.caf", DND: dnd, Locale: "zh-Hans"}},
		{"empty sound restores the default", "L24154", SettingsPatch{C2CSound: str("")},
			Settings{Push: PushOn, GroupSound: "01.caf", DND: dnd, Locale: "zh-Hans"}},
		{"empty DND turns it off", "", SettingsPatch{DND: &DND{}, Locale: str("")},
			Settings{Push: PushOn, GroupSound: "01.caf"}},
	}
	for _, st := range steps {
		got, err := s.PutSettings(ctx, app, "vinson", st.patch)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if d := cmp.Diff(st.want, got); d != "" {
			t.Fatalf("%s (seed %s) (-want +got):\n%s", st.name, st.seed, d)
		}
		if read, _ := s.GetSettings(ctx, app, "vinson"); !cmp.Equal(read, got) {
			t.Fatalf("%s: GetSettings %+v differs from PutSettings %+v", st.name, read, got)
		}
	}
}

func TestSettingsValidation(t *testing.T) {
	s := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{})
	cases := []struct {
		patch SettingsPatch
		field string
	}{
		{SettingsPatch{Push: 3}, "push"},
		{SettingsPatch{DND: &DND{Start: "22:00", Duration: Duration(8 * time.Hour), TZ: "Mars/Olympus"}}, "dnd.tz"},
		{SettingsPatch{DND: &DND{Start: "22:00", Duration: Duration(8 * time.Hour), TZ: "Local"}}, "dnd.tz"},
		{SettingsPatch{DND: &DND{Start: "24:00", Duration: Duration(time.Hour)}}, "dnd.start"},
		{SettingsPatch{DND: &DND{Start: "9:00", Duration: Duration(time.Hour)}}, "dnd.start"},
		{SettingsPatch{DND: &DND{Start: "", Duration: Duration(time.Hour)}}, "dnd.start"},
		{SettingsPatch{DND: &DND{Start: "22:00", Duration: Duration(25 * time.Hour)}}, "dnd.duration"},
		{SettingsPatch{DND: &DND{Start: "22:00"}}, "dnd.duration"},
		{SettingsPatch{DND: &DND{Start: "22:00", Duration: Duration(90 * time.Second)}}, "dnd.duration"},
		{SettingsPatch{C2CSound: str("a\x00b")}, "c2c_sound"},
		{SettingsPatch{GroupSound: str(string(make([]byte, MaxSoundBytes+1)))}, "group_sound"},
		{SettingsPatch{Locale: str("english please")}, "locale"},
	}
	for _, tc := range cases {
		var fe *FieldError
		if _, err := s.PutSettings(context.Background(), app, "vinson", tc.patch); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("PutSettings(%+v) = %v, want a FieldError on %s", tc.patch, err, tc.field)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`480`, 8 * time.Hour, false},
		{`"8h"`, 8 * time.Hour, false},
		{`"90m"`, 90 * time.Minute, false},
		{`"eight hours"`, 0, true},
		{`-5`, 0, true},
		{`1.5`, 0, true},
	}
	for _, tc := range cases {
		var d Duration
		err := json.Unmarshal([]byte(tc.in), &d)
		if (err != nil) != tc.wantErr || (!tc.wantErr && time.Duration(d) != tc.want) {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v (error %v)", tc.in, time.Duration(d), err, tc.want, tc.wantErr)
		}
	}
	b, _ := json.Marshal(DND{Start: "22:00", Duration: Duration(8 * time.Hour), TZ: "UTC"})
	if string(b) != `{"start":"22:00","duration":480,"tz":"UTC"}` {
		t.Errorf("Marshal = %s", b)
	}
}

// Do-not-disturb is beyond the seed (seed-offline-push.md §4: no quiet
// hours in the doc); SPEC §3.2 asks for start, duration and time zone.
func TestDNDActive(t *testing.T) {
	shanghai := &DND{Start: "22:00", Duration: Duration(8 * time.Hour), TZ: "Asia/Shanghai"}
	ny := &DND{Start: "23:30", Duration: Duration(2 * time.Hour), TZ: "America/New_York"}
	allDay := &DND{Start: "00:00", Duration: Duration(24 * time.Hour)}
	cases := []struct {
		name string
		dnd  *DND
		at   time.Time
		want bool
	}{
		// 22:00–06:00 Shanghai time is 14:00–22:00 UTC.
		{"before the window", shanghai, time.Date(2026, 3, 1, 13, 59, 0, 0, time.UTC), false},
		{"at the start", shanghai, time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC), true},
		{"local midnight", shanghai, time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC), true},
		{"after midnight, window opened yesterday", shanghai, time.Date(2026, 3, 1, 21, 59, 0, 0, time.UTC), true},
		{"at the end", shanghai, time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC), false},
		{"UTC date differs from local date", shanghai, time.Date(2026, 2, 28, 20, 0, 0, 0, time.UTC), true},
		// New York, the night DST starts (2026-03-08 02:00 EST → 03:00 EDT):
		// 23:30 EST is 04:30 UTC; two hours later is 06:30 UTC.
		{"DST night, inside", ny, time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC), true},
		{"DST night, after", ny, time.Date(2026, 3, 8, 6, 31, 0, 0, time.UTC), false},
		{"24h window is always on", allDay, time.Date(2026, 7, 4, 9, 41, 0, 0, time.UTC), true},
		{"nil window", nil, t0, false},
		{"invalid window never applies", &DND{Start: "25:00", Duration: Duration(time.Hour)}, t0, false},
	}
	for _, tc := range cases {
		if got := tc.dnd.Active(tc.at); got != tc.want {
			t.Errorf("%s: Active(%v) = %v, want %v", tc.name, tc.at, got, tc.want)
		}
	}
}
