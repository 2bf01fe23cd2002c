package dispatcher

import (
	"context"
	"errors"
	"time"

	"github.com/pushd/pushd/vendors"
)

// record turns the results of one round into events, metrics, removed
// dead tokens, the deliveries done (to mark) and the deliveries to retry.
// The caller writes the events and markers: at once (asynq tasks) or with
// the job's acknowledgement (the job stream).
func (h *Handler) record(ctx context.Context, app, msg string, bs []batch, results [][]vendors.Result, attempt int) (*outcome, []Event, []*Delivery) {
	out := &outcome{}
	var done []*Delivery
	var evs []Event
	now := h.now()
	for i, b := range bs {
		h.observeHealth(ctx, &bs[i], results[i])
		for j, r := range results[i] {
			d := b.ds[j]
			ev := h.event(app, msg, d, now, attempt)
			kind := r.Kind()
			if errors.Is(r.Err, errUnknownCert) {
				ev.Type, ev.Rule = EventDropped, RuleUnknownCert
				h.countDrop(RuleUnknownCert)
				done = append(done, d)
				evs = append(evs, ev)
				continue
			}
			h.countPush(d.Vendor, kind, vendors.Unclassified(r.Err))
			ev.Kind = kind.String()
			ev.Code = vendors.CodeOf(r.Err)
			if r.Err != nil {
				ev.Reason = r.Err.Error()
			}
			switch kind {
			case vendors.OK:
				ev.Type, ev.Kind, ev.VendorMsgID = EventSent, "", r.MessageID
				done = append(done, d)
			case vendors.InvalidToken:
				ev.Type = EventTokenInvalid
				done = append(done, d)
				h.removeToken(ctx, d, r.Err)
			case vendors.Rejected:
				ev.Type = EventFailed
				done = append(done, d)
			default: // Retryable, Auth, RateLimited
				ev.Type = EventRetrying
				out.add(*d, r.Err)
			}
			evs = append(evs, ev)
		}
	}
	return out, evs, done
}

func (h *Handler) event(app, msg string, d *Delivery, now time.Time, attempt int) Event {
	return Event{AppID: app, MsgID: msg, UserID: d.UserID, CertID: d.CertID,
		Token: vendors.TokenHash(d.Token), Vendor: string(d.Vendor), Attempt: attempt, At: now}
}

// removeToken drops the binding of a dead token. An APNs 410 carries when
// the token became invalid: a binding re-reported after that stays.
func (h *Handler) removeToken(ctx context.Context, d *Delivery, err error) {
	if h.cfg.InvalidToken == nil {
		return
	}
	var since time.Time
	var ve *vendors.Error
	if errors.As(err, &ve) {
		since = ve.Timestamp
	}
	if err := h.cfg.InvalidToken(ctx, d, since); err != nil {
		h.cfg.Log.Warn("could not remove the binding of an invalid token",
			"cert_id", d.CertID, "token", vendors.TokenHash(d.Token), "err", err)
	}
}

func (h *Handler) emit(ctx context.Context, evs []Event) {
	if h.cfg.Events != nil && len(evs) > 0 {
		h.cfg.Events.Emit(ctx, evs)
	}
}

func (h *Handler) countPush(v vendors.Vendor, k vendors.Kind, unclassified bool) {
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Pushes.WithLabelValues(string(v), k.String()).Inc()
	}
	if h.cfg.Metrics != nil && unclassified {
		h.cfg.Metrics.Unclassified.WithLabelValues(string(v)).Inc()
	}
}

func (h *Handler) countDrop(rule string) {
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Drops.WithLabelValues(rule).Inc()
	}
}

// drops records the rules' drops as events and metrics.
func (h *Handler) drops(ctx context.Context, j *Job, drops []Drop) {
	h.emit(ctx, h.dropEvents(j, drops))
}
