package dispatcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/pushd/pushd/vendors"
)

// batch is up to MaxBatch deliveries through one certificate that share one
// notification, sent in one vendor request.
type batch struct {
	certID int64
	notif  *vendors.Notification
	ds     []*Delivery
	// version is the credentials' version the batch was sent with, 0
	// when no sender could be built.
	version int64
}

// outcome is what one delivery round left to do.
type outcome struct {
	// retry are the deliveries that failed with a retryable, auth or rate
	// limited error; errs[i] is the error of retry[i].
	retry []Delivery
	errs  []error
	// rateLimited is true when every retry was held back rather than
	// failed: rate limited (by the vendor or by pushd's own limit) or
	// refused locally by an open circuit breaker. Such a round is not a
	// failed attempt. retryAfter is the longest wait asked for.
	rateLimited bool
	retryAfter  time.Duration
	// auth is true when every retry failed because the vendor refused the
	// certificate's credentials.
	auth bool
	// lastErr is one of the errors behind retry, for the task's reason.
	lastErr error
}

// add records a delivery to retry with the error that failed it.
func (o *outcome) add(d Delivery, err error) {
	kind := vendors.KindOf(err)
	if len(o.retry) == 0 {
		o.rateLimited, o.auth = true, true
	}
	o.retry = append(o.retry, d)
	o.errs = append(o.errs, err)
	o.lastErr = err
	if !heldBack(kind, err) {
		o.rateLimited = false
	}
	if kind != vendors.Auth {
		o.auth = false
	}
	o.retryAfter = max(o.retryAfter, vendors.RetryAfterOf(err))
}

// byCert splits o per certificate, in the order certificates first appear:
// each certificate's devices wait for what that certificate's vendor asked,
// not for another vendor's quota.
func (o *outcome) byCert() []*outcome {
	idx := map[int64]int{}
	var out []*outcome
	for i, d := range o.retry {
		k, ok := idx[d.CertID]
		if !ok {
			k = len(out)
			idx[d.CertID] = k
			out = append(out, &outcome{})
		}
		out[k].add(d, o.errs[i])
	}
	return out
}

// deliver sends ds (skipping devices already done for this message) and
// records every outcome: done markers, events, metrics, dead tokens. It is
// the push:retry and asynq push:message path; the job stream runs the same
// stages in waves (Engine).
func (h *Handler) deliver(ctx context.Context, app, msg string, expireAt time.Time, ds []Delivery, attempt int) (*outcome, error) {
	set := h.cfg.Marks.Set(app, msg)
	ds, err := h.cfg.Marks.Unsent(ctx, set, ds)
	if err != nil {
		return nil, err
	}
	bs := h.plan(ds)
	out, evs, done := h.record(ctx, app, msg, bs, h.send(ctx, bs), attempt)
	h.emit(ctx, evs)
	if err := h.cfg.Marks.Mark(ctx, set, done, expireAt); err != nil {
		// The sends happened; a lost marker only risks a duplicate, which
		// the vendor collapse id replaces. Report it for the retry.
		return out, err
	}
	return out, nil
}

// send sends every batch, at most SendConcurrency at once for this job
// (each vendor's bulkhead bounds them across jobs), and returns one
// Result per delivery of each batch.
func (h *Handler) send(ctx context.Context, bs []batch) [][]vendors.Result {
	results, _ := h.sendTimed(ctx, bs, false)
	return results
}

// plan groups ds by certificate and identical notification, and cuts the
// groups to each vendor's batch size. Deliveries rendered together (the
// same share and badge) are grouped without comparing notifications.
func (h *Handler) plan(ds []Delivery) []batch {
	type key struct {
		cert  int64
		share int
		badge int
		notif string
	}
	groups := map[key]*batch{}
	var order []key
	for i := range ds {
		d := &ds[i]
		k := key{cert: d.CertID, share: d.share, badge: -1}
		if d.Notif != nil && d.Notif.Badge != nil {
			k.badge = *d.Notif.Badge
		}
		if d.share == 0 {
			b, _ := json.Marshal(d.Notif)
			k.notif = string(b)
		}
		g := groups[k]
		if g == nil {
			g = &batch{certID: d.CertID, notif: d.Notif}
			groups[k] = g
			order = append(order, k)
		}
		g.ds = append(g.ds, d)
	}
	out := make([]batch, 0, len(order))
	for _, k := range order {
		g := groups[k]
		size := h.batchSize(g.certID, g.ds[0].Vendor)
		for start := 0; start < len(g.ds); start += size {
			end := min(start+size, len(g.ds))
			out = append(out, batch{certID: g.certID, notif: g.notif, ds: g.ds[start:end]})
		}
	}
	return out
}

// batchSize is the vendor's MaxBatch; deliveries whose sender cannot be built
// go one per batch (they fail alike anyway).
func (h *Handler) batchSize(certID int64, _ vendors.Vendor) int {
	s, _, err := h.cfg.Pool.Sender(context.Background(), certID)
	if err != nil || s == nil || s.MaxBatch() < 1 {
		return 1
	}
	return s.MaxBatch()
}

