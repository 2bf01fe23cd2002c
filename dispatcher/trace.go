package dispatcher

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// The steps of a trace besides the event types (sent, failed,
// token_invalid, dropped, retrying, and whatever else is emitted as an
// Event, e.g. the receipts delivered and clicked): each is the Step of a
// TraceEntry.
const (
	// StepResolved says how many bindings a recipient has (devices found).
	StepResolved = "resolved"
	// StepRendered is the notification rendered for one device.
	StepRendered = "rendered"
	// StepRetryScheduled says when a failed device is tried again, and why.
	StepRetryScheduled = "retry_scheduled"
)

// TraceEntry is one step of a message for one recipient or device. It
// never holds a device token, only its hash (vendors.TokenHash).
type TraceEntry struct {
	At     time.Time `json:"at"`
	Step   string    `json:"step"`
	UserID string    `json:"user_id,omitempty"`
	CertID int64     `json:"cert_id,omitempty"`
	Token  string    `json:"token,omitempty"`
	Vendor string    `json:"vendor,omitempty"`
	// Devices is the number of bindings found (StepResolved).
	Devices *int `json:"devices,omitempty"`
	// Rule names the rule that dropped a push; Setting says which setting
	// or job field made the rule apply.
	Rule    string `json:"rule,omitempty"`
	Setting string `json:"setting,omitempty"`
	// Title, Body and Badge are the rendered notification; Truncated says
	// the text was cut to the vendor's limits.
	Title     string `json:"title,omitempty"`
	Body      string `json:"body,omitempty"`
	Badge     *int   `json:"badge,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	// VendorMsgID is the vendor's id of the accepted message: the only
	// request id the vendors return (APNs apns-id, FCM name, Xiaomi
	// data.id, …).
	VendorMsgID string `json:"vendor_msg_id,omitempty"`
	// LatencyMS is how long the vendor request took, with its wait for a
	// slot of the vendor's bulkhead.
	LatencyMS *int64 `json:"latency_ms,omitempty"`
	Attempt   int    `json:"attempt,omitempty"`
	// Kind, Code and Reason classify a failure; Code is the vendor's.
	Kind   string `json:"kind,omitempty"`
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// RetryAt is when a failed device is sent again.
	RetryAt *time.Time `json:"retry_at,omitempty"`
}

// Trace is what pushd did with one message, in order.
type Trace struct {
	AppID   string       `json:"app_id"`
	MsgID   string       `json:"msg_id"`
	Entries []TraceEntry `json:"entries"`
	// More counts the entries not kept: past the bound of one job run
	// (maxTraceEntries) or of one message (TraceStore.MaxMessageBytes).
	More int `json:"more,omitempty"`
}

// traceRec is a TraceEntry as stored: short names, no Setting (derived
// from the rule when read), no APNs apns-id (pushd's own, recomputed like
// the event stream does). The first entry a write appends carries its
// time (T, unix milliseconds), the next ones only the milliseconds since
// the entry before (D): a one-device job's trace is about 200 bytes.
type traceRec struct {
	T  int64  `json:"t,omitempty"`
	D  int64  `json:"d,omitempty"`
	S  string `json:"s"`
	U  string `json:"u,omitempty"`
	C  int64  `json:"c,omitempty"`
	K  string `json:"k,omitempty"`
	V  string `json:"v,omitempty"`
	N  *int   `json:"n,omitempty"`
	L  string `json:"l,omitempty"`
	Ti string `json:"ti,omitempty"`
	B  string `json:"b,omitempty"`
	G  *int   `json:"g,omitempty"`
	X  bool   `json:"x,omitempty"`
	I  string `json:"i,omitempty"`
	Ms *int64 `json:"ms,omitempty"`
	A  int    `json:"a,omitempty"`
	Kd string `json:"kd,omitempty"`
	O  string `json:"o,omitempty"`
	R  string `json:"r,omitempty"`
	RA int64  `json:"ra,omitempty"`
}

func (r *traceRec) entry(msg string) TraceEntry {
	if r.I == "" && r.S == EventSent && r.V == string(vendors.APNs) && r.K != "" {
		r.I = vendors.NotificationUUID(msg, r.K)
	}
	e := TraceEntry{At: time.UnixMilli(r.T).UTC(), Step: r.S, UserID: r.U, CertID: r.C, Token: r.K, Vendor: r.V,
		Devices: r.N, Rule: r.L, Setting: RuleSetting(r.L), Title: r.Ti, Body: r.B, Badge: r.G, Truncated: r.X,
		VendorMsgID: r.I, LatencyMS: r.Ms, Attempt: r.A, Kind: r.Kd, Code: r.O, Reason: r.R}
	if r.RA != 0 {
		at := time.UnixMilli(r.RA).UTC()
		e.RetryAt = &at
	}
	return e
}

// The bounds of one job run's trace: past them, entries are only counted
// ("… N more" in the answer).
const (
	maxTraceEntries  = 500
	maxTraceRunBytes = 64 << 10
	// maxTraceReason bounds a failure's reason in a trace.
	maxTraceReason = 256
)

// traceBlob is the trace of one message to append: JSON lines.
type traceBlob struct {
	app, msg string
	data     []byte
	n, more  int
	// last is the time of the last entry kept (see traceRec.D).
	last int64
}

// traceRun builds, in memory, the trace of one job run; it is written
// once, with the job's acknowledgement. A nil *traceRun traces nothing.
type traceRun struct {
	blob traceBlob
}

func newTraceRun(app, msg string) *traceRun {
	return &traceRun{blob: traceBlob{app: app, msg: msg}}
}

// newTraceRunOf returns the trace of a run of j when c traces, else nil.
func newTraceRunOf(c *committer, j *Job) *traceRun {
	if c == nil || c.sink == nil || c.sink.Trace == nil {
		return nil
	}
	return newTraceRun(j.AppID, j.MsgID)
}

// op attaches the run's trace to op and returns op.
func (t *traceRun) op(op *commitOp) *commitOp {
	op.trace = t.done()
	return op
}

func (t *traceRun) add(r *traceRec) {
	if t == nil {
		return
	}
	t.blob.add(r)
}

// full reports whether b keeps no more entries.
func (b *traceBlob) full() bool { return b.n >= maxTraceEntries || len(b.data) >= maxTraceRunBytes }

// skipRest counts the n entries left of a loop once b is full, so a job of
// many devices spends nothing on the entries it does not keep.
func (b *traceBlob) skipRest(n int) bool {
	if !b.full() {
		return false
	}
	b.more += n
	return true
}

func (b *traceBlob) add(r *traceRec) {
	if b.full() {
		b.more++
		return
	}
	at := r.T
	if r.S == EventSent && r.V == string(vendors.APNs) && r.I == vendors.NotificationUUID(b.msg, r.K) {
		r.I = ""
	}
	if b.n > 0 {
		r.T, r.D = 0, at-b.last
	}
	line, err := json.Marshal(r)
	if err != nil {
		b.more++
		return
	}
	b.data = append(append(b.data, line...), '\n')
	b.n++
	b.last = at
}

// done returns the trace to write, nil when there is none.
func (t *traceRun) done() *traceBlob {
	if t == nil || t.blob.n+t.blob.more == 0 {
		return nil
	}
	return &t.blob
}

// resolved records the bindings found per recipient: a recipient dropped
// before its bindings were looked up (a user rule) has no resolved step.
func (t *traceRun) resolved(j *Job, ds []Delivery, drops []Drop, now time.Time) {
	if t == nil {
		return
	}
	found := map[string]int{}
	looked := map[string]bool{}
	for i := range ds {
		found[ds[i].UserID]++
		looked[ds[i].UserID] = true
	}
	for _, d := range drops {
		switch {
		case d.Token != "":
			found[d.UserID]++
			looked[d.UserID] = true
		case d.Rule == RuleNoBinding:
			looked[d.UserID] = true
		}
	}
	ms := now.UnixMilli()
	if len(j.Devices) > 0 {
		n := found[""]
		t.add(&traceRec{T: ms, S: StepResolved, N: &n})
		return
	}
	for _, u := range unique(j.Recipients) {
		if looked[u] {
			n := found[u]
			t.add(&traceRec{T: ms, S: StepResolved, U: u, N: &n})
		}
	}
}

// rendered records each delivery's notification.
func (t *traceRun) rendered(ds []Delivery, now time.Time) {
	if t == nil {
		return
	}
	for i := range ds {
		if t.blob.skipRest(len(ds) - i) {
			return
		}
		d := &ds[i]
		r := &traceRec{T: now.UnixMilli(), S: StepRendered, U: d.UserID, C: d.CertID, K: vendors.TokenHash(d.Token), V: string(d.Vendor)}
		if n := d.Notif; n != nil {
			r.Ti, r.B, r.G = n.Title, n.Body, n.Badge
			r.X = strings.HasSuffix(n.Title, vendors.Ellipsis) || strings.HasSuffix(n.Body, vendors.Ellipsis)
		}
		t.add(r)
	}
}

// events records evs; lat, when it has one duration per event, is the
// latency of the request each was the outcome of.
func (t *traceRun) events(evs []Event, lat []time.Duration) {
	t.sent(nil, evs, lat)
}

// sent records the outcomes evs of the deliveries of wave (one event per
// delivery, in order, as record returns them), with their latency. A
// vendor's reason that quotes the device token gets its hash instead.
func (t *traceRun) sent(wave []batch, evs []Event, lat []time.Duration) {
	if t == nil {
		return
	}
	var tokens []string
	for _, b := range wave {
		for _, d := range b.ds {
			tokens = append(tokens, d.Token)
		}
	}
	for i := range evs {
		if t.blob.skipRest(len(evs) - i) {
			return
		}
		r := eventRec(&evs[i])
		if len(lat) == len(evs) && evs[i].Type != EventDropped {
			ms := lat[i].Milliseconds()
			r.Ms = &ms
		}
		if len(tokens) == len(evs) && r.R != "" && tokens[i] != "" {
			r.R = strings.ReplaceAll(r.R, tokens[i], vendors.TokenHash(tokens[i]))
		}
		t.add(r)
	}
}

// retryScheduled records when ds are tried again and why.
func (t *traceRun) retryScheduled(ds []Delivery, errs []error, at, now time.Time) {
	if t == nil {
		return
	}
	for i := range ds {
		if t.blob.skipRest(len(ds) - i) {
			return
		}
		d := &ds[i]
		r := &traceRec{T: now.UnixMilli(), S: StepRetryScheduled, U: d.UserID, C: d.CertID, K: vendors.TokenHash(d.Token),
			V: string(d.Vendor), RA: at.UnixMilli()}
		if i < len(errs) && errs[i] != nil {
			r.Kd, r.O, r.R = vendors.KindOf(errs[i]).String(), vendors.CodeOf(errs[i]), capReason(errs[i].Error())
		}
		t.add(r)
	}
}

// eventRec is ev as a trace entry.
func eventRec(ev *Event) *traceRec {
	at := ev.At
	if at.IsZero() {
		at = time.Now()
	}
	return &traceRec{T: at.UnixMilli(), S: ev.Type, U: ev.UserID, C: ev.CertID, K: ev.Token, V: ev.Vendor, L: ev.Rule,
		I: ev.VendorMsgID, A: ev.Attempt, Kd: ev.Kind, O: ev.Code, R: capReason(ev.Reason)}
}

// eventBlobs turns events emitted outside a job run (retries, receipts,
// the asynq path) into one trace blob per message.
func eventBlobs(evs []Event) []*traceBlob {
	var out []*traceBlob
	idx := map[[2]string]int{}
	for i := range evs {
		k := [2]string{evs[i].AppID, evs[i].MsgID}
		if k[0] == "" || k[1] == "" {
			continue
		}
		n, ok := idx[k]
		if !ok {
			n = len(out)
			idx[k] = n
			out = append(out, &traceBlob{app: k[0], msg: k[1]})
		}
		out[n].add(eventRec(&evs[i]))
	}
	return out
}

func capReason(s string) string {
	if len(s) <= maxTraceReason {
		return s
	}
	return truncateBytes(s, maxTraceReason)
}

// decodeTrace parses the stored JSON lines of msg into entries, skipping
// any line that does not parse.
func decodeTrace(msg, data string) []TraceEntry {
	var out []TraceEntry
	var last int64
	for line := range strings.SplitSeq(data, "\n") {
		var r traceRec
		if line == "" || json.Unmarshal([]byte(line), &r) != nil || r.S == "" {
			continue
		}
		if r.T == 0 {
			r.T = last + r.D
		}
		last = r.T
		out = append(out, r.entry(msg))
	}
	return out
}

// fillRecipients gives the entries that name a device but not its
// recipient — a vendor's receipt knows only the token — the recipient of
// the same device (certificate and token hash) in an earlier entry.
func fillRecipients(es []TraceEntry) {
	type dev struct {
		cert  int64
		token string
	}
	users := map[dev]string{}
	for i := range es {
		e := &es[i]
		if e.Token == "" {
			continue
		}
		k := dev{e.CertID, e.Token}
		switch {
		case e.UserID != "":
			users[k] = e.UserID
		case users[k] != "":
			e.UserID = users[k]
		}
	}
}

// sortTrace orders entries by time, keeping the order they were written
// in within a millisecond.
func sortTrace(es []TraceEntry) {
	slices.SortStableFunc(es, func(a, b TraceEntry) int { return a.At.Compare(b.At) })
}
