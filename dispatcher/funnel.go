package dispatcher

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// What each vendor's receipts report (docs/rules.md "Receipts and the
// funnel"). APNs and FCM have no per-message receipts.
const (
	ReceiptsUnsupported       = "unsupported"
	ReceiptsDelivered         = "delivered"
	ReceiptsDeliveredAndClick = "delivered,clicked"
)

// ReceiptSupport says what receipts vendor v sends: Huawei and Honor
// report delivery only (their receipts carry a delivery status and no
// clicks; HWDOC push-msg-receipt); Xiaomi and Meizu report delivery and
// clicks (callback.type 3); OPPO's call_back_url and vivo's
// extra.callback are delivery receipts [vendor-protocols.md §5, §6].
func ReceiptSupport(v vendors.Vendor) string {
	d, ok := vendors.Lookup(v)
	switch {
	case !ok || d.Receipts == nil:
		return ReceiptsUnsupported
	case d.Receipts.Clicks:
		return ReceiptsDeliveredAndClick
	}
	return ReceiptsDelivered
}

// Funnel counts, per app and day (UTC), each vendor's sent, delivered,
// clicked, failed and token_invalid events and the drops by rule, in one
// Redis hash per app and day ("<prefix>funnel:<app>:<yyyymmdd>", kept
// keep). It is an EventSink: the job stream's committer hands it the
// events it wrote (Engine's Also sink), the receipt endpoints the receipt
// events. Each Emit costs one EVAL per app and day of its events, so the
// hot path adds at most one Redis command per committed batch of jobs,
// never one per event.
type Funnel struct {
	rdb    redis.UniversalClient
	prefix string
	keep   time.Duration
	// receipts counts receipts by vendor and kind (no app label: an app
	// label multiplies series by the number of apps, and the per-app
	// numbers are in GET /v1/apps/{app}/stats).
	receipts *prometheus.CounterVec
	// OnError is called when a write fails (logged by the caller).
	OnError func(error)
}

// funnelScript adds ARGV[2..] (field, increment pairs) to the hash KEYS[1]
// and sets its expiry to ARGV[1] seconds: one command per hash.
const funnelScript = `
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i+1])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
`

// NewFunnel returns the funnel counters, registering its receipt counter
// on reg (nil registers none).
func NewFunnel(rdb redis.UniversalClient, prefix string, keep time.Duration, reg prometheus.Registerer) *Funnel {
	f := &Funnel{rdb: rdb, prefix: prefix, keep: keep}
	f.receipts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "pushd", Name: "receipts_total",
		Help: "Vendor receipts by vendor and kind (delivered, clicked, undelivered); sends are pushd_pushes_total, drops pushd_drops_total.",
	}, []string{"vendor", "kind"})
	if reg != nil {
		if err := reg.Register(f.receipts); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				f.receipts = are.ExistingCollector.(*prometheus.CounterVec)
			}
		}
	}
	return f
}

// FunnelKey is the hash of app's counters on day (UTC).
func FunnelKey(prefix, app string, day time.Time) string {
	return prefix + "funnel:" + app + ":" + day.UTC().Format("20060102")
}

// funnelField is the counter an event adds to, or "" for none.
func funnelField(e *Event) string {
	switch e.Type {
	case EventDropped:
		return "dropped|" + e.Rule
	case EventSent, EventDelivered, EventClicked, EventFailed, EventTokenInvalid:
		return e.Vendor + "|" + e.Type
	}
	return ""
}

// Emit counts evs in one round trip.
func (f *Funnel) Emit(ctx context.Context, evs []Event) {
	pipe := f.rdb.Pipeline()
	if f.Append(ctx, pipe, evs) == 0 {
		return
	}
	if _, err := pipe.Exec(ctx); err != nil && f.OnError != nil {
		f.OnError(err)
	}
}