// errUnknownCert is the per-device error of a delivery whose certificate is
// gone (deleted between resolve and send).
var errUnknownCert = errors.New("certificate not found")

// sendBatch sends one batch and returns one Result per delivery. The send
// waits for a slot of its vendor's bulkhead, so a slow vendor holds only
// its own slots; a panicking adapter fails the batch as retryable.
func (h *Handler) sendBatch(ctx context.Context, b *batch) []vendors.Result {
	tokens := make([]string, len(b.ds))
	for i, d := range b.ds {
		tokens[i] = d.Token
	}
	s, cred, err := h.cfg.Pool.Sender(ctx, b.certID)
	if err != nil {
		if h.cfg.Pool.notFound(err) {
			err = errUnknownCert
		} else {
			err = &vendors.Error{Vendor: b.ds[0].Vendor, Kind: vendors.Retryable, Code: "sender_unavailable", Message: err.Error()}
		}
		return vendors.Fail(tokens, err)
	}
	if cred != nil {
		b.version = cred.Version
	}
	release, err := h.cfg.Bulkheads.Acquire(ctx, s.Vendor())
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	defer release()
	// Admission comes after the wait for a slot: a breaker that opened
	// while this send waited holds it back.
	if err := h.admit(ctx, s.Vendor(), b.certID); err != nil {
		return vendors.Fail(tokens, err)
	}
	start := time.Now()
	rs := h.guardedSend(ctx, s, b.notif, tokens)
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.SendSeconds.WithLabelValues(string(s.Vendor())).Observe(time.Since(start).Seconds())
	}
	if len(rs) != len(tokens) {
		// An adapter bug must not lose devices: treat the batch as failed.
		rs = vendors.Fail(tokens, &vendors.Error{Vendor: s.Vendor(), Kind: vendors.Retryable, Code: "adapter_result_mismatch",
			Message: "adapter returned " + strconv.Itoa(len(rs)) + " results for " + strconv.Itoa(len(tokens)) + " tokens"})
	}
	h.cfg.Breakers.Record(b.certID, rs)
	h.cfg.Parking.Record(ctx, b.certID, rs)
	return rs
}

// guardedSend calls the adapter with the vendor's deadline and turns a
// panic into a retryable failure of the batch.
func (h *Handler) guardedSend(ctx context.Context, s vendors.Sender, n *vendors.Notification, tokens []string) (rs []vendors.Result) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.SendTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			if h.cfg.Metrics != nil {
				h.cfg.Metrics.Panics.WithLabelValues(string(s.Vendor())).Inc()
			}
			h.cfg.Log.Error("adapter panicked; the batch will be retried", "vendor", s.Vendor(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			rs = vendors.Fail(tokens, &vendors.Error{Vendor: s.Vendor(), Kind: vendors.Retryable, Code: "adapter_panic",
				Message: fmt.Sprintf("adapter panicked: %v", p)})
		}
	}()
	return s.Send(ctx, n, tokens)
}

// codeCircuitOpen is the code of a send the circuit breaker held back: no
// request was made, so it is not a failed attempt.
const codeCircuitOpen = "circuit_open"

// heldBack reports whether a result is a wait rather than a failure.
func heldBack(kind vendors.Kind, err error) bool {
	return kind == vendors.RateLimited || vendors.CodeOf(err) == codeCircuitOpen
}

// admit decides whether a request through cert may go now: not while its
// circuit breaker is open, and not beyond its rate limit. The breaker's
// half-open probe is claimed last, so a request the rate limit holds back
// never leaves the breaker waiting for a probe that was not sent.
func (h *Handler) admit(ctx context.Context, v vendors.Vendor, cert int64) error {
	circuitOpen := func(w time.Duration) error {
		return &vendors.Error{Vendor: v, Kind: vendors.Retryable, Code: codeCircuitOpen,
			Message: "vendor failing repeatedly; circuit breaker open", RetryAfter: w}
	}
	if until, code := h.cfg.Parking.Until(ctx, cert); !until.IsZero() {
		return &vendors.Error{Vendor: v, Kind: vendors.RateLimited, Code: code,
			Message:    fmt.Sprintf("certificate %d parked until %s: the vendor's quota is exhausted", cert, until.UTC().Format(time.RFC3339)),
			RetryAfter: time.Until(until)}
	}
	if w := h.cfg.Breakers.Holding(cert); w > 0 {
		return circuitOpen(w)
	}
	back, err := h.cfg.Limits.Wait(ctx, cert)
	if err != nil && ctx.Err() == nil {
		h.cfg.Log.Warn("rate limit unavailable; sending unthrottled", "cert_id", cert, "err", err)
	}
	if back > 0 {
		return &vendors.Error{Vendor: v, Kind: vendors.RateLimited, Code: "pushd_rate_limit",
			Message: fmt.Sprintf("certificate %d is over its rate limit of %g requests/s", cert, h.cfg.Limits.Rate(cert)), RetryAfter: back}
	}
	if w := h.cfg.Breakers.Wait(cert); w > 0 {
		return circuitOpen(w)
	}
	return nil
}
