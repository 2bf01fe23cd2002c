package dispatcher

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/vendors"
)

// waveSize bounds the deliveries sent before their outcome is recorded. A
// job of more than one wave writes the done markers of each wave as it
// goes, so a crash mid-job resumes without re-sending what was done; a job
// of one wave (every one-device job) writes no marker at all: its outcome
// and its acknowledgement are one write.
const waveSize = 256

// runStreamJob runs one job of the stream through the stages and returns
// what to write with its acknowledgement, or nil to leave the entry for
// another run (it is handed back).
//
// admit bounds the recipients and devices in memory across jobs: the job
// waits for room for its targets before it resolves them.
//
// When the committer traces (trace.enabled), the run's trace is built in
// memory and written once, with the acknowledgement.
func (h *Handler) runStreamJob(ctx context.Context, en entry, c *committer, admit func(context.Context, int) (func(), error)) *commitOp {
	var j Job
	if err := json.Unmarshal(en.payload, &j); err != nil {
		return h.slowPath(ctx, en.payload, "undecodable job: "+err.Error())
	}
	j.validated = true
	release, err := admit(ctx, len(j.Recipients)+len(j.Devices))
	if err != nil {
		return nil // shutting down: the entry runs again elsewhere
	}
	defer release()
	tr := newTraceRunOf(c, &j)
	now := h.now()
	if j.ExpireAt != nil && !j.ExpireAt.After(now) {
		h.jobOutcome(TypeMessage, "expired")
		return tr.op(&commitOp{events: h.dropEvents(&j, dropAll(&j, RuleExpired))})
	}
	ds, drops, err := h.resolvePaced(ctx, &j)
	if err != nil && ctx.Err() != nil {
		return nil // shutting down: the entry runs again elsewhere
	}
	if err != nil {
		// A job no vendor can carry is archived with its reason; a failure
		// to reach Redis or the certificate store is retried by asynq with
		// backoff, which resolves the job again.
		return h.slowPath(ctx, en.payload, err.Error())
	}
	op := &commitOp{events: h.dropEvents(&j, drops)}
	tr.resolved(&j, ds, drops, now)
	tr.events(op.events, nil)
	tr.rendered(ds, h.now())
	expire := j.Expiry(now.Add(DefaultExpiry))
	markKey := h.cfg.Marks.RunSet(j.AppID, j.MsgID)
	if en.redelivered {
		// A previous run may have done part of the job.
		if ds, err = h.cfg.Marks.Unsent(ctx, markKey, ds); err != nil {
			return nil
		}
	}
	bs := h.plan(ds)
	waves := cutWaves(bs, waveSize)
	total := &outcome{}
	for _, wave := range waves {
		results, lat := h.sendTimed(ctx, wave, tr != nil)
		out, evs, done := h.record(ctx, j.AppID, j.MsgID, wave, results, 0)
		tr.sent(wave, evs, lat)
		op.events = append(op.events, evs...)
		total.merge(out)
		if len(waves) > 1 && len(done) > 0 {
			h.markWave(ctx, c, markKey, done, expire)
		}
	}
	if len(waves) > 1 || en.redelivered {
		op.delKeys = []string{markKey}
	}
	if len(total.retry) == 0 {
		h.jobOutcome(TypeMessage, "done")
		return tr.op(op)
	}
	if err := h.retryHard(ctx, &j, total, tr); err != nil {
		h.cfg.Log.Warn("could not schedule the retry of failed devices; the job runs again", "msg_id", j.MsgID, "err", err)
		return nil
	}
	h.jobOutcome(TypeMessage, "partial")
	return tr.op(op)
}

