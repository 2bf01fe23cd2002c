package devices

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/redis/go-redis/v9"
)

const app = "1400000001"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newStore(t *testing.T) (*Store, *testredis.DB, *clock) {
	t.Helper()
	db := testredis.New(t)
	c := &clock{t: t0}
	return New(db.Client, Options{Now: c.Now}), db, c
}

func bind(t *testing.T, s *Store, user string, cert int64, token, platform string) {
	t.Helper()
	if err := s.Bind(context.Background(), Binding{AppID: app, UserID: user, CertID: cert, Token: token, Platform: platform}); err != nil {
		t.Fatalf("Bind(%s, %d): %v", user, cert, err)
	}
}

func list(t *testing.T, s *Store, user string) []Binding {
	t.Helper()
	bs, err := s.List(context.Background(), app, user)
	if err != nil {
		t.Fatalf("List(%s): %v", user, err)
	}
	return bs
}

func TestBindListSeveralDevices(t *testing.T) {
	s, _, c := newStore(t)
	bind(t, s, "vinson", 2383, "apns-token", "ios")
	c.Set(t0.Add(time.Minute))
	bind(t, s, "vinson", 15286, "mi-regid", "android")
	got := list(t, s, "vinson")
	want := []Binding{
		{AppID: app, UserID: "vinson", CertID: 15286, Token: "mi-regid", Platform: "android", ReportedAt: t0.Add(time.Minute)},
		{AppID: app, UserID: "vinson", CertID: 2383, Token: "apns-token", Platform: "ios", ReportedAt: t0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("List (-want +got):\n%s", d)
	}
	if other := list(t, s, "denny"); len(other) != 0 {
		t.Errorf("denny has %d bindings, want none", len(other))
	}
}

func TestRebindSameUserKeepsState(t *testing.T) {
	s, _, c := newStore(t)
	ctx := context.Background()
	bind(t, s, "vinson", 2383, "tok", "ios")
	if err := s.Background(ctx, app, "vinson", 2383, "tok", 4); err != nil {
		t.Fatal(err)
	}
	c.Set(t0.Add(time.Hour))
	bind(t, s, "vinson", 2383, "tok", "ios")
	got := list(t, s, "vinson")
	if len(got) != 1 || !got[0].Background || got[0].Badge != 4 || !got[0].ReportedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after re-report: %+v, want one background binding with badge 4 reported at %v", got, t0.Add(time.Hour))
	}
}

// seed L2629–2631, L10364: a token is one device; when another account logs
// in on it, the binding moves, and the previous account must never be
// pushed through it again.
func TestTokenMovesBetweenUsers(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "alice", 15286, "shared-regid", "android")
	bind(t, s, "alice", 2383, "alice-ios", "ios")
	if err := s.Background(ctx, app, "alice", 15286, "shared-regid", 9); err != nil {
		t.Fatal(err)
	}
	bind(t, s, "bob", 15286, "shared-regid", "android")

	alice := list(t, s, "alice")
	if len(alice) != 1 || alice[0].Token != "alice-ios" {
		t.Errorf("alice's bindings after the move: %+v, want only alice-ios", alice)
	}
	bob := list(t, s, "bob")
	if len(bob) != 1 || bob[0].Token != "shared-regid" || bob[0].Background || bob[0].Badge != 0 {
		t.Errorf("bob's bindings: %+v, want shared-regid with a fresh state", bob)
	}
	// Alice's session is over on that device: her stale reports and
	// logout must not touch Bob's binding.
	if err := s.Background(ctx, app, "alice", 15286, "shared-regid", 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("alice's background report on a moved token: %v, want ErrNotFound", err)
	}
	if _, err := s.NextBadge(ctx, app, "alice", 15286, "shared-regid"); !errors.Is(err, ErrNotFound) {
		t.Errorf("NextBadge for alice on a moved token: %v, want ErrNotFound", err)
	}
	if err := s.Unbind(ctx, app, "alice", 15286, "shared-regid"); err != nil {
		t.Fatal(err)
	}
	if bob := list(t, s, "bob"); len(bob) != 1 {
		t.Errorf("alice's stale logout removed bob's binding: %+v", bob)
	}
	// And back: the token returns to alice.
	bind(t, s, "alice", 15286, "shared-regid", "android")
	if bob := list(t, s, "bob"); len(bob) != 0 {
		t.Errorf("bob still has %+v after the token moved back", bob)
	}
	if alice := list(t, s, "alice"); len(alice) != 2 {
		t.Errorf("alice has %d bindings, want 2", len(alice))
	}
}

