// Package app assembles a pushd process from its configuration: Redis (or
// the embedded one), the certificate store, the device registry, the vendor
// adapters, the asynq worker and the HTTP API. `pushd serve`, the
// end-to-end tests and the benchmarks all build pushd through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// Options are what a caller adds to the configuration.
type Options struct {
	Log *slog.Logger
	// Clients supplies an HTTP client per vendor (the sandbox's fakes).
	Clients map[vendors.Vendor]*http.Client
	// NoWorker and NoAPI run one half only (`pushd api`, `pushd worker`).
	NoWorker, NoAPI bool
	// Sandbox starts in-process fakes of every vendor and points every
	// vendor at them (`pushd serve --sandbox`, sandbox.go).
	Sandbox bool
}

// App is one assembled pushd process.
type App struct {
	Config   *configs.Config
	Log      *slog.Logger
	Redis    redis.UniversalClient
	RedisOpt asynq.RedisConnOpt
	Certs    *certs.Store
	Devices  *devices.Store
	Pool     *dispatcher.Pool
	Handler  *dispatcher.Handler
	// Stream is the job stream (the fast path of new jobs), Intake the API's
	// group-committing writer to it, Guard the Redis memory watch.
	Stream    *dispatcher.JobStream
	Intake    *dispatcher.Intake
	Guard     *dispatcher.MemoryGuard
	Events    *dispatcher.StreamSink
	Queue     *asynq.Client
	Inspector *asynq.Inspector
	Metrics   *dispatcher.Metrics
	Registry  *prometheus.Registry
	API       *api.Server
	// Sandbox holds the running fakes in sandbox mode, nil otherwise.
	Sandbox *fake.Sandbox

	opts    Options
	apps    map[string]dispatcher.AppSettings
	webhook *dispatcher.WebhookSink
	// receipts and funnel are set when receipts.base_url is.
	receipts *dispatcher.Receipts
	funnel   *dispatcher.Funnel
	embedded *miniredis.Miniredis
	// KeyFile is where the embedded default keeps its generated master key.
	KeyFile string
	expiry  *expiryWatch
}