// resolvePaced resolves j; a low-priority job's resolution (rendering
// every recipient's notification) counts in the LowPacer's window like a
// send, so a broadcast's resolutions also leave the CPU to urgent jobs.
func (h *Handler) resolvePaced(ctx context.Context, j *Job) ([]Delivery, []Drop, error) {
	if b := h.cfg.Bulkheads; b != nil && priorityOf(ctx) == PriorityLow {
		release, err := b.Pacer.acquire(ctx)
		if err != nil {
			return nil, nil, err
		}
		defer release()
	}
	return h.cfg.Resolver.Resolve(ctx, j)
}

// markWave marks a wave's devices done, with the committer's pipeline
// when there is one (the engine) and the marks are in Redis, else through
// the Markers. A lost mark
// only risks a duplicate after a crash, which the vendor's collapse id
// replaces.
func (h *Handler) markWave(ctx context.Context, c *committer, set string, done []*Delivery, expire time.Time) {
	if _, inRedis := h.cfg.Marks.(*Marks); c != nil && inRedis {
		c.submit(&commitOp{markKey: set, marks: members(done), markTTL: h.cfg.Marks.TTL(expire)})
		return
	}
	if err := h.cfg.Marks.Mark(ctx, set, done, expire); err != nil {
		h.cfg.Log.Warn("could not mark a wave of devices done", "set", set, "err", err)
	}
}

// retryHard schedules the retries of out, riding out a Redis blip of a
// few seconds.
func (h *Handler) retryHard(ctx context.Context, j *Job, out *outcome, tr *traceRun) error {
	pause := 100 * time.Millisecond
	deadline := time.Now().Add(settleMax)
	for {
		err := h.scheduleRetryTraced(ctx, j, out, tr)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		sleepCtx(ctx, pause)
		pause = min(pause*2, 2*time.Second)
	}
}

// slowPath hands a job the stream cannot finish to asynq as a push:message
// task: the asynq handler archives a bad job with its reason (visible in
// `pushd jobs failed`) and retries one whose resolution failed, with
// backoff. The stream entry is then done.
func (h *Handler) slowPath(ctx context.Context, payload []byte, why string) *commitOp {
	var head struct {
		AppID string `json:"app_id"`
		MsgID string `json:"msg_id"`
	}
	json.Unmarshal(payload, &head)
	id := TaskID(head.AppID, head.MsgID)
	_, err := h.cfg.Queue.EnqueueContext(ctx, asynq.NewTask(TypeMessage, payload),
		asynq.TaskID(id), asynq.Queue(Queue), asynq.MaxRetry(5), asynq.Retention(time.Hour))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		h.cfg.Log.Warn("could not hand a job to the retry queue; it runs again", "task_id", id, "err", err)
		return nil
	}
	h.cfg.Log.Info("job handed to the retry queue", "task_id", id, "reason", why)
	return &commitOp{}
}

// cutWaves splits bs into runs of at most size deliveries (a batch is
// never split).
func cutWaves(bs []batch, size int) [][]batch {
	var out [][]batch
	start, n := 0, 0
	for i, b := range bs {
		if n > 0 && n+len(b.ds) > size {
			out = append(out, bs[start:i])
			start, n = i, 0
		}
		n += len(b.ds)
	}
	if start < len(bs) {
		out = append(out, bs[start:])
	}
	return out
}

// merge adds o2's retries to o.
func (o *outcome) merge(o2 *outcome) {
	for i, d := range o2.retry {
		o.add(d, o2.errs[i])
	}
}

// dropEvents returns the events (and counts the metrics) of drops.
func (h *Handler) dropEvents(j *Job, drops []Drop) []Event {
	if len(drops) == 0 {
		return nil
	}
	now := h.now()
	evs := make([]Event, 0, len(drops))
	for _, d := range drops {
		h.countDrop(d.Rule)
		ev := Event{Type: EventDropped, AppID: j.AppID, MsgID: j.MsgID, UserID: d.UserID, CertID: d.CertID, Rule: d.Rule, At: now}
		if d.Token != "" {
			ev.Token = vendors.TokenHash(d.Token)
		}
		evs = append(evs, ev)
	}
	return evs
}
