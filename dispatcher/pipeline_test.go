package dispatcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/pushd/pushd/vendors"
)

// The tests of this file run the stages — decode, resolve, plan, send,
// record — with no Redis: an in-memory credential source, a scripted
// vendor, a fixed resolver, MemoryMarks and a recording queue.

// newTestHandler is NewHandler with stand-ins for the required fields the
// test leaves out.
func newTestHandler(t *testing.T, cfg HandlerConfig) *Handler {
	t.Helper()
	if cfg.Pool == nil {
		cfg.Pool = NewPool(oneCert{version: 1}, vendors.NewRegistry(), time.Hour)
	}
	if cfg.Resolver == nil {
		cfg.Resolver = fixedResolver{}
	}
	if cfg.Queue == nil {
		cfg.Queue = &recordingQueue{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fixedResolver resolves every job to the same deliveries and drops.
type fixedResolver struct {
	ds    []Delivery
	drops []Drop
}

func (r fixedResolver) Resolve(context.Context, *Job) ([]Delivery, []Drop, error) {
	return append([]Delivery(nil), r.ds...), r.drops, nil
}

// tokenVendor answers each token by its prefix, as a vendor would: "ok"
// is delivered, "dead" is an unregistered token, "busy" a 503, "bad" a
// refused payload, and "boom" makes the adapter panic.
type tokenVendor struct {
	v     vendors.Vendor
	batch int
	mu    sync.Mutex
	calls [][]string
}

func (s *tokenVendor) Vendor() vendors.Vendor { return s.v }
func (s *tokenVendor) MaxBatch() int          { return s.batch }

func (s *tokenVendor) Send(_ context.Context, _ *vendors.Notification, tokens []string) []vendors.Result {
	s.mu.Lock()
	s.calls = append(s.calls, append([]string(nil), tokens...))
	s.mu.Unlock()
	rs := make([]vendors.Result, len(tokens))
	for i, tok := range tokens {
		rs[i].Token = tok
		switch {
		case strings.HasPrefix(tok, "ok"):
			rs[i].MessageID = "vm-" + tok
		case strings.HasPrefix(tok, "dead"):
			rs[i].Err = &vendors.Error{Vendor: s.v, Kind: vendors.InvalidToken, Status: 410, Code: "Unregistered"}
		case strings.HasPrefix(tok, "busy"):
			rs[i].Err = &vendors.Error{Vendor: s.v, Kind: vendors.Retryable, Status: 503, Code: "ServiceUnavailable"}
		case strings.HasPrefix(tok, "bad"):
			rs[i].Err = &vendors.Error{Vendor: s.v, Kind: vendors.Rejected, Status: 400, Code: "PayloadTooLarge"}
		case strings.HasPrefix(tok, "boom"):
			panic("adapter bug on " + tok)
		}
	}
	return rs
}

func (s *tokenVendor) DryRun(context.Context, *vendors.Notification, []string) ([]vendors.Request, error) {
	return nil, errors.New("tokenVendor sends only")
}

func (s *tokenVendor) sent() (requests, tokens int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.calls {
		tokens += len(c)
	}
	return len(s.calls), tokens
}

// memCerts is a CredentialSource of certificates 1 (APNs) and 2 (Huawei).
type memCerts struct{}

func (memCerts) Credential(_ context.Context, id int64) (*vendors.Credential, error) {
	switch id {
	case 1:
		return &vendors.Credential{ID: 1, AppID: "app", Vendor: vendors.APNs, Version: 1}, nil
	case 2:
		return &vendors.Credential{ID: 2, AppID: "app", Vendor: vendors.Huawei, Version: 1}, nil
	}
	return nil, errNoSuchCert
}

var errNoSuchCert = errors.New("no such certificate")

// stageRig is a Handler on the scripted vendors, with what it recorded.
type stageRig struct {
	h       *Handler
	apns    *tokenVendor
	huawei  *tokenVendor
	queue   *recordingQueue
	metrics *Metrics
	marks   *MemoryMarks
	mu      sync.Mutex
	removed []string
}

func newStageRig(t *testing.T, ds []Delivery, drops []Drop) *stageRig {
	r := &stageRig{apns: &tokenVendor{v: vendors.APNs, batch: 1}, huawei: &tokenVendor{v: vendors.Huawei, batch: 2},
		queue: &recordingQueue{}, metrics: NewMetrics(prometheus.NewRegistry()), marks: NewMemoryMarks()}
	reg := vendors.NewRegistry()
	reg.Register(vendors.APNs, func(*vendors.Credential, vendors.Endpoint) (vendors.Sender, error) { return r.apns, nil }, vendors.Endpoint{})
	reg.Register(vendors.Huawei, func(*vendors.Credential, vendors.Endpoint) (vendors.Sender, error) { return r.huawei, nil }, vendors.Endpoint{})
	pool := NewPool(memCerts{}, reg, time.Hour)
	pool.IsNotFound = func(err error) bool { return errors.Is(err, errNoSuchCert) }
	r.h = newTestHandler(t, HandlerConfig{
		Pool: pool, Resolver: fixedResolver{ds: ds, drops: drops}, Queue: r.queue, Marks: r.marks, Metrics: r.metrics,
		InvalidToken: func(_ context.Context, d *Delivery, _ time.Time) error {
			r.mu.Lock()
			r.removed = append(r.removed, d.Token)
			r.mu.Unlock()
			return nil
		},
	})
	return r
}

func noAdmission(context.Context, int) (func(), error) { return func() {}, nil }

func streamEntry(t *testing.T, redelivered bool) entry {
	t.Helper()
	return entry{stream: "s", id: "1-1", app: "app", weight: 1, redelivered: redelivered,
		payload: []byte(`{"app_id":"app","msg_id":"m1","devices":[{"cert_id":1,"token":"x"}],"title":"t","desc":"d"}`)}
}

func dev(cert int64, v vendors.Vendor, tok string) Delivery {
	return Delivery{CertID: cert, Token: tok, Vendor: v, Notif: &vendors.Notification{ID: "m1", Title: "t", Body: "d"}}
}

func eventsByToken(evs []Event) map[string]Event {
	out := map[string]Event{}
	for _, ev := range evs {
		out[ev.Token] = ev
	}
	return out
}

func TestNewHandlerDefaults(t *testing.T) {
	pool := NewPool(oneCert{}, vendors.NewRegistry(), time.Hour)
	h, err := NewHandler(HandlerConfig{Pool: pool, Resolver: fixedResolver{}, Queue: &recordingQueue{}})
	if err != nil {
		t.Fatal(err)
	}
	c := h.cfg
	if c.SendConcurrency != DefaultSendConcurrency || c.SendTimeout != DefaultSendTimeout || c.MaxRetry != DefaultMaxRetry ||
		c.AuthRetries != DefaultAuthRetries || c.RetryBase != 2*time.Second || c.RetryMax != 10*time.Minute {
		t.Fatalf("defaults not filled in: %+v", c)
	}
	if c.Breakers == nil || c.Log == nil || c.Now == nil {
		t.Fatal("Breakers, Log and Now must default")
	}
	if _, ok := c.Marks.(*MemoryMarks); !ok {
		t.Fatalf("Marks default to %T, want *MemoryMarks", c.Marks)
	}
	// A RetryMax below RetryBase is raised, never a cap under the base.
	h, _ = NewHandler(HandlerConfig{Pool: pool, Resolver: fixedResolver{}, Queue: &recordingQueue{}, RetryBase: time.Hour, RetryMax: time.Minute})
	if h.cfg.RetryMax < h.cfg.RetryBase {
		t.Fatalf("RetryMax %s below RetryBase %s", h.cfg.RetryMax, h.cfg.RetryBase)
	}

	for _, tc := range []struct {
		cfg  HandlerConfig
		want string
	}{
		{HandlerConfig{Resolver: fixedResolver{}, Queue: &recordingQueue{}}, "Pool"},
		{HandlerConfig{Pool: pool, Queue: &recordingQueue{}}, "Resolver"},
		{HandlerConfig{Pool: pool, Resolver: fixedResolver{}}, "Queue"},
		{HandlerConfig{Pool: pool, Resolver: fixedResolver{}, Queue: &recordingQueue{}, MaxRetry: -1}, "negative"},
	} {
		if _, err := NewHandler(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewHandler(%+v) = %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
}

// plan groups by certificate and notification and cuts each group to the
// vendor's batch size.
func TestPlanBatchesPerCertificate(t *testing.T) {
	r := newStageRig(t, nil, nil)
	other := dev(2, vendors.Huawei, "ok-h4")
	other.Notif = &vendors.Notification{ID: "m1", Title: "t", Body: "another text"}
	ds := []Delivery{dev(1, vendors.APNs, "ok-a1"), dev(2, vendors.Huawei, "ok-h1"), dev(2, vendors.Huawei, "ok-h2"),
		dev(1, vendors.APNs, "ok-a2"), dev(2, vendors.Huawei, "ok-h3"), other}
	bs := r.h.plan(ds)
	var got []string
	for _, b := range bs {
		var toks []string
		for _, d := range b.ds {
			toks = append(toks, d.Token)
		}
		got = append(got, fmt.Sprint(b.certID, toks))
	}
	want := []string{"1 [ok-a1]", "1 [ok-a2]", "2 [ok-h1 ok-h2]", "2 [ok-h3]", "2 [ok-h4]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("plan = %v, want %v (APNs one per request, Huawei two, different texts apart)", got, want)
	}
}

// One job through every stage: each outcome is recorded as its event,
// the dead token's binding is removed, the retryable and panicking
// devices go to one push:retry task, and a panic costs no other device.
func TestStagesWithoutRedis(t *testing.T) {
	ds := []Delivery{dev(1, vendors.APNs, "ok-1"), dev(1, vendors.APNs, "dead-1"), dev(1, vendors.APNs, "busy-1"),
		dev(2, vendors.Huawei, "bad-1"), dev(2, vendors.Huawei, "ok-2"), dev(1, vendors.APNs, "boom-1"), dev(9, vendors.APNs, "ok-gone")}
	r := newStageRig(t, ds, []Drop{{UserID: "u9", Rule: RuleDoNotDisturb}})
	op := r.h.runStreamJob(context.Background(), streamEntry(t, false), nil, noAdmission)
	if op == nil {
		t.Fatal("the job was handed back, want it done")
	}
	evs := eventsByToken(op.events)
	for tok, want := range map[string]string{
		"ok-1": EventSent, "ok-2": EventSent, "dead-1": EventTokenInvalid, "busy-1": EventRetrying,
		"bad-1": EventFailed, "boom-1": EventRetrying, "ok-gone": EventDropped,
	} {
		ev, ok := evs[vendors.TokenHash(tok)]
		if !ok || ev.Type != want {
			t.Errorf("%s: event %q, want %q", tok, ev.Type, want)
		}
	}
	if evs[vendors.TokenHash("ok-1")].VendorMsgID != "vm-ok-1" {
		t.Errorf("the vendor's message id is not recorded: %+v", evs[vendors.TokenHash("ok-1")])
	}
	if e := evs[vendors.TokenHash("boom-1")]; e.Code != "adapter_panic" {
		t.Errorf("the panicking device's code = %q, want adapter_panic", e.Code)
	}
	if e := evs[vendors.TokenHash("ok-gone")]; e.Rule != RuleUnknownCert {
		t.Errorf("a device of a deleted certificate: rule %q, want %q", e.Rule, RuleUnknownCert)
	}
	var dropped bool
	for _, ev := range op.events {
		dropped = dropped || (ev.Type == EventDropped && ev.UserID == "u9" && ev.Rule == RuleDoNotDisturb)
	}
	if !dropped {
		t.Error("the resolver's drop is not recorded")
	}
	if fmt.Sprint(r.removed) != "[dead-1]" {
		t.Errorf("removed bindings %v, want [dead-1]", r.removed)
	}
	var m dto.Metric
	if err := r.metrics.Panics.WithLabelValues("apns").Write(&m); err != nil || m.GetCounter().GetValue() != 1 {
		got := m.GetCounter().GetValue()
		t.Errorf("panics metric = %v, want 1", got)
	}
	if len(r.queue.tasks) != 1 || r.queue.tasks[0].Type() != TypeRetry {
		t.Fatalf("want one push:retry task for certificate 1, got %d tasks", len(r.queue.tasks))
	}
	var p RetryPayload
	if err := json.Unmarshal(r.queue.tasks[0].Payload(), &p); err != nil {
		t.Fatal(err)
	}
	var retried []string
	for _, d := range p.deliveries() {
		retried = append(retried, d.Token)
	}
	if fmt.Sprint(retried) != "[busy-1 boom-1]" {
		t.Errorf("retried %v, want [busy-1 boom-1]", retried)
	}
}

// A job of more than one wave marks each wave done as it goes; a re-run
// (the entry redelivered after a crash) skips what the marks hold.
func TestWavesAreMarkedAndARerunSkipsThem(t *testing.T) {
	ds := make([]Delivery, waveSize+44)
	for i := range ds {
		ds[i] = dev(2, vendors.Huawei, fmt.Sprintf("ok-%03d", i))
	}
	r := newStageRig(t, ds, nil)
	if op := r.h.runStreamJob(context.Background(), streamEntry(t, false), nil, noAdmission); op == nil || len(op.delKeys) != 1 {
		t.Fatalf("a job of two waves must delete its marks with the acknowledgement: %+v", op)
	}
	set := r.marks.RunSet("app", "m1")
	if left, _ := r.marks.Unsent(context.Background(), set, ds); len(left) != 0 {
		t.Fatalf("%d devices of a finished two-wave job are not marked", len(left))
	}
	_, first := r.huawei.sent()
	if first != len(ds) {
		t.Fatalf("first run sent %d devices, want %d", first, len(ds))
	}

	// The crash came before the acknowledgement: the marks are still
	// there, plus a device the first run never reached.
	r.h.cfg.Resolver = fixedResolver{ds: append(ds, dev(2, vendors.Huawei, "ok-new"))}
	r.h.runStreamJob(context.Background(), streamEntry(t, true), nil, noAdmission)
	if _, total := r.huawei.sent(); total-first != 1 {
		t.Fatalf("the re-run sent %d devices, want only the 1 not marked", total-first)
	}
}

// MemoryMarks forget a mark once its time is up.
func TestMemoryMarksExpire(t *testing.T) {
	m := NewMemoryMarks()
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	d := dev(1, vendors.APNs, "ok")
	set := m.Set("app", "m")
	if err := m.Mark(context.Background(), set, []*Delivery{&d}, now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if left, _ := m.Unsent(context.Background(), set, []Delivery{d}); len(left) != 0 {
		t.Fatal("a fresh mark is not seen")
	}
	now = now.Add(2 * time.Hour)
	if left, _ := m.Unsent(context.Background(), set, []Delivery{d}); len(left) != 1 {
		t.Fatal("an expired mark still hides the device")
	}
}

// eachBatch visits every batch once, never more than n at a time.
func TestEachBatch(t *testing.T) {
	for _, tc := range []struct{ count, n int }{{1, 32}, {5, 32}, {1000, 32}, {7, 1}, {3, 0}} {
		seen := make([]atomic.Int32, tc.count)
		var running, peak atomic.Int32
		eachBatch(tc.count, tc.n, func(i int) {
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			seen[i].Add(1)
			time.Sleep(100 * time.Microsecond)
			running.Add(-1)
		})
		for i := range seen {
			if seen[i].Load() != 1 {
				t.Fatalf("count %d, n %d: batch %d visited %d times", tc.count, tc.n, i, seen[i].Load())
			}
		}
		if limit := int32(max(tc.n, 1)); peak.Load() > limit {
			t.Fatalf("count %d, n %d: %d at once, want at most %d", tc.count, tc.n, peak.Load(), limit)
		}
	}
}