// A stale index entry (a crash between the index write and the binding
// move) is ignored when read and cleaned up.
func TestStaleIndexMemberIgnored(t *testing.T) {
	s, db, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "bob", 15286, "regid", "android")
	db.Client.SAdd(ctx, s.devKey(app, "alice"), member(15286, "regid"))
	if got := list(t, s, "alice"); len(got) != 0 {
		t.Errorf("alice lists %+v through a stale index member", got)
	}
	if n := db.Client.SCard(ctx, s.devKey(app, "alice")).Val(); n != 0 {
		t.Errorf("stale member not cleaned up: %d members left", n)
	}
}

func TestUnbind(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "vinson", 2383, "a", "ios")
	bind(t, s, "vinson", 15286, "b", "android")
	bind(t, s, "vinson", 15261, "c", "android")
	if err := s.Unbind(ctx, app, "vinson", 2383, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unbind(ctx, app, "vinson", 2383, "a"); err != nil {
		t.Errorf("second Unbind: %v, want nil (idempotent)", err)
	}
	if got := list(t, s, "vinson"); len(got) != 2 {
		t.Errorf("after Unbind: %d bindings, want 2", len(got))
	}
	if err := s.UnbindAll(ctx, app, "vinson"); err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, "vinson"); len(got) != 0 {
		t.Errorf("after UnbindAll: %+v", got)
	}
}

func TestBackgroundForegroundBadge(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "vinson", 2383, "tok", "ios")
	steps := []struct {
		name      string
		do        func() (int, error)
		wantBadge int
		wantErr   error
	}{
		// A binding that never reported its state is pushed, counting
		// from zero.
		{"unknown state counts", func() (int, error) { return s.NextBadge(ctx, app, "vinson", 2383, "tok") }, 1, nil},
		{"background sets unread", func() (int, error) { return 0, s.Background(ctx, app, "vinson", 2383, "tok", 7) }, 0, nil},
		{"first push", func() (int, error) { return s.NextBadge(ctx, app, "vinson", 2383, "tok") }, 8, nil},
		{"second push", func() (int, error) { return s.NextBadge(ctx, app, "vinson", 2383, "tok") }, 9, nil},
		{"foreground", func() (int, error) { return 0, s.Foreground(ctx, app, "vinson", 2383, "tok") }, 0, nil},
		{"no push in foreground", func() (int, error) { return s.NextBadge(ctx, app, "vinson", 2383, "tok") }, 0, ErrForeground},
		{"background again", func() (int, error) { return 0, s.Background(ctx, app, "vinson", 2383, "tok", 0) }, 0, nil},
		{"counts from the new report", func() (int, error) { return s.NextBadge(ctx, app, "vinson", 2383, "tok") }, 1, nil},
		{"unknown binding", func() (int, error) { return s.NextBadge(ctx, app, "vinson", 2383, "other") }, 0, ErrNotFound},
		{"report of unknown binding", func() (int, error) { return 0, s.Foreground(ctx, app, "vinson", 2383, "other") }, 0, ErrNotFound},
	}
	for _, st := range steps {
		got, err := st.do()
		if !errors.Is(err, st.wantErr) || got != st.wantBadge {
			t.Fatalf("%s: got (%d, %v), want (%d, %v)", st.name, got, err, st.wantBadge, st.wantErr)
		}
	}
	var fe *FieldError
	if err := s.Background(ctx, app, "vinson", 2383, "tok", -1); !errors.As(err, &fe) || fe.Field != "unread" {
		t.Errorf("negative unread: %v, want a FieldError on unread", err)
	}
}

