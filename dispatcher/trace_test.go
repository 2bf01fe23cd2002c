package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

func steps(es []TraceEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Step + ":" + e.UserID + ":" + e.Rule
	}
	return out
}

// The builder records, per recipient, the bindings found (only for those
// whose bindings were looked up), and per device the rendered text.
func TestTraceRunResolvedAndRendered(t *testing.T) {
	now := time.UnixMilli(1_764_633_600_000)
	badge := 3
	cases := []struct {
		name  string
		job   Job
		ds    []Delivery
		drops []Drop
		want  []string
		found map[string]int
	}{
		{
			name: "recipients",
			job:  Job{Recipients: []string{"a", "b", "c", "d", "a"}},
			ds: []Delivery{{UserID: "a", CertID: 1, Token: "tok-a1", Vendor: vendors.APNs,
				Notif: &vendors.Notification{Title: "Denny", Body: "hello" + vendors.Ellipsis, Badge: &badge}}},
			drops: []Drop{{UserID: "a", CertID: 2, Token: "tok-a2", Rule: RuleForeground}, {UserID: "b", Rule: RuleDoNotDisturb},
				{UserID: "c", Rule: RuleNoBinding}, {UserID: "d", CertID: 1, Token: "tok-d", Rule: RuleBindingExpired}},
			want:  []string{"resolved:a:", "resolved:c:", "resolved:d:", "rendered:a:"},
			found: map[string]int{"a": 2, "c": 0, "d": 1},
		},
		{
			name:  "devices",
			job:   Job{Devices: []Device{{CertID: 1, Token: "t1"}, {CertID: 9, Token: "t2"}}},
			ds:    []Delivery{{CertID: 1, Token: "t1", Vendor: vendors.FCM, Notif: &vendors.Notification{Body: "x"}}},
			drops: []Drop{{CertID: 9, Token: "t2", Rule: RuleUnknownCert}},
			want:  []string{"resolved::", "rendered::"},
			found: map[string]int{"": 2},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTraceRun("app", "m1")
			tr.resolved(&tc.job, tc.ds, tc.drops, now)
			tr.rendered(tc.ds, now)
			got := decodeTrace("m1", string(tr.done().data))
			if fmt.Sprint(steps(got)) != fmt.Sprint(tc.want) {
				t.Fatalf("steps %v, want %v", steps(got), tc.want)
			}
			for _, e := range got {
				if e.Step == StepResolved && (e.Devices == nil || *e.Devices != tc.found[e.UserID]) {
					t.Errorf("resolved %q: devices %v, want %d", e.UserID, e.Devices, tc.found[e.UserID])
				}
				if e.Step == StepRendered && (e.Token == "" || strings.Contains(e.Token, "t1") || strings.Contains(e.Token, "tok")) {
					t.Errorf("rendered entry carries token %q, want its hash", e.Token)
				}
				if !e.At.Equal(now) {
					t.Errorf("at %v, want %v", e.At, now)
				}
			}
			if tc.name == "recipients" {
				r := got[3]
				if r.Title != "Denny" || !r.Truncated || r.Badge == nil || *r.Badge != 3 || r.Vendor != "apns" {
					t.Errorf("rendered %+v", r)
				}
			}
		})
	}
}

// Events keep their fields, get the latency of their request, and a drop
// names what caused it.
func TestTraceRunEvents(t *testing.T) {
	at := time.Now().Truncate(time.Millisecond)
	evs := []Event{
		{Type: EventDropped, UserID: "u1", Rule: RuleReceiveNoNotify, At: at},
		{Type: EventSent, UserID: "u2", CertID: 4, Token: "hash-2", Vendor: "fcm", VendorMsgID: "projects/p/messages/1", At: at},
		{Type: EventRetrying, UserID: "u3", Kind: "retryable", Code: "503", Reason: strings.Repeat("x", 1000), At: at},
	}
	tr := newTraceRun("app", "m")
	tr.events(evs[:1], nil)
	tr.events(evs[1:], []time.Duration{12 * time.Millisecond, 40 * time.Millisecond})
	got := decodeTrace("m1", string(tr.done().data))
	if len(got) != 3 {
		t.Fatalf("%d entries", len(got))
	}
	if got[0].Rule != RuleReceiveNoNotify || !strings.Contains(got[0].Setting, "muted") || got[0].LatencyMS != nil {
		t.Errorf("drop %+v", got[0])
	}
	if got[1].VendorMsgID != "projects/p/messages/1" || got[1].LatencyMS == nil || *got[1].LatencyMS != 12 || got[1].CertID != 4 {
		t.Errorf("sent %+v", got[1])
	}
	if got[2].Code != "503" || len(got[2].Reason) > maxTraceReason || *got[2].LatencyMS != 40 {
		t.Errorf("retrying %+v (reason %d bytes)", got[2], len(got[2].Reason))
	}
}

