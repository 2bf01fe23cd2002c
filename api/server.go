package api

import (
	"context"
	"html/template"
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
	"github.com/pushd/pushd/vendors/fake"
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
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string
	// Listen is the configured listen address (host:port). In open mode
	// (no tokens) only requests whose Host is this address, localhost,
	// 127.0.0.1 or [::1] are served (DNS rebinding).
	Listen string
	// Limits bound each app's enqueue rate and job sizes.
	Limits configs.Limits
	// Retention is how long completed jobs are kept (msg_id dedupe window).
	Retention time.Duration
	// Config is the redacted configuration GET /v1/config shows.
	Config map[string]any
	// Monitoring, when set, is mounted at /monitoring/ (asynqmon).
	Monitoring http.Handler
	// Sandbox, when set (serve --sandbox), is the fakes whose received
	// requests the console's inbox shows.
	Sandbox *fake.Sandbox
	// Receipts serves the vendor receipt endpoints and the funnel.
	Receipts ReceiptDeps
	Log      *slog.Logger
	Now      func() time.Time
}

// JobIntake queues validated jobs and answers one outcome per job, in
// order (dispatcher.Intake does, on the job stream).
type JobIntake interface {
	Enqueue(ctx context.Context, jobs []dispatcher.EncodedJob) []dispatcher.Enqueued
}

// Server is the HTTP API.
type Server struct {
	Deps
	tokens  *tokenSet
	mux     *http.ServeMux
	limiter *appLimiter
	table   []route
	// sessions are the console's signed-in browsers; ring samples the
	// metrics the console's overview charts.
	sessions *sessionStore
	ring     *metricRing
	pages    map[string]*template.Template
}

// New returns the API with every route registered.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Server{Deps: d, tokens: newTokenSet(d.Tokens), mux: http.NewServeMux(), limiter: newAppLimiter(d.Limits, d.Now),
		sessions: newSessionStore(d.Now), ring: newMetricRing(d.Gatherer, d.Now),
		pages: parseConsoleTemplates()}
	s.table = s.routeTable()
	for _, rt := range s.table {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	return s
}

// Close stops the console's metric sampling.
func (s *Server) Close() { s.ring.close() }

// route is one entry of the API: the table New registers, and the one the
// tenancy test walks, so no route escapes either.
type route struct {
	pattern string
	// role is the weakest role admitted; RoleNone is a public route.
	role Role
	// allApps refuses app-scoped tokens: the route shows every app.
	allApps bool
	// json routes take a JSON body: another Content-Type is a 415.
	json bool
	// session routes (the console, /monitoring) also accept the console's
	// session cookie.
	session bool
	h       http.HandlerFunc
}

func (s *Server) routeTable() []route {
	rs := []route{
		{pattern: "GET /healthz", h: s.healthz},
		{pattern: "GET /readyz", h: s.readyz},
		{pattern: "GET /v1/version", h: s.getVersion},
		{pattern: "GET /v1/openapi.json", h: s.getOpenAPI},
		{pattern: "GET /v1/config", role: RoleAdmin, allApps: true, h: s.getConfig},
		{pattern: "POST /v1/messages", role: RoleEnqueue, json: true, h: s.postMessage},
		{pattern: "POST /v1/messages:batch", role: RoleEnqueue, json: true, h: s.postBatch},
		{pattern: "POST /v1/apps/{app}/messages/{msg_id}/cancel-call", role: RoleEnqueue, json: true, h: s.pathApp(s.cancelCall)},
		{pattern: "POST /v1/push", role: RoleAdmin, json: true, h: s.postPush},
		{pattern: "POST /v1/certs", role: RoleAdmin, json: true, h: s.postCert},
		{pattern: "GET /v1/certs", role: RoleAdmin, h: s.listCerts},
		{pattern: "GET /v1/certs/{id}", role: RoleAdmin, h: s.getCert},
		{pattern: "PUT /v1/certs/{id}", role: RoleAdmin, json: true, h: s.rotateCert},
		{pattern: "DELETE /v1/certs/{id}", role: RoleAdmin, h: s.deleteCert},
	}
	if s.Gatherer != nil {
		rs = append(rs, route{pattern: "GET /metrics", h: s.metrics()})
	}
	rs = append(rs, s.rekeyRoutes()...)
	rs = append(rs, s.deviceRoutes()...)
	rs = append(rs, s.recallRoutes()...)
	rs = append(rs, s.jobRoutes()...)
	rs = append(rs, s.tencentRoutes()...)
	rs = append(rs, s.receiptRoutes()...)
	rs = append(rs, s.traceRoutes()...)
	rs = append(rs, s.consoleRoutes()...)
	if s.Monitoring != nil {
		// asynqmon shows (and can pause or delete) every app's tasks.
		rs = append(rs, route{pattern: "/monitoring/", role: RoleAdmin, allApps: true, session: true, h: s.Monitoring.ServeHTTP})
	}
	return rs
}

// wrap applies a route's checks: the Content-Type of JSON routes, then
// the token's role.
func (s *Server) wrap(rt route) http.Handler {
	h := rt.h
	if rt.json {
		h = requireJSON(h)
	}
	if rt.role != RoleNone {
		h = s.require(rt, h)
	}
	return h
}

// ServeHTTP gives each request an id (X-Request-Id), refuses what a
// browser could forge in open mode, serves it, and logs it by route pattern
// (never by path: paths carry device tokens), with the detail of a 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, id: randomID()}
	w.Header().Set(RequestIDHeader, rec.id)
	if s.tokens.open() {
		if err := s.guardOpen(r); err != nil {
			writeError(rec, err)
			s.logRequest(rec, "", start)
			return
		}
	}
	s.mux.ServeHTTP(rec, r)
	_, pattern := s.mux.Handler(r)
	s.logRequest(rec, pattern, start)
}

func (s *Server) logRequest(rec *statusRecorder, pattern string, start time.Time) {
	ms := time.Since(start).Milliseconds()
	if rec.internal != nil {
		s.Log.Error("http internal error", "route", pattern, "status", rec.status, "request_id", rec.id, "err", rec.internal, "ms", ms)
		return
	}
	s.Log.Debug("http", "route", pattern, "status", rec.status, "request_id", rec.id, "ms", ms)
}

// RequestIDHeader carries the id of each request; a 500 repeats it in its
// body, and the log line with the detail carries it too.
const RequestIDHeader = "X-Request-Id"

type statusRecorder struct {
	http.ResponseWriter
	status int
	id     string
	// internal is the error behind a 5xx, logged once by ServeHTTP.
	internal error
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

// Unwrap lets http.ResponseController reach the connection (the events
// stream lifts its write deadline).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers without auth, so it says ready or not ready and nothing
// about the topology; the cause goes to the log.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Redis.Ping(ctx).Err(); err != nil {
		s.Log.Warn("not ready: Redis does not answer", "err", err)
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
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

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Config)
}

// metrics serves Prometheus metrics, behind MetricsToken when one is set.
func (s *Server) metrics() http.HandlerFunc {
	h := promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{})
	return func(w http.ResponseWriter, r *http.Request) {
		if s.MetricsToken != "" && !bearerMatches(r, s.MetricsToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="pushd-metrics"`)
			writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: "missing or invalid metrics token"})
			return
		}
		h.ServeHTTP(w, r)
	}
}
