package dispatcher

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/vendors"
)

// JobResolver turns a job into deliveries and drops (Resolver does).
type JobResolver interface {
	Resolve(ctx context.Context, j *Job) ([]Delivery, []Drop, error)
}

// Enqueuer is the part of *asynq.Client the handler uses.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// HandlerConfig configures a Handler. Pool, Resolver and Queue are
// required; every other zero value is a documented default, so a Handler
// never panics on a field left out.
type HandlerConfig struct {
	// Pool hands out the Sender of each certificate (required).
	Pool *Pool
	// Resolver turns a job into deliveries and drops (required).
	Resolver JobResolver
	// Queue takes the push:retry tasks of failed devices and the jobs the
	// stream hands to asynq (required: without it nothing could be tried
	// again).
	Queue Enqueuer
	// Marks remembers the devices a message reached, so a re-run skips
	// them (NewMarks keeps them in Redis). Nil keeps them in this
	// process's memory, which survives no restart: for tests and tools.
	Marks Markers
	// Events receives the delivery events; nil writes none.
	Events EventSink
	// Metrics counts pushes, drops, outcomes and panics; nil counts none.
	Metrics *Metrics
	// Breakers hold back sends through a certificate whose vendor keeps
	// failing; nil is DefaultBreakers().
	Breakers *Breakers
	// Log is where the handler logs; nil is slog.Default().
	Log *slog.Logger
	// InvalidToken removes the binding of a dead token; since is when the
	// vendor says it died (zero when it did not say). Nil removes none.
	InvalidToken func(ctx context.Context, d *Delivery, since time.Time) error
	// SendConcurrency bounds the vendor requests in flight per job
	// (DefaultSendConcurrency when 0).
	SendConcurrency int
	// MaxRetry is how often a push:retry task is retried (DefaultMaxRetry
	// when 0; retries also stop at the message's expire_at).
	MaxRetry int
	// RetryBase and RetryMax bound the exponential backoff (2s and 10m
	// when 0).
	RetryBase, RetryMax time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CertHealth records that the vendor accepts (or rejects) a
	// certificate's credentials; nil records nothing. It is called only
	// when the verdict differs from the last one this handler recorded.
	CertHealth CertHealthFunc
	// AuthRetries is how often devices failing with vendors.Auth are
	// retried before their task is archived (DefaultAuthRetries when 0).
	AuthRetries int
	// Parking holds back certificates whose vendor quota is exhausted;
	// nil means none is parked.
	Parking *Parking
	// Limits are the per-certificate request rates; nil means unlimited.
	Limits *RateLimits
	// Bulkheads bound the requests in flight per vendor; nil means no
	// bound beyond SendConcurrency.
	Bulkheads *Bulkheads
	// SendTimeout bounds one vendor request, whatever the adapter's own
	// timeouts (DefaultSendTimeout when 0). A request that runs out of
	// time is retryable.
	SendTimeout time.Duration
}

// Defaults of HandlerConfig's zero values.
const (
	// DefaultSendConcurrency bounds a job's requests in flight when
	// HandlerConfig.SendConcurrency is 0.
	DefaultSendConcurrency = 32
	// DefaultSendTimeout bounds one vendor request when
	// HandlerConfig.SendTimeout is 0.
	DefaultSendTimeout = 30 * time.Second
	// DefaultMaxRetry is how often a push:retry is retried when
	// HandlerConfig.MaxRetry is 0.
	DefaultMaxRetry  = 8
	defaultRetryBase = 2 * time.Second
	defaultRetryMax  = 10 * time.Minute
)

// DefaultBreakers are the circuit breakers of a HandlerConfig without
// any: a certificate opens after 5 failed requests in a row, for 5 s
// doubling up to 2 min.
func DefaultBreakers() *Breakers { return NewBreakers(5, 5*time.Second, 2*time.Minute) }

// Handler runs jobs through the stages — decode and validate once,
// resolve, plan (batches per certificate), send, record — for the job
// stream (Engine) and for the push:message and push:retry tasks of asynq.
// Make one with NewHandler.
type Handler struct {
	cfg    HandlerConfig
	health healthCache
}