// A run's trace is bounded: past maxTraceEntries the entries are counted.
func TestTraceRunBound(t *testing.T) {
	tr := newTraceRun("app", "m")
	var evs []Event
	for i := range maxTraceEntries + 7 {
		evs = append(evs, Event{Type: EventSent, UserID: fmt.Sprint("u", i), At: time.Now()})
	}
	tr.events(evs, nil)
	b := tr.done()
	if b.n != maxTraceEntries || b.more != 7 {
		t.Fatalf("kept %d, more %d; want %d and 7", b.n, b.more, maxTraceEntries)
	}
	var nilRun *traceRun
	nilRun.events(evs, nil)
	if nilRun.done() != nil {
		t.Fatal("a nil trace run traced")
	}
}

// TestEveryRuleHasASetting: a drop always says what caused it.
func TestEveryRuleHasASetting(t *testing.T) {
	for _, r := range []string{RuleOnlineUserOnly, RuleDisabled, RuleSystemMessage, RuleGroupTips, RuleAVChatRoom,
		RuleCustomNoDesc, RuleEmptyMessage, RuleSender, RulePushOff, RuleNotReceive, RuleReceiveNoNotify,
		RuleGroupTypeDefault, RuleDoNotDisturb, RuleNoBinding, RuleForeground, RuleUnknownCert, RuleVendorMismatch,
		RuleExpired, RuleBindingExpired, RuleCoalesced} {
		if RuleSetting(r) == "" {
			t.Errorf("rule %q has no setting", r)
		}
	}
	if RuleSetting("") != "" {
		t.Error("no rule, a setting")
	}
}

// The store appends to a message's trace across writes and hours, bounds
// a message, and expires an hour's hash after the window.
func TestTraceStoreAppendsAndBounds(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	s := NewTraceStore(db.Client, "pushd:", 48*time.Hour)
	s.MaxMessageBytes = 600
	t0 := time.Date(2026, 12, 1, 23, 59, 0, 0, time.UTC)
	now := t0
	s.Now = func() time.Time { return now }
	e := func(step string, at time.Time) TraceEntry { return TraceEntry{Step: step, UserID: "u1", At: at} }
	if err := s.Write(ctx, "app", "m1", []TraceEntry{e(StepResolved, t0), e(EventRetrying, t0.Add(time.Second))}); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(2 * time.Minute) // the next hour
	if err := s.Write(ctx, "app", "m1", []TraceEntry{e("delivered", now)}); err != nil {
		t.Fatal(err)
	}
	tr, err := s.Read(ctx, "app", "m1")
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(steps(tr.Entries)); got != "[resolved:u1: retrying:u1: delivered:u1:]" || tr.More != 0 {
		t.Fatalf("trace %v more %d", got, tr.More)
	}
	// Past the message's bound, entries are counted.
	var many []TraceEntry
	for range 60 {
		many = append(many, e(EventSent, now))
	}
	if err := s.Write(ctx, "app", "m1", many); err != nil {
		t.Fatal(err)
	}
	tr, _ = s.Read(ctx, "app", "m1")
	if len(tr.Entries) != 3 || tr.More != 60 {
		t.Fatalf("%d entries, more %d; want 3 and 60", len(tr.Entries), tr.More)
	}
	// An hour's hash lives until the window has passed after its end.
	key := s.hourBase("app") + fmt.Sprint(hourOf(now))
	wantExp := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC).Add(48 * time.Hour)
	if exp := db.Client.ExpireTime(ctx, key).Val(); exp != time.Duration(wantExp.Unix())*time.Second {
		t.Errorf("expires at %v, want %v", time.Unix(int64(exp/time.Second), 0).UTC(), wantExp)
	}
	if keys := db.Client.Keys(ctx, "pushd:trace:*").Val(); len(keys) != 3 {
		t.Errorf("keys %v, want one per app and hour and the app's index", keys)
	}
	if _, err := s.Read(ctx, "other", "m1"); !errors.Is(err, ErrNoTrace) {
		t.Errorf("another app's message: %v", err)
	}
}

