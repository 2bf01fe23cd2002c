package devices

import (
	"context"
	"errors"
	"testing"
	"time"
)

func bindVoIP(t *testing.T, s *Store, user string, cert int64, alert, voip string) {
	t.Helper()
	if err := s.BindVoIP(context.Background(), app, user, cert, alert, voip); err != nil {
		t.Fatalf("BindVoIP(%s, %d): %v", user, cert, err)
	}
}

// voipOfList returns the alert token → VoIP token of user's bindings.
func voipOfList(t *testing.T, s *Store, user string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, b := range list(t, s, user) {
		out[b.Token] = b.VoIPToken
	}
	return out
}

func TestBindVoIPBesideAlert(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, s *Store)
		want map[string]string
	}{
		{"stored beside the alert binding", func(t *testing.T, s *Store) {
			bindVoIP(t, s, "alice", 1, "a1", "v1")
		}, map[string]string{"a1": "v1", "a2": ""}},
		{"a re-report of the alert token keeps it", func(t *testing.T, s *Store) {
			bindVoIP(t, s, "alice", 1, "a1", "v1")
			bind(t, s, "alice", 1, "a1", "ios")
		}, map[string]string{"a1": "v1", "a2": ""}},
		{"a newer VoIP token replaces the older", func(t *testing.T, s *Store) {
			bindVoIP(t, s, "alice", 1, "a1", "v1")
			bindVoIP(t, s, "alice", 1, "a1", "v2")
		}, map[string]string{"a1": "v2", "a2": ""}},
		{"one VoIP token, one binding", func(t *testing.T, s *Store) {
			bindVoIP(t, s, "alice", 1, "a1", "v1")
			bindVoIP(t, s, "alice", 1, "a2", "v1")
		}, map[string]string{"a1": "", "a2": "v1"}},
		{"UnbindVoIP keeps the alert binding", func(t *testing.T, s *Store) {
			bindVoIP(t, s, "alice", 1, "a1", "v1")
			if err := s.UnbindVoIP(ctx, app, "alice", 1, "a1"); err != nil {
				t.Fatal(err)
			}
		}, map[string]string{"a1": "", "a2": ""}},
		{"Unbind removes both", func(t *testing.T, s *Store) {
			bindVoIP(t, s, "alice", 1, "a1", "v1")
			if err := s.Unbind(ctx, app, "alice", 1, "a1"); err != nil {
				t.Fatal(err)
			}
			// Reporting the alert token again does not bring the VoIP
			// token back.
			bind(t, s, "alice", 1, "a1", "ios")
		}, map[string]string{"a1": "", "a2": ""}},
		{"an invalid VoIP token leaves the alert binding", func(t *testing.T, s *Store) {
			bindVoIP(t, s, "alice", 1, "a1", "v1")
			removed, err := s.RemoveInvalid(ctx, app, 1, "v1", time.Time{})
			if err != nil || !removed {
				t.Fatalf("RemoveInvalid(v1) = %v, %v; want true", removed, err)
			}
		}, map[string]string{"a1": "", "a2": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newStore(t)
			bind(t, s, "alice", 1, "a1", "ios")
			bind(t, s, "alice", 1, "a2", "ios")
			tt.run(t, s)
			got := voipOfList(t, s, "alice")
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("binding %s: VoIP token %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

func TestBindVoIPNeedsOwnAlertBinding(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "alice", 1, "a1", "ios")
	if err := s.BindVoIP(ctx, app, "alice", 1, "nope", "v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("no alert binding: %v, want ErrNotFound", err)
	}
	if err := s.BindVoIP(ctx, app, "bob", 1, "a1", "v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("another user's binding: %v, want ErrNotFound", err)
	}
	var fe *FieldError
	if err := s.BindVoIP(ctx, app, "alice", 1, "a1", ""); !errors.As(err, &fe) || fe.Field != "voip_token" {
		t.Errorf("empty VoIP token: %v, want a voip_token field error", err)
	}
	if got := voipOfList(t, s, "alice")["a1"]; got != "" {
		t.Errorf("VoIP token %q stored by refused reports", got)
	}
}

// A token moving to another user leaves its VoIP token behind: the new
// owner's device reports its own.
func TestVoIPDoesNotMoveWithTheToken(t *testing.T) {
	s, _, _ := newStore(t)
	bind(t, s, "alice", 1, "a1", "ios")
	bindVoIP(t, s, "alice", 1, "a1", "v1")
	bind(t, s, "bob", 1, "a1", "ios")
	if got := voipOfList(t, s, "bob")["a1"]; got != "" {
		t.Errorf("bob inherited alice's VoIP token %q", got)
	}
}

// An invalid answer older than the VoIP token's report keeps the token.
func TestRemoveInvalidVoIPReportedSince(t *testing.T) {
	s, _, c := newStore(t)
	bind(t, s, "alice", 1, "a1", "ios")
	bindVoIP(t, s, "alice", 1, "a1", "v1")
	removed, err := s.RemoveInvalid(context.Background(), app, 1, "v1", c.Now().Add(-time.Minute))
	if err != nil || removed {
		t.Fatalf("RemoveInvalid = %v, %v; want false", removed, err)
	}
	if got := voipOfList(t, s, "alice")["a1"]; got != "v1" {
		t.Errorf("VoIP token %q, want v1 kept", got)
	}
}

// A VoIP token lives BindingTTL from its own report, even while state
// reports keep the alert binding alive: past it, calls fall back to
// alerts until the app reports it again.
func TestVoIPTokenExpiresFromItsReport(t *testing.T) {
	s, _, c := newStore(t)
	ctx := context.Background()
	bind(t, s, "alice", 1, "a1", "ios")
	bindVoIP(t, s, "alice", 1, "a1", "v1")
	c.Set(t0.Add(DefaultBindingTTL - time.Hour))
	if err := s.Background(ctx, app, "alice", 1, "a1", 0); err != nil {
		t.Fatal(err)
	}
	if got := voipOfList(t, s, "alice")["a1"]; got != "v1" {
		t.Fatalf("before the TTL: VoIP token %q, want v1", got)
	}
	c.Set(t0.Add(DefaultBindingTTL + time.Hour))
	if got := voipOfList(t, s, "alice"); len(got) != 1 || got["a1"] != "" {
		t.Fatalf("past the TTL: %v, want the alert binding without its VoIP token", got)
	}
	bindVoIP(t, s, "alice", 1, "a1", "v1")
	if got := voipOfList(t, s, "alice")["a1"]; got != "v1" {
		t.Errorf("reported again: VoIP token %q, want v1", got)
	}
}