// Append queues the counting of evs on pipe, one EVAL per app and day of
// evs, and returns how many it queued: the committer may count in the
// pipeline that writes the events instead of a round trip of its own.
func (f *Funnel) Append(ctx context.Context, pipe redis.Pipeliner, evs []Event) int {
	incr := map[string]map[string]int64{}
	var keys []string
	for i := range evs {
		e := &evs[i]
		f.observe(e)
		field := funnelField(e)
		if field == "" {
			continue
		}
		at := e.At
		if at.IsZero() {
			at = time.Now()
		}
		key := FunnelKey(f.prefix, e.AppID, at)
		if incr[key] == nil {
			incr[key] = map[string]int64{}
			keys = append(keys, key)
		}
		incr[key][field]++
	}
	for _, k := range keys {
		args := []any{int64(f.keep / time.Second)}
		for field, n := range incr[k] {
			args = append(args, field, n)
		}
		// EVAL, not EVALSHA: a pipeline cannot fall back on NOSCRIPT,
		// and the script is a few dozen bytes.
		pipe.Eval(ctx, funnelScript, []string{k}, args...)
	}
	return len(keys)
}

func (f *Funnel) observe(e *Event) {
	switch {
	case e.Type == EventDelivered || e.Type == EventClicked:
		f.receipts.WithLabelValues(e.Vendor, e.Type).Inc()
	case e.Type == EventFailed && e.Kind == string(vendors.ReceiptUndelivered):
		f.receipts.WithLabelValues(e.Vendor, e.Kind).Inc()
	}
}

// VendorFunnel is one vendor's funnel. Delivered and Clicked are null
// where the vendor sends no such receipt (Receipts says what it sends).
type VendorFunnel struct {
	Sent         int64  `json:"sent"`
	Delivered    *int64 `json:"delivered"`
	Clicked      *int64 `json:"clicked"`
	Failed       int64  `json:"failed"`
	TokenInvalid int64  `json:"token_invalid"`
	Receipts     string `json:"receipts"`
}

// FunnelStats is an app's funnel over a window of days.
type FunnelStats struct {
	App  string `json:"app"`
	From string `json:"from"`
	To   string `json:"to"`
	Days int    `json:"days"`
	// Vendors holds every vendor that sent or failed in the window.
	Vendors map[string]*VendorFunnel `json:"vendors"`
	// Dropped counts the pushes not made, by rule.
	Dropped map[string]int64 `json:"dropped"`
}

// Stats reads app's funnel for the days days ending with the day of now
// (UTC).
func (f *Funnel) Stats(ctx context.Context, app string, days int, now time.Time) (*FunnelStats, error) {
	now = now.UTC()
	pipe := f.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, days)
	for i := range cmds {
		cmds[i] = pipe.HGetAll(ctx, FunnelKey(f.prefix, app, now.AddDate(0, 0, -i)))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, err
	}
	st := &FunnelStats{App: app, From: now.AddDate(0, 0, 1-days).Format(time.DateOnly), To: now.Format(time.DateOnly),
		Days: days, Vendors: map[string]*VendorFunnel{}, Dropped: map[string]int64{}}
	for _, c := range cmds {
		for field, val := range c.Val() {
			n, _ := strconv.ParseInt(val, 10, 64)
			st.add(field, n)
		}
	}
	return st, nil
}

func (st *FunnelStats) add(field string, n int64) {
	left, right, ok := strings.Cut(field, "|")
	if !ok {
		return
	}
	if left == "dropped" {
		st.Dropped[right] += n
		return
	}
	vf := st.vendor(left)
	switch right {
	case EventSent:
		vf.Sent += n
	case EventFailed:
		vf.Failed += n
	case EventTokenInvalid:
		vf.TokenInvalid += n
	case EventDelivered:
		addPtr(&vf.Delivered, n)
	case EventClicked:
		addPtr(&vf.Clicked, n)
	}
}

// vendor returns v's funnel, creating it with the zero counts of the
// receipts v sends.
func (st *FunnelStats) vendor(v string) *VendorFunnel {
	if vf, ok := st.Vendors[v]; ok {
		return vf
	}
	vf := &VendorFunnel{Receipts: ReceiptSupport(vendors.Vendor(v))}
	switch vf.Receipts {
	case ReceiptsDeliveredAndClick:
		vf.Delivered, vf.Clicked = new(int64), new(int64)
	case ReceiptsDelivered:
		vf.Delivered = new(int64)
	}
	st.Vendors[v] = vf
	return vf
}

func addPtr(p **int64, n int64) {
	if *p == nil {
		*p = new(int64)
	}
	**p += n
}