// Past an app's budget its oldest hours go, so the newest traces are
// kept; an hour alone past the budget traces no new message.
func TestTraceStoreKeepsTheNewest(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	s := NewTraceStore(db.Client, "pushd:", 0)
	s.AppBytes = 2000
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	write := func(from, to int) {
		for i := from; i < to; i++ {
			if err := s.Write(ctx, "busy", fmt.Sprint("n", i), []TraceEntry{{Step: EventSent, UserID: "u1", At: now}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 30) // hour 10
	now = now.Add(time.Hour)
	write(30, 60) // hour 11: past the budget, hour 10 goes
	if _, err := s.Read(ctx, "busy", "n0"); !errors.Is(err, ErrNoTrace) {
		t.Errorf("the oldest hour's message: %v, want it evicted", err)
	}
	if _, err := s.Read(ctx, "busy", "n59"); err != nil {
		t.Errorf("the newest message: %v", err)
	}
	idx := s.index("busy")
	total, _ := db.Client.HGet(ctx, idx, traceTotalField).Int()
	if total > 2000 || total == 0 {
		t.Errorf("%d bytes of traces, budget 2000", total)
	}
	if n := db.Client.Exists(ctx, s.hourBase("busy")+fmt.Sprint(hourOf(now)-1)).Val(); n != 0 {
		t.Error("the evicted hour's hash is still there")
	}
	write(60, 200) // hour 11 alone past the budget
	if _, err := s.Read(ctx, "busy", "n199"); !errors.Is(err, ErrNoTrace) {
		t.Errorf("a message past the budget: %v", err)
	}
	if n, _ := db.Client.HGet(ctx, idx, traceDropField).Int(); n == 0 {
		t.Error("no message counted as not traced")
	}
	if total, _ := db.Client.HGet(ctx, idx, traceTotalField).Int(); total > 2000 {
		t.Errorf("%d bytes of traces, budget 2000", total)
	}
	// Hours past the window are forgotten from the index.
	now = now.Add(DefaultTraceWindow + 2*time.Hour)
	write(200, 201)
	fields := db.Client.HKeys(ctx, idx).Val()
	hours := slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, " ") })
	if fmt.Sprint(hours) != fmt.Sprint([]int64{hourOf(now)}) {
		t.Errorf("index hours %v, want only the current one", hours)
	}
	if total, _ := db.Client.HGet(ctx, idx, traceTotalField).Int(); total > 100 {
		t.Errorf("%d bytes counted after the window, want only the last message's", total)
	}
}

