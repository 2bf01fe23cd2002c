package dispatcher

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// ServerConfig tunes the asynq server.
type ServerConfig struct {
	Concurrency     int
	ShutdownTimeout time.Duration
	// Ping checks that Redis answers; when set, a finished task waits for
	// Redis before asynq records its outcome (see settle).
	Ping func(ctx context.Context) error
}

// NewServer returns the asynq server and mux that run h. Rate-limited tasks
// do not count as failures, and retries wait as RetryDelay says.
func NewServer(redis asynq.RedisConnOpt, cfg ServerConfig, h *Handler, log *slog.Logger) (*asynq.Server, *asynq.ServeMux) {
	srv := asynq.NewServer(redis, asynq.Config{
		Concurrency:     cfg.Concurrency,
		Queues:          map[string]int{Queue: 1},
		RetryDelayFunc:  h.RetryDelay,
		IsFailure:       IsFailure,
		ShutdownTimeout: cfg.ShutdownTimeout,
		// Retries wait as long as a vendor's Retry-After (often 1–2 s):
		// checking due retries every second, not asynq's default 5 s, keeps
		// those waits close to what the vendor asked for.
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{log},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			n, _ := asynq.GetRetryCount(ctx)
			log.Warn("task failed", "type", t.Type(), "task_id", id, "retry", n, "err", err)
		}),
	})
	mux := asynq.NewServeMux()
	if cfg.Ping != nil {
		mux.Use(settle(cfg.Ping))
	}
	mux.HandleFunc(TypeMessage, h.HandleMessage)
	mux.HandleFunc(TypeRetry, h.HandleRetry)
	return srv, mux
}

// asynqLogger adapts slog to asynq's logger.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(sprint(args)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(sprint(args)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(sprint(args)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(sprint(args)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(sprint(args)) }

func sprint(args []any) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += toString(a)
	}
	return s
}

func toString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case error:
		return v.Error()
	default:
		return slog.AnyValue(v).String()
	}
}