// SPEC §4.4: two workers, two messages, badges n+1 and n+2, never n+1 twice.
// Each goroutine has its own client (its own connection), as two workers do.
func TestNextBadgeConcurrentWorkers(t *testing.T) {
	s, db, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "vinson", 2383, "tok", "ios")
	for round := 0; round < 20; round++ {
		n := 10 * round
		if err := s.Background(ctx, app, "vinson", 2383, "tok", n); err != nil {
			t.Fatal(err)
		}
		var got [2]int
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range 2 {
			c := redis.NewClient(db.Options())
			defer c.Close()
			worker := New(c, Options{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got[w], errs[w] = worker.NextBadge(ctx, app, "vinson", 2383, "tok")
			}()
		}
		close(start)
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: errors %v", round, errs)
		}
		sort.Ints(got[:])
		if got != [2]int{n + 1, n + 2} {
			t.Fatalf("round %d: badges %v, want [%d %d]", round, got, n+1, n+2)
		}
	}
}

func TestNextBadgesBatch(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "a", 2383, "ta", "ios")
	bind(t, s, "b", 2383, "tb", "ios")
	if err := s.Background(ctx, app, "a", 2383, "ta", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Foreground(ctx, app, "b", 2383, "tb"); err != nil {
		t.Fatal(err)
	}
	got, err := s.NextBadges(ctx, app, []Ref{{UserID: "a", CertID: 2383, Token: "ta"}, {UserID: "b", CertID: 2383, Token: "tb"}, {UserID: "c", CertID: 2383, Token: "tc"}, {UserID: "a", CertID: 2383, Token: "ta"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []BadgeResult{{Badge: 4}, {Err: ErrForeground}, {Err: ErrNotFound}, {Badge: 5}}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) })); d != "" {
		t.Errorf("NextBadges (-want +got):\n%s", d)
	}
}

// A message asking twice for a binding's badge (a job run again after a
// crash, or replayed) gets the badge it got the first time; the next
// message counts on from it, and a new background report starts over.
func TestNextBadgesOncePerMessage(t *testing.T) {
	s, _, _ := newStore(t)
	ctx := context.Background()
	bind(t, s, "a", 2383, "ta", "ios")
	if err := s.Background(ctx, app, "a", 2383, "ta", 4); err != nil {
		t.Fatal(err)
	}
	ref := func(msg string) []Ref { return []Ref{{UserID: "a", CertID: 2383, Token: "ta", MsgID: msg}} }
	var got []int
	for _, msg := range []string{"m1", "m1", "m1", "m2", "m2"} {
		r, err := s.NextBadges(ctx, app, ref(msg))
		if err != nil || r[0].Err != nil {
			t.Fatal(err, r)
		}
		got = append(got, r[0].Badge)
	}
	if err := s.Background(ctx, app, "a", 2383, "ta", 1); err != nil {
		t.Fatal(err)
	}
	r, _ := s.NextBadges(ctx, app, ref("m2"))
	got = append(got, r[0].Badge)
	if want := []int{5, 5, 5, 6, 6, 2}; !slices.Equal(got, want) {
		t.Fatalf("badges %v, want %v", got, want)
	}
}

