package devices

import (
	"context"
	"slices"
	"testing"
)

// NextBadges raises a badge by Ref.Add or sets it to Ref.Set (Tencent's
// BadgeAddNum and BadgeSetNum); later messages count from a set value, and
// the same message asking again gets the same badge.
func TestNextBadgesAddAndSet(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "a", 2383, "ta", "ios")
	if err := s.Background(ctx, app, "a", 2383, "ta", 2); err != nil {
		t.Fatal(err)
	}
	set := func(v int) *int { return &v }
	steps := []Ref{
		{MsgID: "m1", Add: 5},       // 2 + 5
		{MsgID: "m1", Add: 5},       // the same message again
		{MsgID: "m2", Set: set(30)}, // set
		{MsgID: "m3"},               // counts from the set value
		{MsgID: "m4", Set: set(0), Add: 9},
		{MsgID: "m5", Add: 0}, // 0 means 1
		{Add: 3},              // no message id: always raises
	}
	var got []int
	for _, r := range steps {
		r.UserID, r.CertID, r.Token = "a", 2383, "ta"
		res, err := s.NextBadges(ctx, app, []Ref{r})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		got = append(got, res[0].Badge)
	}
	if want := []int{7, 7, 30, 31, 0, 1, 4}; !slices.Equal(got, want) {
		t.Fatalf("badges %v, want %v", got, want)
	}
	// NextBadge, the one-binding form, still raises by one.
	if n, err := s.NextBadge(ctx, app, "a", 2383, "ta"); err != nil || n != 5 {
		t.Fatalf("NextBadge = %d, %v; want 5", n, err)
	}
}