// The committer writes a run's trace with its acknowledgement, and the
// trace of events alone (an op without one); StreamSink.Emit traces what
// it emits, so a receipt emitted later joins the message's trace.
func TestCommitterAndEmitTrace(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	s := NewJobStream(db.Client, time.Hour)
	if err := s.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	sink := NewStreamSink(db.Client, "pushd:", 1000)
	c := newCommitter(db.Client, s, sink, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	tr := newTraceRun("app", "m1")
	tr.resolved(&Job{Recipients: []string{"u1"}}, []Delivery{{UserID: "u1", CertID: 1, Token: "tok", Vendor: vendors.APNs,
		Notif: &vendors.Notification{Body: "hi"}}}, nil, time.Now())
	sent := Event{Type: EventSent, AppID: "app", MsgID: "m1", UserID: "u1", CertID: 1, Token: vendors.TokenHash("tok"), At: time.Now()}
	tr.events([]Event{sent}, []time.Duration{5 * time.Millisecond})
	ops := []*commitOp{
		tr.op(&commitOp{events: []Event{sent}, done: make(chan struct{})}),
		{events: []Event{{Type: EventDropped, AppID: "app", MsgID: "m2", UserID: "u9", Rule: RulePushOff, At: time.Now()}}, done: make(chan struct{})},
	}
	for _, op := range ops {
		c.submit(op)
	}
	for _, op := range ops {
		<-op.done
	}
	c.close(time.Second)
	sink.Emit(ctx, []Event{{Type: "delivered", AppID: "app", MsgID: "m1", UserID: "u1", CertID: 1, Token: sent.Token, At: time.Now().Add(time.Second)}})
	store := NewTraceStore(db.Client, "pushd:", 0)
	got, err := store.Read(ctx, "app", "m1")
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(steps(got.Entries)); s != "[resolved:u1: sent:u1: delivered:u1:]" {
		t.Fatalf("m1 %v", s)
	}
	if got.Entries[1].LatencyMS == nil || *got.Entries[1].LatencyMS != 5 {
		t.Errorf("sent %+v", got.Entries[1])
	}
	got, err = store.Read(ctx, "app", "m2")
	if err != nil || len(got.Entries) != 1 || got.Entries[0].Rule != RulePushOff {
		t.Fatalf("m2 %+v %v", got, err)
	}
	// Tracing off: nothing written.
	sink.Trace = nil
	sink.Emit(ctx, []Event{{Type: EventSent, AppID: "app", MsgID: "m3", At: time.Now()}})
	if _, err := store.Read(ctx, "app", "m3"); !errors.Is(err, ErrNoTrace) {
		t.Fatalf("traced with tracing off: %v", err)
	}
}

// countHook counts the commands of the pipelines a client runs, by name.
type countHook struct {
	mu   sync.Mutex
	cmds map[string]int
}

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		for _, c := range cmds {
			switch c.Name() {
			case "client", "select", "hello": // the connection's set-up
			default:
				h.cmds[c.Name()]++
			}
		}
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

// A one-device job's trace costs one command, in the committer's pipeline.
func TestOneDeviceJobTraceIsOneCommand(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	s := NewJobStream(db.Client, time.Hour)
	if err := s.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	s.Append(ctx, []EncodedJob{{AppID: "app", MsgID: "1", JSON: []byte(`{}`)}})
	es, err := s.read(ctx, "c1", &s.shards[0], []Priority{PriorityNormal}, 10, time.Second)
	if err != nil || len(es) != 1 {
		t.Fatalf("read %d entries: %v", len(es), err)
	}
	for _, traced := range []bool{false, true} {
		hook := &countHook{cmds: map[string]int{}}
		rdb := redis.NewClient(db.Options())
		rdb.AddHook(hook)
		sink := NewStreamSink(rdb, "pushd:", 1000)
		if !traced {
			sink.Trace = nil
		}
		c := newCommitter(rdb, s, sink, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		tr := newTraceRunOf(c, &Job{AppID: "app", MsgID: "1"})
		ev := Event{Type: EventSent, AppID: "app", MsgID: "1", At: time.Now()}
		tr.events([]Event{ev}, []time.Duration{time.Millisecond})
		op := tr.op(&commitOp{ack: es[0].ref(), events: []Event{ev}, done: make(chan struct{})})
		c.submit(op)
		<-op.done
		c.close(time.Second)
		rdb.Close()
		want := map[string]int{"xack": 1, "xdel": 1, "xadd": 1}
		if traced {
			want["eval"] = 1
		}
		if fmt.Sprint(hook.cmds) != fmt.Sprint(want) {
			t.Errorf("traced=%v: commands %v, want %v", traced, hook.cmds, want)
		}
	}
}

// Stored entries are short: times after the first as deltas, the APNs
// apns-id (pushd's own) left out; both come back when read.
func TestTraceCompactRoundTrip(t *testing.T) {
	t0 := time.UnixMilli(1_764_633_600_000).UTC()
	hash := vendors.TokenHash("tok")
	id := vendors.NotificationUUID("m1", hash)
	tr := newTraceRun("app", "m1")
	tr.events([]Event{
		{Type: EventRetrying, Vendor: "apns", Token: hash, At: t0},
		{Type: EventSent, Vendor: "apns", Token: hash, VendorMsgID: id, At: t0.Add(1500 * time.Millisecond)},
		{Type: EventSent, Vendor: "fcm", Token: hash, VendorMsgID: "projects/p/messages/9", At: t0.Add(time.Second)},
	}, nil)
	data := string(tr.done().data)
	if strings.Contains(data, id) || strings.Count(data, `"t":`) != 1 {
		t.Fatalf("stored %s", data)
	}
	got := decodeTrace("m1", data)
	want := []time.Time{t0, t0.Add(1500 * time.Millisecond), t0.Add(time.Second)}
	for i, e := range got {
		if !e.At.Equal(want[i]) {
			t.Errorf("entry %d at %v, want %v", i, e.At, want[i])
		}
	}
	if got[1].VendorMsgID != id || got[2].VendorMsgID != "projects/p/messages/9" || got[0].VendorMsgID != "" {
		t.Errorf("vendor ids %q %q %q", got[0].VendorMsgID, got[1].VendorMsgID, got[2].VendorMsgID)
	}
}

// Past the bound, a big job's entries are only counted, per kind of step.
func TestTraceRunSkipsWhenFull(t *testing.T) {
	ds := make([]Delivery, maxTraceEntries+100)
	for i := range ds {
		ds[i] = Delivery{UserID: fmt.Sprint("u", i), CertID: 1, Token: fmt.Sprint("t", i), Vendor: vendors.FCM, Notif: &vendors.Notification{Body: "x"}}
	}
	evs := make([]Event, 30)
	tr := newTraceRun("app", "m")
	tr.rendered(ds, time.Now())
	tr.events(evs, nil)
	tr.retryScheduled(ds[:10], nil, time.Now(), time.Now())
	if b := tr.done(); b.n != maxTraceEntries || b.more != 100+30+10 {
		t.Fatalf("kept %d, counted %d; want %d and 140", b.n, b.more, maxTraceEntries)
	}
}

// A vendor reason quoting the device token keeps only its hash.
func TestTraceNeverHoldsTheToken(t *testing.T) {
	tok := "0123456789abcdef0123456789abcdef"
	wave := []batch{{ds: []*Delivery{{UserID: "u", CertID: 1, Token: tok, Vendor: vendors.Huawei}}}}
	evs := []Event{{Type: EventTokenInvalid, Token: vendors.TokenHash(tok), Reason: "bad token " + tok, At: time.Now()}}
	tr := newTraceRun("app", "m")
	tr.sent(wave, evs, []time.Duration{time.Millisecond})
	data := string(tr.done().data)
	if strings.Contains(data, tok) || !strings.Contains(data, "bad token "+vendors.TokenHash(tok)) {
		t.Fatalf("stored %s", data)
	}
}

// A receipt's entry, which knows only the device, shows the recipient the
// same device was sent to; another device, or the same token of another
// certificate, does not borrow it.
func TestTraceFillsReceiptRecipients(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	es := []TraceEntry{
		{At: at, Step: EventSent, UserID: "alice", CertID: 1, Token: "h1"},
		{At: at, Step: EventSent, UserID: "bob", CertID: 1, Token: "h2"},
		{At: at.Add(time.Second), Step: EventDelivered, CertID: 1, Token: "h1"},
		{At: at.Add(time.Second), Step: EventDelivered, CertID: 2, Token: "h2"},
		{At: at.Add(2 * time.Second), Step: EventTokenInvalid, CertID: 1, Token: "h2"},
	}
	fillRecipients(es)
	for i, want := range []string{"alice", "bob", "alice", "", "bob"} {
		if es[i].UserID != want {
			t.Errorf("entry %d (%s %d/%s): recipient %q, want %q", i, es[i].Step, es[i].CertID, es[i].Token, es[i].UserID, want)
		}
	}
}
