package devices

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestLowerBadges: a recall lowers a binding's badge by what its message
// raised, once; a message that did not raise it, one raised before the
// last background report, and one pushed out of the remembered list leave
// the badge alone.
func TestLowerBadges(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	const cert = 2383
	if err := s.Bind(ctx, Binding{AppID: app, UserID: "vinson", CertID: cert, Token: "tv"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Background(ctx, app, "vinson", cert, "tv", 2); err != nil {
		t.Fatal(err)
	}
	ref := []Ref{{UserID: "vinson", CertID: cert, Token: "tv"}}
	raise := func(msg string) int {
		t.Helper()
		r, err := s.NextBadges(ctx, app, []Ref{{UserID: "vinson", CertID: cert, Token: "tv", MsgID: msg}})
		if err != nil || r[0].Err != nil {
			t.Fatalf("NextBadges(%s): %v %v", msg, err, r)
		}
		return r[0].Badge
	}
	lower := func(msg string) Lowered {
		t.Helper()
		r, err := s.LowerBadges(ctx, app, msg, ref)
		if err != nil {
			t.Fatalf("LowerBadges(%s): %v", msg, err)
		}
		return r[0]
	}
	raise("m1")
	raise("m2")
	if b := raise("m3"); b != 5 {
		t.Fatalf("badge after three messages = %d, want 5", b)
	}
	steps := []struct {
		name string
		msg  string
		want Lowered
	}{
		{"recall of the middle message", "m2", Lowered{Lowered: true, Badge: 4}},
		{"the same recall again", "m2", Lowered{Badge: 4}},
		{"a message that never raised it", "other", Lowered{Badge: 4}},
		{"the last message", "m3", Lowered{Lowered: true, Badge: 3}},
		{"the first", "m1", Lowered{Lowered: true, Badge: 2}},
	}
	for _, st := range steps {
		if got := lower(st.msg); got != st.want {
			t.Errorf("%s: %+v, want %+v", st.name, got, st.want)
		}
	}
	// The last message is remembered for idempotency: re-raising m3 after
	// its recall counts it again rather than returning a stale badge.
	if b := raise("m3"); b != 3 {
		t.Errorf("m3 again after its recall: badge %d, want 3", b)
	}
	// A background report resets the count: earlier messages are no
	// longer in the badge pushd counts.
	if err := s.Background(ctx, app, "vinson", cert, "tv", 0); err != nil {
		t.Fatal(err)
	}
	if got := lower("m3"); got != (Lowered{Badge: 0}) {
		t.Errorf("recall after a background report: %+v, want no change", got)
	}
	// Only the last MaxBadgeMsgs raises are remembered.
	for i := range MaxBadgeMsgs + 1 {
		raise(fmt.Sprintf("n%d", i))
	}
	if got := lower("n0"); got.Lowered {
		t.Errorf("recall of a message past the list: %+v, want no change", got)
	}
	if got := lower("n1"); !got.Lowered || got.Badge != MaxBadgeMsgs {
		t.Errorf("recall of the oldest remembered message: %+v, want lowered to %d", got, MaxBadgeMsgs)
	}
	// A binding that moved to another user is not touched.
	r, err := s.LowerBadges(ctx, app, "n2", []Ref{{UserID: "someone", CertID: cert, Token: "tv"}})
	if err != nil || !errors.Is(r[0].Err, ErrNotFound) {
		t.Errorf("another user's binding: %+v, %v", r, err)
	}
}

func TestSetBadges(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	if err := s.Bind(ctx, Binding{AppID: app, UserID: "vinson", CertID: 7, Token: "tv"}); err != nil {
		t.Fatal(err)
	}
	refs := []Ref{{UserID: "vinson", CertID: 7, Token: "tv"}, {UserID: "vinson", CertID: 7, Token: "gone"}}
	if _, err := s.NextBadges(ctx, app, []Ref{{UserID: "vinson", CertID: 7, Token: "tv", MsgID: "m1"}}); err != nil {
		t.Fatal(err)
	}
	errs, err := s.SetBadges(ctx, app, refs, 0)
	if err != nil || errs[0] != nil || !errors.Is(errs[1], ErrNotFound) {
		t.Fatalf("SetBadges: %v %v", errs, err)
	}
	// m1 no longer counts: its recall leaves the badge at 0.
	if r, _ := s.LowerBadges(ctx, app, "m1", refs[:1]); r[0] != (Lowered{Badge: 0}) {
		t.Errorf("recall after a read: %+v", r[0])
	}
	if r, _ := s.NextBadges(ctx, app, []Ref{{UserID: "vinson", CertID: 7, Token: "tv", MsgID: "m2"}}); r[0].Badge != 1 {
		t.Errorf("next message after a read: badge %d, want 1", r[0].Badge)
	}
	var fe *FieldError
	if _, err := s.SetBadges(ctx, app, refs, -1); !errors.As(err, &fe) {
		t.Errorf("negative unread: %v", err)
	}
}