// APNs answers 410 with the time the token became invalid; a token the
// app reported again after that time is alive and kept.
func TestRemoveInvalid(t *testing.T) {
	cases := []struct {
		name        string
		reportedAt  time.Time
		since       time.Time
		wantRemoved bool
	}{
		{"no timestamp removes", t0, time.Time{}, true},
		{"invalid after the last report", t0, t0.Add(time.Second), true},
		{"invalid at the report instant", t0, t0, true},
		{"re-registered after invalidation", t0.Add(time.Hour), t0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _, c := newStore(t)
			ctx := context.Background()
			c.Set(tc.reportedAt)
			bind(t, s, "vinson", 2383, "tok", "ios")
			removed, err := s.RemoveInvalid(ctx, app, 2383, "tok", tc.since)
			if err != nil || removed != tc.wantRemoved {
				t.Fatalf("RemoveInvalid = (%v, %v), want (%v, nil)", removed, err, tc.wantRemoved)
			}
			if n := len(list(t, s, "vinson")); (n == 0) != tc.wantRemoved {
				t.Errorf("%d bindings left, removed=%v", n, tc.wantRemoved)
			}
		})
	}
	t.Run("unknown token", func(t *testing.T) {
		s, _, _ := newStore(t)
		removed, err := s.RemoveInvalid(context.Background(), app, 2383, "nope", time.Time{})
		if err != nil || removed {
			t.Errorf("RemoveInvalid of an unknown token = (%v, %v), want (false, nil)", removed, err)
		}
	})
}

func TestBindingValidation(t *testing.T) {
	s := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Options{})
	long := string(make([]byte, MaxTokenBytes+1))
	cases := []struct {
		b     Binding
		field string
	}{
		{Binding{UserID: "u", CertID: 1, Token: "t"}, "app_id"},
		{Binding{AppID: "a:b", UserID: "u", CertID: 1, Token: "t"}, "app_id"},
		{Binding{AppID: app, CertID: 1, Token: "t"}, "user_id"},
		{Binding{AppID: app, UserID: "u\n", CertID: 1, Token: "t"}, "user_id"},
		{Binding{AppID: app, UserID: "u", Token: "t"}, "cert_id"},
		{Binding{AppID: app, UserID: "u", CertID: 1}, "token"},
		{Binding{AppID: app, UserID: "u", CertID: 1, Token: long}, "token"},
		{Binding{AppID: app, UserID: "u", CertID: 1, Token: "t", Platform: string(make([]byte, 65))}, "platform"},
	}
	for _, tc := range cases {
		var fe *FieldError
		// Validation happens before any Redis call: the client above
		// points nowhere.
		if err := s.Bind(context.Background(), tc.b); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("Bind(%+v) = %v, want a FieldError on %s", tc.b, err, tc.field)
		}
	}
}

// roundTrips counts what reaches Redis: single commands and pipelines.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !connSetup(cmd) {
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && !connSetup(cmds[0]) {
			r.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// connSetup reports the commands go-redis sends on a new connection; they
// are not part of the operation being measured.
func connSetup(c redis.Cmder) bool {
	switch c.Name() {
	case "hello", "select", "client", "auth":
		return true
	}
	return false
}

// A 1 000-recipient group job must cost a handful of round trips, not
// thousands.
func TestBatchLookupsArePipelined(t *testing.T) {
	s, db, clk := newStore(t)
	ctx := context.Background()
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("user%04d", i)
		bind(t, s, users[i], 2383, "tok-"+users[i], "ios")
	}
	rt := &roundTrips{}
	c := redis.NewClient(db.Options())
	defer c.Close()
	c.AddHook(rt)
	counted := New(c, Options{Now: clk.Now})

	states, err := counted.States(ctx, app, users, Conv{Kind: KindGroup, ID: "g1"})
	if err != nil || len(states) != 1000 {
		t.Fatalf("States: %d states, %v", len(states), err)
	}
	all, err := counted.ListMany(ctx, app, users)
	if err != nil || len(all) != 1000 || len(all[999]) != 1 || all[999][0].Token != "tok-user0999" {
		t.Fatalf("ListMany: %v", err)
	}
	refs := make([]Ref, len(users))
	for i, u := range users {
		refs[i] = Ref{UserID: u, CertID: 2383, Token: "tok-" + u}
	}
	if _, err := counted.NextBadges(ctx, app, refs); err != nil {
		t.Fatal(err)
	}
	// States 1, ListMany 2, NextBadges 2 (script load + pipeline).
	if n := rt.n.Load(); n > 5 {
		t.Errorf("%d round trips for 1000 recipients, want at most 5", n)
	}
}
