package dispatcher

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

// scriptedSender answers every token with the error its answer func gives
// (nil = accepted) and counts the requests.
type scriptedSender struct {
	mu     sync.Mutex
	answer func() error
	sent   int
}

func (s *scriptedSender) Vendor() vendors.Vendor { return vendors.APNs }
func (s *scriptedSender) MaxBatch() int          { return 1 }
func (s *scriptedSender) Send(_ context.Context, _ *vendors.Notification, tokens []string) []vendors.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent++
	err := s.answer()
	rs := vendors.Fail(tokens, err)
	if err == nil {
		rs[0].MessageID = "apns-id-1"
	}
	return rs
}
func (s *scriptedSender) DryRun(context.Context, *vendors.Notification, []string) ([]vendors.Request, error) {
	return nil, nil
}

func (s *scriptedSender) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// oneCert is a CredentialSource holding certificate 1 at a version.
type oneCert struct{ version int64 }

func (c oneCert) Credential(_ context.Context, id int64) (*vendors.Credential, error) {
	return &vendors.Credential{ID: id, AppID: "1400000001", Vendor: vendors.APNs, Version: c.version}, nil
}

// capturedQueue records the tasks a handler enqueues.
type capturedQueue struct {
	mu    sync.Mutex
	tasks []*asynq.Task
	opts  [][]asynq.Option
}

func (q *capturedQueue) EnqueueContext(_ context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, t)
	q.opts = append(q.opts, opts)
	return &asynq.TaskInfo{}, nil
}

// healthCall is one CertHealth call.
type healthCall struct {
	cert, version int64
	healthy       bool
	reason        string
}

type fixture struct {
	h      *Handler
	sender *scriptedSender
	queue  *capturedQueue
	calls  []healthCall
}

func newFixture(t *testing.T, rdb redis.UniversalClient) *fixture {
	f := &fixture{sender: &scriptedSender{answer: func() error { return nil }}, queue: &capturedQueue{}}
	reg := vendors.NewRegistry()
	reg.Register(vendors.APNs, func(*vendors.Credential, vendors.Endpoint) (vendors.Sender, error) { return f.sender, nil }, vendors.Endpoint{})
	f.h = newTestHandler(t, HandlerConfig{
		Pool:  NewPool(oneCert{version: 3}, reg, time.Hour),
		Marks: NewMarks(rdb, "pushd:", time.Hour),
		Queue: f.queue,
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		CertHealth: func(_ context.Context, cert, version int64, healthy bool, reason string) error {
			f.calls = append(f.calls, healthCall{cert, version, healthy, reason})
			return nil
		},
		MaxRetry: 8,
	})
	return f
}

func delivery(token string) Delivery {
	return Delivery{CertID: 1, Token: token, Vendor: vendors.APNs, Notif: &vendors.Notification{ID: "m1", Body: "hi"}}
}

func retryTask(t *testing.T, ds ...Delivery) *asynq.Task {
	b, err := json.Marshal(RetryPayload{AppID: "1400000001", MsgID: "m1", ExpireAt: time.Now().Add(time.Hour), Deliveries: ds})
	if err != nil {
		t.Fatal(err)
	}
	return asynq.NewTask(TypeRetry, b)
}

func TestAuthFailuresMarkTheCertificateAndArchive(t *testing.T) {
	db := testredis.New(t)
	f := newFixture(t, db.Client)
	f.h.cfg.AuthRetries = 1 // the unit test has no asynq retry count: archive on the first retry
	authErr := &vendors.Error{Vendor: vendors.APNs, Kind: vendors.Auth, Status: 403, Code: "InvalidProviderToken"}
	f.sender.answer = func() error { return authErr }
	ctx := context.Background()

	err := f.h.HandleRetry(ctx, retryTask(t, delivery("aa01"), delivery("aa02")))
	if !errors.Is(err, asynq.SkipRetry) || !strings.Contains(err.Error(), "InvalidProviderToken") || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("HandleRetry = %v, want an archived task naming the auth failure", err)
	}
	if len(f.calls) != 1 || f.calls[0].healthy || f.calls[0].version != 3 || !strings.Contains(f.calls[0].reason, "InvalidProviderToken") {
		t.Fatalf("health calls %+v, want one unhealthy verdict on version 3", f.calls)
	}

	// Credentials accepted again: one healthy verdict, then no more writes.
	f.sender.answer = func() error { return nil }
	for _, tok := range []string{"bb01", "bb02"} {
		if err := f.h.HandleRetry(ctx, retryTask(t, delivery(tok))); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.calls) != 2 || !f.calls[1].healthy {
		t.Fatalf("health calls %+v, want unhealthy then healthy once", f.calls)
	}
}

func TestMixedFailuresAreNotArchivedAsAuth(t *testing.T) {
	db := testredis.New(t)
	f := newFixture(t, db.Client)
	f.h.cfg.AuthRetries = 1
	n := 0
	f.sender.answer = func() error {
		n++
		if n%2 == 0 {
			return &vendors.Error{Vendor: vendors.APNs, Kind: vendors.Retryable, Status: 503, Code: "ServiceUnavailable"}
		}
		return &vendors.Error{Vendor: vendors.APNs, Kind: vendors.Auth, Status: 403, Code: "ExpiredProviderToken"}
	}
	err := f.h.HandleRetry(context.Background(), retryTask(t, delivery("aa01"), delivery("aa02")))
	var re *retryError
	if !errors.As(err, &re) || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("HandleRetry = %v, want a plain retry while some failures are not auth", err)
	}
}

