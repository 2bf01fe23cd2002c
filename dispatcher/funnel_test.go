package dispatcher

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

func TestReceiptSupport(t *testing.T) {
	want := map[vendors.Vendor]string{
		vendors.APNs: ReceiptsUnsupported, vendors.FCM: ReceiptsUnsupported,
		vendors.Huawei: ReceiptsDelivered, vendors.Honor: ReceiptsDelivered,
		vendors.OPPO: ReceiptsDelivered, vendors.Vivo: ReceiptsDelivered,
		vendors.Xiaomi: ReceiptsDeliveredAndClick, vendors.Meizu: ReceiptsDeliveredAndClick,
	}
	for v, w := range want {
		if got := ReceiptSupport(v); got != w {
			t.Errorf("%s: %q, want %q", v, got, w)
		}
	}
}

// TestFunnelCountsAndStats counts a day of events on a real Redis and
// reads them back as the stats route answers them.
func TestFunnelCountsAndStats(t *testing.T) {
	db := testredis.New(t)
	reg := prometheus.NewRegistry()
	f := NewFunnel(db.Client, "pushd:", 48*time.Hour, reg)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ev := func(typ, vendor, rule string, at time.Time) Event {
		return Event{Type: typ, AppID: "app1", MsgID: "m", Vendor: vendor, Rule: rule, At: at}
	}
	f.Emit(ctx, []Event{
		ev(EventSent, "xiaomi", "", now), ev(EventSent, "xiaomi", "", now), ev(EventSent, "huawei", "", now),
		ev(EventSent, "apns", "", now), ev(EventFailed, "apns", "", now), ev(EventTokenInvalid, "fcm", "", now),
		ev(EventDropped, "", "receive_not_notify", now), ev(EventDropped, "", "receive_not_notify", now),
		ev(EventRetrying, "xiaomi", "", now), // not a funnel stage
		ev(EventSent, "xiaomi", "", now.AddDate(0, 0, -1)),
	})
	f.Emit(ctx, []Event{ev(EventDelivered, "xiaomi", "", now), ev(EventDelivered, "huawei", "", now),
		ev(EventClicked, "xiaomi", "", now)})
	st, err := f.Stats(ctx, "app1", 1, now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	want := `{"app":"app1","from":"2026-12-01","to":"2026-12-01","days":1,"vendors":{` +
		`"apns":{"sent":1,"delivered":null,"clicked":null,"failed":1,"token_invalid":0,"receipts":"unsupported"},` +
		`"fcm":{"sent":0,"delivered":null,"clicked":null,"failed":0,"token_invalid":1,"receipts":"unsupported"},` +
		`"huawei":{"sent":1,"delivered":1,"clicked":null,"failed":0,"token_invalid":0,"receipts":"delivered"},` +
		`"xiaomi":{"sent":2,"delivered":1,"clicked":1,"failed":0,"token_invalid":0,"receipts":"delivered,clicked"}},` +
		`"dropped":{"receive_not_notify":2}}`
	if string(b) != want {
		t.Fatalf("stats:\n%s\nwant\n%s", b, want)
	}
	two, err := f.Stats(ctx, "app1", 2, now)
	if err != nil || two.Vendors["xiaomi"].Sent != 3 || two.From != "2026-11-30" {
		t.Fatalf("two days: %+v, %v", two, err)
	}
	if ttl := db.Client.TTL(ctx, FunnelKey("pushd:", "app1", now)).Val(); ttl <= 0 || ttl > 48*time.Hour {
		t.Errorf("counter TTL %v, want (0, 48h]", ttl)
	}
	if n := counterValue(t, reg, "pushd_receipts_total", EventClicked, "xiaomi"); n != 1 {
		t.Errorf("pushd_receipts_total{xiaomi,clicked} = %v, want 1", n)
	}
	other, _ := f.Stats(ctx, "app2", 7, now)
	if len(other.Vendors) != 0 || len(other.Dropped) != 0 {
		t.Errorf("another app sees counts: %+v", other)
	}
}

// TestFunnelOneCommandPerAppDay checks the hot-path cost: one Emit of
// many events is one script call per app and day, in one round trip.
func TestFunnelOneCommandPerAppDay(t *testing.T) {
	db := testredis.New(t)
	rdb := redis.NewClient(db.Options())
	t.Cleanup(func() { rdb.Close() })
	hook := &countingHook{}
	rdb.AddHook(hook)
	f := NewFunnel(rdb, "pushd:", 24*time.Hour, nil)
	var evs []Event
	now := time.Now()
	for i := 0; i < 200; i++ {
		evs = append(evs, Event{Type: EventSent, AppID: "app1", Vendor: "xiaomi", At: now},
			Event{Type: EventDropped, AppID: "app2", Rule: "muted", At: now})
	}
	f.Emit(context.Background(), evs)
	if hook.pipelines != 1 || hook.cmds != 2 {
		t.Fatalf("400 events of 2 apps: %d round trips, %d commands; want 1 and 2", hook.pipelines, hook.cmds)
	}
	if n, _ := rdb.HGet(context.Background(), FunnelKey("pushd:", "app1", now), "xiaomi|sent").Int(); n != 200 {
		t.Fatalf("xiaomi|sent = %d, want 200", n)
	}
}

// countingHook counts the pipelines a client sends, other than a new
// connection's setup, and the commands of the first.
type countingHook struct{ pipelines, cmds int }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}
func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && (cmds[0].Name() == "select" || cmds[0].Name() == "client" || cmds[0].Name() == "hello") {
			return next(ctx, cmds) // a new connection's setup
		}
		if h.pipelines == 0 {
			h.cmds = len(cmds)
		}
		h.pipelines++
		return next(ctx, cmds)
	}
}

// counterValue reads one series of a counter vector from reg; labels are
// the values in the order of the label names, sorted.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i, lp := range m.GetLabel() {
				if i >= len(labels) || lp.GetValue() != labels[i] {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
