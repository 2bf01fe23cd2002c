package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
)

// Deps are what the API serves.
type Deps struct {
	// Intake queues new jobs (a *dispatcher.Intake on the job stream);
	// Guard, when set, is the Redis memory watch /readyz reports.
	Intake    JobIntake
	Guard     *dispatcher.MemoryGuard
	Queue     dispatcher.Enqueuer
	Certs     *certs.Store
	Devices   *devices.Store
	Pool      *dispatcher.Pool
	Redis     redis.UniversalClient
	Inspector *asynq.Inspector
	Gatherer  prometheus.Gatherer
	Tokens    []configs.Token
	// Retention is how long completed jobs are kept (msg_id dedupe window).
	Retention time.Duration
	// Config is the redacted configuration GET /v1/config shows.
	Config map[string]any
	// Monitoring, when set, is mounted at /monitoring/ (asynqmon).
	Monitoring http.Handler
	Log        *slog.Logger
	Now        func() time.Time
}

// JobIntake queues validated jobs and answers one outcome per job, in
// order (dispatcher.Intake does, on the job stream).
type JobIntake interface {
	Enqueue(ctx context.Context, jobs []dispatcher.EncodedJob) []dispatcher.Enqueued
}

// Server is the HTTP API.
type Server struct {
	Deps
	tokens *tokenSet
	mux    *http.ServeMux
}

// New returns the API with every route registered.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Server{Deps: d, tokens: newTokenSet(d.Tokens), mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /readyz", s.readyz)
	if s.Gatherer != nil {
		m.Handle("GET /metrics", promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	}
	m.HandleFunc("GET /v1/config", s.require(RoleAdmin, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Config)
	}))
	m.HandleFunc("POST /v1/messages", s.require(RoleEnqueue, s.postMessage))
	m.HandleFunc("POST /v1/messages:batch", s.require(RoleEnqueue, s.postBatch))
	m.HandleFunc("POST /v1/push", s.require(RoleAdmin, s.postPush))
	m.HandleFunc("POST /v1/certs", s.require(RoleAdmin, s.postCert))
	m.HandleFunc("GET /v1/certs", s.require(RoleAdmin, s.listCerts))
	m.HandleFunc("GET /v1/certs/{id}", s.require(RoleAdmin, s.getCert))
	m.HandleFunc("PUT /v1/certs/{id}", s.require(RoleAdmin, s.rotateCert))
	m.HandleFunc("DELETE /v1/certs/{id}", s.require(RoleAdmin, s.deleteCert))
	s.rekeyRoutes()
	s.deviceRoutes()
	s.jobRoutes()
	if s.Monitoring != nil {
		m.Handle("/monitoring/", s.require(RoleAdmin, s.Monitoring.ServeHTTP))
	}
}

// ServeHTTP logs each request by route pattern (never by path: paths carry
// device tokens) and serves it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	_, pattern := s.mux.Handler(r)
	s.Log.Debug("http", "route", pattern, "status", rec.status, "ms", time.Since(start).Milliseconds())
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Flush lets streaming handlers flush through the recorder.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Redis.Ping(ctx).Err(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "redis unreachable", "error": err.Error()})
		return
	}
	if s.Guard != nil {
		if _, _, full := s.Guard.State(); full {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "queue full"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
