package dispatcher

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

func TestSettleWaitsForRedisBeforeReturning(t *testing.T) {
	down := errors.New("connection refused")
	pings := 0
	ping := func(context.Context) error {
		pings++
		if pings < 3 {
			return down
		}
		return nil
	}
	boom := errors.New("handler failed")
	h := settle(ping)(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return boom }))
	start := time.Now()
	if err := h.ProcessTask(context.Background(), asynq.NewTask(TypeMessage, nil)); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the handler's own error", err)
	}
	if pings != 3 || time.Since(start) < 2*settlePause {
		t.Fatalf("returned after %d pings and %s, want after Redis answered the third", pings, time.Since(start))
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start = time.Now()
	h = settle(func(context.Context) error { return down })(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil }))
	if err := h.ProcessTask(ctx, asynq.NewTask(TypeMessage, nil)); err != nil || time.Since(start) > time.Second {
		t.Fatalf("a cancelled task waited %s (%v)", time.Since(start), err)
	}
}
