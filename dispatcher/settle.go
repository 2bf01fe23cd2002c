package dispatcher

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// Settle bounds and paces the wait for Redis after a task's handler
// returns. It stays well under asynq's 30 s task lease, which the worker
// cannot extend while Redis is away: past the lease, asynq leaves the task
// to its recoverer anyway.
const (
	settleMax   = 20 * time.Second
	settlePause = 100 * time.Millisecond
)

// settle is middleware that, once a task's handler has returned, holds the
// task until Redis answers again (at most settleMax), so that asynq's
// write of the task's outcome (completed, retry, archived) finds Redis up.
//
// asynq v0.26 retries a failed outcome write from its syncer with a
// context its processor has already cancelled (the deferred cancel added
// by hibiken/asynq#926), so the retry can never succeed: the task stays
// "active" until its lease expires and the recoverer, which runs once a
// minute and only takes leases expired for 30 s, requeues it — one to two
// minutes late. Holding the handler's return until Redis is back shrinks
// that window from the whole outage to the instant between the ping and
// the write.
func settle(ping func(context.Context) error) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			waitForRedis(ctx, ping)
			return err
		})
	}
}

// waitForRedis polls ping until it succeeds, ctx ends or settleMax passes.
func waitForRedis(ctx context.Context, ping func(context.Context) error) {
	deadline := time.Now().Add(settleMax)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := ping(pctx)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return
		}
		t := time.NewTimer(settlePause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}