// NewHandler returns a Handler of cfg with its defaults filled in, or an
// error naming a required field that is missing.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	switch {
	case cfg.Pool == nil:
		return nil, errors.New("dispatcher: NewHandler needs a Pool")
	case cfg.Resolver == nil:
		return nil, errors.New("dispatcher: NewHandler needs a Resolver")
	case cfg.Queue == nil:
		return nil, errors.New("dispatcher: NewHandler needs a Queue for retries")
	case cfg.SendConcurrency < 0, cfg.MaxRetry < 0, cfg.AuthRetries < 0, cfg.RetryBase < 0, cfg.RetryMax < 0, cfg.SendTimeout < 0:
		return nil, errors.New("dispatcher: NewHandler: counts and durations must not be negative")
	}
	if cfg.Marks == nil {
		cfg.Marks = NewMemoryMarks()
	}
	if cfg.Breakers == nil {
		cfg.Breakers = DefaultBreakers()
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.SendConcurrency = cmp.Or(cfg.SendConcurrency, DefaultSendConcurrency)
	cfg.SendTimeout = cmp.Or(cfg.SendTimeout, DefaultSendTimeout)
	cfg.MaxRetry = cmp.Or(cfg.MaxRetry, DefaultMaxRetry)
	cfg.AuthRetries = cmp.Or(cfg.AuthRetries, DefaultAuthRetries)
	cfg.RetryBase = cmp.Or(cfg.RetryBase, defaultRetryBase)
	if cfg.RetryMax < cfg.RetryBase {
		cfg.RetryMax = max(defaultRetryMax, cfg.RetryBase)
	}
	return &Handler{cfg: cfg}, nil
}

// Events is where the handler writes delivery events (nil when nowhere).
func (h *Handler) Events() EventSink { return h.cfg.Events }

// Breakers are the handler's circuit breakers.
func (h *Handler) Breakers() *Breakers { return h.cfg.Breakers }

// Bulkheads are the handler's per-vendor bounds (nil when unbounded).
func (h *Handler) Bulkheads() *Bulkheads { return h.cfg.Bulkheads }

func (h *Handler) now() time.Time { return h.cfg.Now() }

// HandleMessage processes a push:message task. A job that cannot be decoded
// or is invalid is archived at once with the reason.
func (h *Handler) HandleMessage(ctx context.Context, t *asynq.Task) error {
	j, err := DecodeJob(t.Payload(), h.now())
	var fe *FieldError
	if errors.As(err, &fe) && fe.Field == "expire_at" {
		if late := expiredJob(t.Payload(), h.now()); late != nil {
			// An expired job is not malformed: it is simply too late. Each
			// of its targets is reported dropped with the rule.
			h.drops(ctx, late, dropAll(late, RuleExpired))
			h.jobOutcome(TypeMessage, "expired")
			return nil
		}
	}
	if err != nil {
		h.jobOutcome(TypeMessage, "invalid")
		return fmt.Errorf("invalid job, archived: %v: %w", err, asynq.SkipRetry)
	}
	ds, drops, err := h.cfg.Resolver.Resolve(ctx, j)
	if errors.As(err, &fe) {
		// A job no vendor can carry (an ext too large for any payload):
		// retrying cannot help.
		h.jobOutcome(TypeMessage, "invalid")
		return fmt.Errorf("job rejected, archived: %v: %w", err, asynq.SkipRetry)
	}
	if err != nil {
		h.jobOutcome(TypeMessage, "error")
		return fmt.Errorf("resolve recipients of %s: %w", j.MsgID, err)
	}
	tr := h.asynqTrace(j.AppID, j.MsgID)
	tr.resolved(j, ds, drops, h.now())
	tr.rendered(ds, h.now())
	defer h.writeTrace(ctx, tr)
	h.drops(ctx, j, drops)
	out, err := h.deliver(ctx, j.AppID, j.MsgID, j.Expiry(h.now().Add(DefaultExpiry)), ds, 0)
	if err != nil {
		h.jobOutcome(TypeMessage, "error")
		return fmt.Errorf("deliver %s: %w", j.MsgID, err)
	}
	if len(out.retry) > 0 {
		if err := h.scheduleRetryTraced(ctx, j, out, tr); err != nil {
			return err
		}
		h.jobOutcome(TypeMessage, "partial")
		return nil
	}
	h.jobOutcome(TypeMessage, "done")
	return nil
}

// scheduleRetry enqueues the failed deliveries as one push:retry task per
// certificate. Their ids are derived from the message and the certificate,
// so a re-run of the same push:message (after a crash) schedules nothing
// twice.
func (h *Handler) scheduleRetry(ctx context.Context, j *Job, out *outcome) error {
	return h.scheduleRetryTraced(ctx, j, out, nil)
}

// scheduleRetryTraced is scheduleRetry; tr, when not nil, records when
// each device is tried again, and why.
func (h *Handler) scheduleRetryTraced(ctx context.Context, j *Job, out *outcome, tr *traceRun) error {
	for _, o := range out.byCert() {
		if err := h.scheduleCertRetry(ctx, j, o, tr); err != nil {
			return err
		}
	}
	return nil
}