func TestVerdict(t *testing.T) {
	auth := vendors.Result{Err: &vendors.Error{Kind: vendors.Auth, Code: "InvalidProviderToken"}}
	down := vendors.Result{Err: &vendors.Error{Kind: vendors.Retryable, Status: 503}}
	dead := vendors.Result{Err: &vendors.Error{Kind: vendors.InvalidToken}}
	cases := []struct {
		name           string
		rs             []vendors.Result
		healthy, known bool
	}{
		{"accepted", []vendors.Result{{}}, true, true},
		{"one accepted among failures", []vendors.Result{auth, {}, down}, true, true},
		{"all auth", []vendors.Result{auth, auth}, false, true},
		{"auth and outage", []vendors.Result{auth, down}, false, false},
		{"dead token says nothing", []vendors.Result{dead}, false, false},
		{"outage says nothing", []vendors.Result{down}, false, false},
	}
	for _, c := range cases {
		healthy, known, _ := verdict(c.rs)
		if healthy != c.healthy || known != c.known {
			t.Errorf("%s: healthy=%v known=%v, want %v %v", c.name, healthy, known, c.healthy, c.known)
		}
	}
}

func TestRateLimitedSendsGoToRetryWithoutBurningRetries(t *testing.T) {
	db := testredis.New(t)
	f := newFixture(t, db.Client)
	f.h.cfg.Limits = NewRateLimits(db.Client, "pushd:", map[int64]float64{1: 1}, 0)
	f.h.cfg.Limits.MaxWait = 10 * time.Millisecond
	out, err := f.h.deliver(context.Background(), "1400000001", "m1", time.Now().Add(time.Hour), []Delivery{delivery("aa01"), delivery("aa02"), delivery("aa03")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.sender.requests() != 1 || len(out.retry) != 2 || !out.rateLimited {
		t.Fatalf("%d requests, %d to retry, rateLimited=%v: want 1 sent and 2 handed back as rate limited",
			f.sender.requests(), len(out.retry), out.rateLimited)
	}
	if out.retryAfter < 900*time.Millisecond || vendors.CodeOf(out.lastErr) != "pushd_rate_limit" {
		t.Fatalf("retry after %s (%v), want about the 1s slot", out.retryAfter, out.lastErr)
	}
	if IsFailure(&retryError{rateLimited: out.rateLimited}) {
		t.Fatal("a rate-limited retry must not count as a failure")
	}
}

func TestOpenBreakerHoldsWithoutClaimingTheProbe(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	b := NewBreakers(1, 10*time.Second, time.Minute)
	b.Now = func() time.Time { return clock }
	b.Record(1, []vendors.Result{{Err: &vendors.Error{Kind: vendors.Retryable}}})
	if w := b.Holding(1); w != 10*time.Second {
		t.Fatalf("Holding = %s, want the 10s cooldown", w)
	}
	clock = clock.Add(10 * time.Second)
	if b.Holding(1) != 0 || b.Holding(1) != 0 {
		t.Fatal("Holding claimed the probe")
	}
	if b.Wait(1) != 0 {
		t.Fatal("no probe after the cooldown")
	}
	if w := b.Holding(1); w != time.Second {
		t.Fatalf("while the probe is in flight others wait %s, want 1s", w)
	}
}

func TestOpenBreakerDoesNotBurnRetries(t *testing.T) {
	db := testredis.New(t)
	f := newFixture(t, db.Client)
	f.h.cfg.Breakers = NewBreakers(1, time.Minute, time.Hour)
	f.h.cfg.SendConcurrency = 1 // one request after the other: the first opens the breaker
	f.sender.answer = func() error {
		return &vendors.Error{Vendor: vendors.APNs, Kind: vendors.Retryable, Status: 503, Code: "ServiceUnavailable"}
	}
	ds := []Delivery{delivery("aa01"), delivery("aa02")}
	out, err := f.h.deliver(context.Background(), "1400000001", "m1", time.Now().Add(time.Hour), ds, 0)
	if err != nil || f.sender.requests() != 1 || len(out.retry) != 2 || out.rateLimited {
		t.Fatalf("first round: %d requests, %+v, %v: want one 503 (a failure) and one held back", f.sender.requests(), out, err)
	}
	out, err = f.h.deliver(context.Background(), "1400000001", "m1", time.Now().Add(time.Hour), ds, 1)
	if err != nil || f.sender.requests() != 1 || !out.rateLimited || out.retryAfter < 59*time.Second {
		t.Fatalf("second round: %d requests, %+v, %v: want both held back for the cooldown, not failed", f.sender.requests(), out, err)
	}
}

func TestExpiredIsOnlyAPastExpireAt(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for payload, want := range map[string]bool{
		`{"expire_at":"2029-12-31T23:00:00Z"}`: true,
		`{"expire_at":"2030-06-01T00:00:00Z"}`: false, // too far ahead: a bad field, archived
		`{"expire_at":"tomorrow"}`:             false,
		`{}`:                                   false,
	} {
		if got := expiredJob([]byte(payload), now) != nil; got != want {
			t.Errorf("expiredJob(%s) = %v, want %v", payload, got, want)
		}
	}
}