// New assembles pushd. With no Redis configured it starts an embedded
// in-process Redis (queued jobs do not survive a restart).
func New(ctx context.Context, cfg *configs.Config, opts Options) (*App, error) {
	a := &App{Config: cfg, Log: opts.Log, opts: opts}
	if a.Log == nil {
		a.Log = slog.Default()
	}
	a.startSandbox()
	if !cfg.Embedded() && cfg.MasterKey == "" {
		return nil, errors.New("PUSHD_MASTER_KEY is required with an external Redis (base64 of 32 random bytes: openssl rand -base64 32)")
	}
	if err := a.connect(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.assemble(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// connect opens Redis: the configured topology (redis.go), or an
// embedded one.
func (a *App) connect(ctx context.Context) error {
	where := "embedded"
	if a.Config.Embedded() {
		eopt, err := a.startEmbedded()
		if err != nil {
			return err
		}
		a.Log.Warn("no redis.url configured: using an embedded in-process Redis; queued jobs, certificates and devices do NOT survive a restart",
			"password_file", filepath.Join(a.Config.DataDir, RedisPasswordFile),
			"hint", "set PUSHD_REDIS_URL or --redis for production")
		rdb, ok := eopt.MakeRedisClient().(redis.UniversalClient)
		if !ok {
			return errors.New("embedded redis: unsupported connection type")
		}
		a.Redis, a.RedisOpt, where = rdb, eopt, eopt.Addr
	} else {
		rdb, opt, err := redisConn(a.Config.Redis)
		if err != nil {
			return err
		}
		a.Redis, a.RedisOpt, where = rdb, opt, redisWhere(a.Config.Redis)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.Redis.Ping(pctx).Err(); err != nil {
		return fmt.Errorf("redis at %s does not answer: %w", where, err)
	}
	return nil
}

// masterKey returns the configured key, or on the embedded default a
// generated one kept in data_dir.
func (a *App) masterKey() ([]byte, error) {
	if a.Config.MasterKey != "" {
		k, err := certs.ParseMasterKey(a.Config.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("PUSHD_MASTER_KEY: %w", err)
		}
		return k, nil
	}
	if !a.Config.Embedded() {
		return nil, errors.New("PUSHD_MASTER_KEY is required with an external Redis (base64 of 32 random bytes: openssl rand -base64 32)")
	}
	a.KeyFile = filepath.Join(a.Config.DataDir, "master.key")
	k, created, err := certs.LoadOrCreateKeyFile(a.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	msg := "using the master key kept"
	if created {
		msg = "generated a master key for the embedded default"
	}
	a.Log.Warn(msg, "file", a.KeyFile, "hint", "set PUSHD_MASTER_KEY in production")
	return k, nil
}

func (a *App) assemble(ctx context.Context) error {
	key, err := a.masterKey()
	if err != nil {
		return err
	}
	if a.apps, err = appSettingsTable(a.Config.Apps); err != nil {
		return err
	}
	storeOpts, err := a.CertStoreOptions()
	if err != nil {
		return err
	}
	if a.Certs, err = certs.NewStore(a.Redis, key, storeOpts...); err != nil {
		return err
	}
	if err := a.Certs.CheckKey(ctx); err != nil {
		return err
	}
	a.Devices = devices.New(a.Redis, devices.Options{ForegroundTTL: a.Config.Devices.ForegroundTTL, BindingTTL: a.Config.Devices.BindingTTL})
	a.Registry = prometheus.NewRegistry()
	a.Metrics = dispatcher.NewMetrics(a.Registry)
	rc := a.Config.Receipts
	if rc.Enabled() {
		// Receipts on: callbacks on the outgoing requests, and the funnel
		// counting every event (it costs one script per committed batch).
		a.receipts = dispatcher.NewReceipts(rc.BaseURL, []byte(rc.Secret))
		a.funnel = dispatcher.NewFunnel(a.Redis, "pushd:", rc.StatsTTL, a.Registry)
		a.funnel.OnError = func(err error) { a.Log.Warn("could not count events in the funnel", "err", err) }
	}
	reg, err := NewRegistry(a.Config.Vendors, a.opts.Clients, func(v vendors.Vendor, warning string, n int) {
		a.Metrics.Warnings.WithLabelValues(string(v), warning).Add(float64(n))
	}, a.receipts)
	if err != nil {
		return err
	}
	a.Pool = dispatcher.NewPool(a.credentials(), reg, a.Config.Worker.CertCacheTTL)
	a.Pool.IsNotFound = func(err error) bool { return errors.Is(err, certs.ErrNotFound) }
	a.Queue = asynq.NewClientFromRedisClient(a.Redis)
	a.Inspector = asynq.NewInspectorFromRedisClient(a.Redis)
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&queueCollector{inspector: a.Inspector})
	if a.Handler, err = a.newHandler(); err != nil {
		return err
	}
	a.Stream = dispatcher.NewShardedJobStream(a.Redis, a.Config.Worker.Retention, a.Config.Worker.Shards)
	// The guard samples Redis' memory for intake (the API refuses jobs
	// near maxmemory) and for the trace (workers stop writing traces
	// then: the room is the queue's).
	a.Guard = dispatcher.NewMemoryGuard(a.Redis, dispatcher.GuardConfig{
		High: a.Config.Redis.HighWater, Low: a.Config.Redis.LowWater, Log: a.Log, Registerer: a.Registry})
	a.boundTrace()
	if !a.opts.NoAPI {
		a.Intake = dispatcher.NewIntake(a.Stream, dispatcher.IntakeConfig{Guard: a.Guard})
	}
	a.Registry.MustRegister(&streamCollector{stream: a.Stream})
	a.expiry = newExpiryWatch(a.Certs, a.Events, a.Redis, a.Registry, a.Log)
	a.expiry.start()
	a.API = a.newAPI()
	return nil
}

// NewEngine returns the worker of the job stream.
func (a *App) NewEngine() (*dispatcher.Engine, error) {
	w := a.Config.Worker
	var also dispatcher.MultiSink
	if a.webhook != nil {
		also = append(also, a.webhook)
	}
	if a.funnel != nil {
		also = append(also, a.funnel)
	}
	return dispatcher.NewEngine(dispatcher.EngineConfig{
		Redis: a.Redis, Stream: a.Stream, Handler: a.Handler, Events: a.Events, Also: sinkOrNil(also),
		MaxJobs: w.MaxJobs, MaxDeliveries: w.MaxDeliveries, AppShare: w.AppShare, ClaimIdle: w.ClaimIdle, ShutdownTimeout: w.ShutdownTimeout, Log: a.Log,
	})
}

func (a *App) newHandler() (*dispatcher.Handler, error) {
	w := a.Config.Worker
	streams := dispatcher.NewStreamSink(a.Redis, "pushd:", a.Config.Events.StreamMaxLen)
	streams.OnError = func(err error) { a.Log.Warn("could not append delivery events", "err", err) }
	if a.Config.Trace.Enabled {
		streams.Trace.Window = a.Config.Trace.Window
	} else {
		streams.Trace = nil
	}
	a.Events = streams
	limits := dispatcher.NewRateLimits(a.Redis, "pushd:", w.CertRateLimits(), w.DefaultRateLimit)
	return dispatcher.NewHandler(dispatcher.HandlerConfig{
		Pool:     a.Pool,
		Resolver: &dispatcher.Resolver{Devices: a.Devices, Certs: a.Pool.Lookup, Apps: a.appSettings, Now: time.Now},
		Marks:    dispatcher.NewMarks(a.Redis, "pushd:", w.SentTTL),
		Queue:    a.Queue,
		Events:   a.eventSinks(streams),
		Metrics:  a.Metrics,
		Breakers: dispatcher.DefaultBreakers(),
		Parking:  dispatcher.NewParking(a.Redis, "pushd:", nil),
		Log:      a.Log,
		InvalidToken: func(ctx context.Context, d *dispatcher.Delivery, since time.Time) error {
			app, _ := appOfCert(ctx, a.Pool, d.CertID)
			_, err := a.Devices.RemoveInvalid(ctx, app, d.CertID, d.Token, since)
			return err
		},
		CertHealth: func(ctx context.Context, id, version int64, healthy bool, reason string) error {
			return a.Certs.SetHealthIfVersion(ctx, id, version, healthy, reason)
		},
		Limits:          limits,
		Bulkheads:       &dispatcher.Bulkheads{Limits: vendorLimits(w.VendorConcurrency), Backlog: w.VendorBacklog, Metrics: a.Metrics},
		SendTimeout:     w.SendTimeout,
		SendConcurrency: w.SendConcurrency,
		MaxRetry:        w.MaxRetry,
		RetryBase:       w.RetryBase,
		RetryMax:        w.RetryMax,
	})
}

// eventSinks adds the webhook and the funnel, when configured, to the
// stream sink: every event the handler emits outside the job stream's
// committer (retries, receipts) reaches each once.
func (a *App) eventSinks(streams *dispatcher.StreamSink) dispatcher.EventSink {
	sinks := dispatcher.MultiSink{streams}
	if wh := a.Config.Events.Webhook; wh.URL != "" {
		a.webhook = dispatcher.NewWebhookSink(dispatcher.WebhookConfig{
			URL: wh.URL, Secret: wh.Secret, Batch: wh.Batch, Flush: wh.Flush,
			OnError: func(err error) { a.Log.Warn("delivery events not delivered to the webhook", "err", err) },
		}, a.Registry)
		sinks = append(sinks, a.webhook)
	}
	if a.funnel != nil {
		sinks = append(sinks, a.funnel)
	}
	if len(sinks) == 1 {
		return streams
	}
	return sinks
}

// traceShare is the fraction of Redis' maxmemory one app's traces may
// hold (at most dispatcher.DefaultTraceAppBytes).
const traceShare = 20

// boundTrace keeps the trace out of the queue's way: no trace is written
// while the guard says Redis is full, and one app's traces hold at most a
// twentieth of maxmemory.
func (a *App) boundTrace() {
	tr := a.Events.Trace
	if tr == nil {
		return
	}
	g := a.Guard
	tr.Paused = func() bool { _, _, full := g.State(); return full }
	a.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "pushd", Name: "trace_skipped_total",
		Help: "Job runs whose trace was not written because Redis was above redis.high_water.",
	}, func() float64 { return float64(tr.Skipped()) }))
	if _, maxm, _ := g.State(); maxm > 0 {
		tr.AppBytes = min(dispatcher.DefaultTraceAppBytes, maxm/traceShare)
	}
}

// sinkOrNil is nil for no sink (the engine then calls none).
func sinkOrNil(m dispatcher.MultiSink) dispatcher.EventSink {
	if len(m) == 0 {
		return nil
	}
	return m
}

func appOfCert(ctx context.Context, p *dispatcher.Pool, id int64) (string, error) {
	info, err := p.Lookup(ctx, id)
	if err != nil {
		return "", err
	}
	return info.AppID, nil
}

// appSettings returns the notification settings of an app.
func (a *App) appSettings(appID string) dispatcher.AppSettings {
	if s, ok := a.apps[appID]; ok {
		return s
	}
	return dispatcher.DefaultAppSettings()
}

func (a *App) newAPI() *api.Server {
	return api.New(api.Deps{
		Intake: a.Intake, Guard: a.Guard,
		Listen: a.Config.Listen, Limits: a.Config.Limits, MetricsToken: a.Config.MetricsToken,
		Queue: a.Queue, Certs: a.Certs, Devices: a.Devices, Pool: a.Pool, Redis: a.Redis, Inspector: a.Inspector,
		Gatherer: a.Registry, Tokens: a.Config.Tokens, Retention: a.Config.Worker.Retention,
		Config: a.Config.Redacted().Map(), Log: a.Log,
		Monitoring: asynqmon.New(asynqmon.Options{RootPath: "/monitoring", RedisConnOpt: a.RedisOpt,
			PayloadFormatter: asynqmon.PayloadFormatterFunc(dispatcher.RedactedPayload)}),
		Sandbox: a.Sandbox,
		Receipts: api.ReceiptDeps{Refs: a.receipts, Events: a.Handler.Events(), Funnel: a.funnel,
			CallbackUser: a.Config.Receipts.CallbackUser, CallbackSecret: []byte(a.Config.Receipts.CallbackSecret), Prefix: "pushd:"},
	})
}

// Close releases connections and stops the embedded Redis.
func (a *App) Close() {
	if a.webhook != nil {
		// Buffered events get a few seconds to reach the webhook.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		a.webhook.Close(ctx)
		cancel()
	}
	if a.API != nil {
		a.API.Close()
	}
	if a.expiry != nil {
		a.expiry.close()
		a.expiry = nil
	}
	if a.Intake != nil {
		a.Intake.Close()
	}
	if a.Guard != nil {
		a.Guard.Close()
	}
	if a.Queue != nil {
		a.Queue.Close()
	}
	if a.Redis != nil {
		a.Redis.Close()
	}
	if a.embedded != nil {
		a.embedded.Close()
	}
	if a.Sandbox != nil {
		a.Sandbox.Close()
	}
}

func redactedAddr(url string) string {
	if o, err := redis.ParseURL(url); err == nil {
		return o.Addr
	}
	return "(unparseable url)"
}

// CheckListen refuses to serve beyond loopback without API tokens.
func CheckListen(cfg *configs.Config) error {
	if len(cfg.Tokens) == 0 && !cfg.Loopback() {
		host, _, _ := net.SplitHostPort(cfg.Listen)
		return fmt.Errorf("listen: refusing to serve on %s without API tokens; configure tokens (role enqueue/admin) or listen on 127.0.0.1", host)
	}
	return nil
}

// vendorLimits turns worker.vendor_concurrency into the bulkheads' limits.
func vendorLimits(cfg map[string]int) map[vendors.Vendor]int {
	out := make(map[vendors.Vendor]int, len(cfg))
	for name, n := range cfg {
		out[vendors.Vendor(name)] = n
	}
	return out
}
