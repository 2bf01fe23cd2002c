package dispatcher

import (
	"context"
	"time"
)

// traceStoreOf returns the trace store of the stream sink in sink (itself,
// or one of a MultiSink), nil when there is none: the asynq path traces
// where its events go.
func traceStoreOf(sink EventSink) *TraceStore {
	switch s := sink.(type) {
	case *StreamSink:
		return s.Trace
	case MultiSink:
		for _, one := range s {
			if t := traceStoreOf(one); t != nil {
				return t
			}
		}
	}
	return nil
}

// asynqTrace returns the trace of a run of app's message msg on the asynq
// path (push:message, push:retry) when events are traced, else nil.
func (h *Handler) asynqTrace(app, msg string) *traceRun {
	if traceStoreOf(h.cfg.Events) == nil {
		return nil
	}
	return newTraceRun(app, msg)
}

// writeTrace writes tr (its events are traced by the sink as they are
// emitted). A failure only loses the trace.
func (h *Handler) writeTrace(ctx context.Context, tr *traceRun) {
	b := tr.done()
	store := traceStoreOf(h.cfg.Events)
	if b == nil || store == nil {
		return
	}
	pipe := store.rdb.Pipeline()
	store.queue(ctx, pipe, []*traceBlob{b})
	if _, err := pipe.Exec(ctx); err != nil {
		h.cfg.Log.Warn("could not write a message's trace", "msg_id", b.msg, "err", err)
	}
}

// traceRetry records when asynq tries the devices of a push:retry again.
func (h *Handler) traceRetry(ctx context.Context, p *RetryPayload, out *outcome, at time.Time) {
	tr := h.asynqTrace(p.AppID, p.MsgID)
	tr.retryScheduled(out.retry, out.errs, at, h.now())
	h.writeTrace(ctx, tr)
}