// scheduleCertRetry enqueues one certificate's failed deliveries, delayed as
// its vendor asked: a quota reset, a Retry-After, or the first backoff —
// never earlier, and never past the message's expire_at: devices whose
// retry could only come after it are dropped as expired now.
func (h *Handler) scheduleCertRetry(ctx context.Context, j *Job, o *outcome, tr *traceRun) error {
	now := h.now()
	cert := o.retry[0].CertID
	expireAt := j.Expiry(now.Add(DefaultExpiry))
	delay := max(h.backoff(0), o.retryAfter)
	if o.rateLimited {
		delay = max(o.retryAfter, time.Second)
	}
	at := notEarly(now.Add(delay))
	if !at.Before(expireAt) {
		h.expireNow(ctx, j.AppID, j.MsgID, o.retry)
		return nil
	}
	notBefore := time.Time{}
	if o.retryAfter > 0 {
		notBefore = now.Add(o.retryAfter)
	}
	for i, p := range newRetryPayloads(j.AppID, j.MsgID, expireAt, notBefore, o.retry) {
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode retry of %s: %w", j.MsgID, err)
		}
		id := RetryTaskID(j.AppID, j.MsgID, cert)
		if i > 0 {
			id += ":" + strconv.Itoa(i)
		}
		_, err = h.cfg.Queue.EnqueueContext(ctx, asynq.NewTask(TypeRetry, b),
			asynq.TaskID(id), asynq.Queue(Queue), asynq.MaxRetry(h.cfg.MaxRetry),
			asynq.ProcessAt(at), asynq.Retention(time.Hour), asynq.Deadline(expireAt))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("schedule retry of %s: %w", j.MsgID, err)
		}
	}
	tr.retryScheduled(o.retry, o.errs, at, now)
	return nil
}

// expireNow drops ds of a message as expired.
func (h *Handler) expireNow(ctx context.Context, app, msg string, ds []Delivery) {
	drops := make([]Drop, len(ds))
	for i, d := range ds {
		drops[i] = Drop{UserID: d.UserID, CertID: d.CertID, Token: d.Token, Rule: RuleExpired}
	}
	h.drops(ctx, &Job{AppID: app, MsgID: msg}, drops)
}

// HandleRetry processes a push:retry task. Devices still failing make the
// task fail, and asynq retries it with RetryDelay; devices done in between
// are skipped through the done markers.
func (h *Handler) HandleRetry(ctx context.Context, t *asynq.Task) error {
	var p RetryPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		h.jobOutcome(TypeRetry, "invalid")
		return fmt.Errorf("invalid retry task, archived: %v: %w", err, asynq.SkipRetry)
	}
	now := h.now()
	if !p.ExpireAt.IsZero() && now.After(p.ExpireAt) {
		h.expire(ctx, &p)
		return nil
	}
	if wait := p.NotBefore.Sub(now); wait > 0 {
		// Run early (asynq rounds its schedule to seconds): wait out the
		// vendor's time without counting an attempt.
		return &retryError{rateLimited: true, after: wait, delay: wait + time.Second, cause: errors.New("before the vendor's Retry-After")}
	}
	attempt, _ := asynq.GetRetryCount(ctx)
	out, err := h.deliver(ctx, p.AppID, p.MsgID, p.ExpireAt, p.deliveries(), attempt+1)
	if err != nil {
		return fmt.Errorf("deliver %s: %w", p.MsgID, err)
	}
	if len(out.retry) == 0 {
		h.jobOutcome(TypeRetry, "done")
		return nil
	}
	if out.auth && attempt+1 >= h.cfg.AuthRetries {
		// The credentials are refused: more retries cannot help until an
		// operator rotates them and replays the archived task.
		h.giveUp(ctx, &p, out, "certificate credentials rejected")
		return fmt.Errorf("%d devices failing because the vendor rejects certificate credentials (auth) after %d retries, archived: %v: %w",
			len(out.retry), attempt+1, out.lastErr, asynq.SkipRetry)
	}
	if maxRetry, ok := asynq.GetMaxRetry(ctx); ok && attempt >= maxRetry && !out.rateLimited {
		h.giveUp(ctx, &p, out, "retries exhausted")
		return fmt.Errorf("%d devices still failing after %d retries: %v: %w", len(out.retry), attempt, out.lastErr, asynq.SkipRetry)
	}
	re := &retryError{devices: len(out.retry), rateLimited: out.rateLimited, after: out.retryAfter, cause: out.lastErr}
	re.delay = h.retryDelay(attempt, re)
	if !p.ExpireAt.IsZero() && !now.Add(re.delay).Before(p.ExpireAt) {
		// The next attempt would come after the message expired.
		h.expireNow(ctx, p.AppID, p.MsgID, out.retry)
		h.jobOutcome(TypeRetry, "expired")
		return nil
	}
	h.traceRetry(ctx, &p, out, now.Add(re.delay))
	h.jobOutcome(TypeRetry, "retry")
	return re
}

