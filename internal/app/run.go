package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/pushd/pushd/dispatcher"
)

// Run serves the worker and the HTTP API until ctx is done, then shuts down
// gracefully: the worker stops taking jobs, in-flight jobs get
// worker.shutdown_timeout to finish, and unfinished ones return to the
// queue. ready, when not nil, is called with the API's address once it
// listens.
func (a *App) Run(ctx context.Context, ready func(addr string)) error {
	if err := CheckListen(a.Config); err != nil && !a.opts.NoAPI {
		return err
	}
	var srvErr = make(chan error, 2)
	var httpSrv *http.Server
	if !a.opts.NoAPI {
		ln, err := net.Listen("tcp", a.Config.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", a.Config.Listen, err)
		}
		// Bounded reads, writes and idle connections: a slow or idle client
		// cannot hold a connection forever. The write timeout bounds every
		// answer but the events stream, which lifts it for itself
		// (http.ResponseController.SetWriteDeadline in api/jobs.go).
		httpSrv = &http.Server{Handler: a.API, ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
			MaxHeaderBytes: 64 << 10}
		tlsCfg := a.Config.ListenTLS
		go func() {
			if tlsCfg.Enabled() {
				srvErr <- httpSrv.ServeTLS(ln, tlsCfg.CertFile, tlsCfg.KeyFile)
				return
			}
			srvErr <- httpSrv.Serve(ln)
		}()
		a.Log.Info("HTTP API listening", "addr", ln.Addr().String())
		if ready != nil {
			ready(ln.Addr().String())
		}
	}
	var worker interface{ Shutdown() }
	stopEngine := func() {}
	if !a.opts.NoWorker {
		srv, mux := dispatcher.NewServer(a.RedisOpt, dispatcher.ServerConfig{
			Concurrency: a.Config.Worker.Concurrency, ShutdownTimeout: a.Config.Worker.ShutdownTimeout,
			Ping: func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() },
		}, a.Handler, a.Log)
		if err := srv.Start(mux); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		worker = srv
		eng, err := a.NewEngine()
		if err != nil {
			srv.Shutdown()
			return err
		}
		engCtx, cancel := context.WithCancel(context.Background())
		engDone := make(chan error, 1)
		go func() { engDone <- eng.Run(engCtx) }()
		stopEngine = func() { cancel(); <-engDone }
		a.Log.Info("worker started", "max_jobs", a.Config.Worker.MaxJobs, "retry_concurrency", a.Config.Worker.Concurrency, "shards", a.Stream.Shards())
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-srvErr:
	}
	a.Log.Info("shutting down", "timeout", a.Config.Worker.ShutdownTimeout.String())
	if worker != nil {
		// The job stream's engine and asynq's retry worker wind down
		// together, each within worker.shutdown_timeout.
		done := make(chan struct{})
		go func() { stopEngine(); close(done) }()
		worker.Shutdown()
		<-done
	}
	if httpSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		httpSrv.Shutdown(sctx)
		cancel()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
