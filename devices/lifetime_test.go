package devices

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A foreground report holds for ForegroundTTL: within it the device is not
// pushed (ErrForeground, Foreground listed); past it, with no new report,
// it is treated as in the background and its badge counts from 1.
func TestForegroundExpires(t *testing.T) {
	s, _, clk := newStore(t)
	ctx := context.Background()
	bind(t, s, "u", 7, "tok", "ios")
	if err := s.Foreground(ctx, app, "u", 7, "tok"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		after  time.Duration
		fg     bool
		badge  int
		reason string
	}{
		{9 * time.Minute, true, 0, "within the TTL"},
		{10 * time.Minute, false, 1, "at the TTL"},
	}
	for _, c := range cases {
		clk.Set(t0.Add(c.after))
		b := list(t, s, "u")
		if len(b) != 1 || b[0].Foreground != c.fg || b[0].Background == c.fg {
			t.Fatalf("%s: listed %+v, want foreground=%v", c.reason, b, c.fg)
		}
		n, err := s.NextBadge(ctx, app, "u", 7, "tok")
		if c.fg {
			if !errors.Is(err, ErrForeground) {
				t.Fatalf("%s: NextBadge %d %v, want ErrForeground", c.reason, n, err)
			}
			continue
		}
		res, err2 := s.NextBadges(ctx, app, []Ref{{UserID: "u", CertID: 7, Token: "tok"}})
		if err != nil || err2 != nil || n != c.badge || res[0].Badge != c.badge+1 {
			t.Fatalf("%s: NextBadge %d %v, NextBadges %+v %v; want %d then %d", c.reason, n, err, res, err2, c.badge, c.badge+1)
		}
	}
	// A new foreground report restarts the TTL.
	now := t0.Add(time.Hour)
	clk.Set(now)
	if err := s.Foreground(ctx, app, "u", 7, "tok"); err != nil {
		t.Fatal(err)
	}
	clk.Set(now.Add(5 * time.Minute))
	if _, err := s.NextBadge(ctx, app, "u", 7, "tok"); !errors.Is(err, ErrForeground) {
		t.Fatalf("fresh foreground report: %v, want ErrForeground", err)
	}
}

// A binding neither bound again nor reporting a state for BindingTTL is
// returned as expired once and deleted with its index entry; a state
// report keeps it alive.
func TestBindingExpires(t *testing.T) {
	s, db, clk := newStore(t)
	ctx := context.Background()
	s.bindTTL = 48 * time.Hour
	bind(t, s, "u", 7, "old", "android")
	bind(t, s, "u", 7, "kept", "android")
	clk.Set(t0.Add(47 * time.Hour))
	if err := s.Background(ctx, app, "u", 7, "kept", 0); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(49 * time.Hour))
	live, expired, err := s.ListExpiring(ctx, app, []string{"u"})
	if err != nil {
		t.Fatal(err)
	}
	if len(live[0]) != 1 || live[0][0].Token != "kept" || len(expired[0]) != 1 || expired[0][0].Token != "old" {
		t.Fatalf("live %+v expired %+v", live, expired)
	}
	if n, _ := db.Client.Exists(ctx, s.tokKey(app, member(7, "old"))).Result(); n != 0 {
		t.Fatal("the expired binding is still stored")
	}
	if ok, _ := db.Client.SIsMember(ctx, s.devKey(app, "u"), member(7, "old")).Result(); ok {
		t.Fatal("the expired binding is still indexed")
	}
	live, expired, _ = s.ListExpiring(ctx, app, []string{"u"})
	if len(live[0]) != 1 || len(expired[0]) != 0 {
		t.Fatalf("second listing: live %+v expired %+v", live, expired)
	}
	// A re-bind revives a binding before it expires.
	clk.Set(t0.Add(49*time.Hour + 47*time.Hour))
	bind(t, s, "u", 7, "kept", "android")
	clk.Set(t0.Add(49*time.Hour + 95*time.Hour))
	if b := list(t, s, "u"); len(b) != 1 {
		t.Fatalf("re-bound binding: %+v", b)
	}
}

// The defaults: 10 minutes and 60 days.
func TestLifetimeDefaults(t *testing.T) {
	s := New(nil, Options{})
	if s.fgTTL != 10*time.Minute || s.bindTTL != 60*24*time.Hour {
		t.Fatalf("%s %s", s.fgTTL, s.bindTTL)
	}
}