// expire drops what is left of a message whose expire_at has passed.
func (h *Handler) expire(ctx context.Context, p *RetryPayload) {
	left, err := h.cfg.Marks.Unsent(ctx, h.cfg.Marks.Set(p.AppID, p.MsgID), p.deliveries())
	if err != nil {
		left = p.deliveries()
	}
	h.expireNow(ctx, p.AppID, p.MsgID, left)
	h.jobOutcome(TypeRetry, "expired")
}

// giveUp reports the devices left to retry as failed, with why.
func (h *Handler) giveUp(ctx context.Context, p *RetryPayload, out *outcome, why string) {
	now := h.now()
	evs := make([]Event, len(out.retry))
	for i := range out.retry {
		ev := h.event(p.AppID, p.MsgID, &out.retry[i], now, 0)
		ev.Type, ev.Reason = EventFailed, fmt.Sprint(why, ": ", out.lastErr)
		ev.Kind, ev.Code = vendors.KindOf(out.lastErr).String(), vendors.CodeOf(out.lastErr)
		evs[i] = ev
	}
	h.emit(ctx, evs)
	h.jobOutcome(TypeRetry, "exhausted")
}

// expiredJob returns the job in payload when its expire_at has passed, nil
// otherwise. Such a job was valid when enqueued and is simply too late: it
// is dropped, not archived (an unparseable or too distant expire_at is
// archived like any bad field). DecodeJob checks expire_at last, so every
// other field of a job refused for it is valid.
func expiredJob(payload []byte, now time.Time) *Job {
	var j Job
	if json.Unmarshal(payload, &j) != nil || j.ExpireAt == nil || j.ExpireAt.After(now) {
		return nil
	}
	return &j
}

func (h *Handler) jobOutcome(typ, outcome string) {
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Jobs.WithLabelValues(typ, outcome).Inc()
	}
}

// retryError makes asynq retry a push:retry task. A held-back one (rate
// limited, or refused by an open breaker) does not count as a failure and
// waits as long as asked.
type retryError struct {
	devices     int
	rateLimited bool
	after       time.Duration
	// delay, when set, is the wait decided by HandleRetry (RetryDelay
	// returns it as is).
	delay time.Duration
	cause error
}

func (e *retryError) Error() string {
	what := "retryable failure"
	if e.rateLimited {
		what = "held back by a rate limit or an open circuit breaker"
	}
	return fmt.Sprintf("%d devices to retry (%s): %v", e.devices, what, e.cause)
}

func (e *retryError) Unwrap() error { return e.cause }

// IsFailure is the asynq Config.IsFailure: rate limits and sends held back
// by an open circuit breaker do not burn retries (no request failed; the
// job's expire_at still bounds how long it waits).
func IsFailure(err error) bool {
	var re *retryError
	return !(errors.As(err, &re) && re.rateLimited)
}

// RetryDelay is the asynq Config.RetryDelayFunc: the vendor's Retry-After
// for rate limits, else exponential backoff with full jitter, capped, and
// never shorter than what the vendor asked.
func (h *Handler) RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	var re *retryError
	if errors.As(err, &re) {
		if re.delay > 0 {
			return re.delay
		}
		return h.retryDelay(n, re)
	}
	return h.backoff(n)
}

// retryDelay is the wait before attempt n+1 of a push:retry. asynq keeps
// the retry time in whole seconds, truncated: a wait the vendor asked for
// gets a second more, so the retry never comes before the vendor's time.
func (h *Handler) retryDelay(n int, re *retryError) time.Duration {
	if re.rateLimited {
		return max(re.after, time.Second) + time.Second
	}
	d := h.backoff(n)
	if re.after > 0 {
		d = max(d, re.after+time.Second)
	}
	return d
}

// backoff is RetryBase·2ⁿ with jitter in [½, 1], capped at RetryMax.
func (h *Handler) backoff(n int) time.Duration {
	base, ceil := h.cfg.RetryBase, h.cfg.RetryMax
	d := base << min(n, 30)
	if d <= 0 || d > ceil {
		d = ceil
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
