// Package configs loads pushd's configuration: a typed Config filled from
// defaults, an optional YAML file and PUSHD_* environment variables, through
// a local viper instance.
package configs

import (
	"errors"
	"fmt"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/registry"
	"net"
	"net/netip"
	"sort"
	"time"
)

// Config is pushd's whole configuration. Every key has a default (see
// Defaults); configs/pushd.example.yaml documents each one.
type Config struct {
	// Listen is the HTTP API address.
	Listen string `mapstructure:"listen"`
	// MasterKey encrypts certificate secrets (base64 of 32 bytes). Empty is
	// allowed only with the embedded Redis, where a key file is generated.
	MasterKey string `mapstructure:"master_key"`
	// MasterKeyPrevious is the master key being replaced, during a rekey
	// (`pushd certs rekey`): certificates sealed under it still open, and
	// every write seals under MasterKey. Remove it once the rekey reports
	// every certificate moved.
	MasterKeyPrevious string `mapstructure:"master_key_previous"`
	// DataDir holds the generated master key of the embedded default.
	DataDir string `mapstructure:"data_dir"`
	Redis   Redis  `mapstructure:"redis"`
	Worker  Worker `mapstructure:"worker"`
	// Tokens are the API bearer tokens.
	Tokens []Token `mapstructure:"tokens"`
	// Vendors holds per-vendor endpoint overrides, keyed by vendor name.
	Vendors map[string]VendorEndpoint `mapstructure:"vendors" pushd:"per-vendor"`
	// Apps holds per-app notification settings keyed by app_id (locale,
	// placeholders, default title, mention_overrides_mute); see
	// dispatcher.AppSettings. Decoded and validated by the app layer.
	Apps map[string]map[string]any `mapstructure:"apps"`
	// Devices bounds how long device state lives without a new report.
	Devices Devices `mapstructure:"devices"`
	Log     Log     `mapstructure:"log"`
	Events  Events  `mapstructure:"events"`
	// Trace keeps each message's per-device trace ("why no push?").
	Trace Trace `mapstructure:"trace"`
	// Limits bound what each app may enqueue through the API.
	Limits Limits `mapstructure:"limits"`
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string `mapstructure:"metrics_token"`
	// ListenTLS, when both files are set, makes the API serve HTTPS.
	ListenTLS ListenTLS `mapstructure:"listen_tls"`
	// Receipts configures vendor receipts and the funnel.
	Receipts Receipts `mapstructure:"receipts"`
}

// ListenTLS is the certificate and key the API serves HTTPS with.
type ListenTLS struct {
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
}

// Enabled reports whether the API serves TLS.
func (t ListenTLS) Enabled() bool { return t.CertFile != "" }

// Worker tunes the asynq worker.
type Worker struct {
	// Concurrency is how many jobs one process works on at once.
	Concurrency int `mapstructure:"concurrency"`
	// SendConcurrency bounds concurrent vendor requests per job.
	SendConcurrency int `mapstructure:"send_concurrency"`
	// MaxRetry is how many times a failed delivery is retried.
	MaxRetry int `mapstructure:"max_retry"`
	// RetryBase and RetryMax bound the exponential backoff.
	RetryBase time.Duration `mapstructure:"retry_base"`
	RetryMax  time.Duration `mapstructure:"retry_max"`
	// Retention keeps completed tasks so a repeated msg_id is refused.
	Retention time.Duration `mapstructure:"retention"`
	// SentTTL is how long per-device "sent" markers live.
	SentTTL time.Duration `mapstructure:"sent_ttl"`
	// ShutdownTimeout bounds how long in-flight jobs may take on SIGTERM.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	// CertCacheTTL is how long a worker trusts its cached certificate.
	CertCacheTTL time.Duration `mapstructure:"cert_cache_ttl"`
	// RateLimits caps the requests per second sent through a certificate,
	// keyed by cert id, across every worker sharing the Redis.
	RateLimits map[string]float64 `mapstructure:"rate_limits"`
	// DefaultRateLimit applies to certificates not in RateLimits; 0 means
	// no limit.
	DefaultRateLimit float64 `mapstructure:"default_rate_limit"`

	// MaxJobs bounds the jobs of the job stream one process works on at
	// once; a job waiting on a slow vendor holds one of them.
	MaxJobs int `mapstructure:"max_jobs"`
	// MaxDeliveries bounds the recipients and devices of the jobs one
	// process works on at once (a 1 000-recipient job weighs 1 000).
	MaxDeliveries int `mapstructure:"max_deliveries"`
	// VendorConcurrency bounds the requests in flight per vendor in one
	// process (the bulkheads), keyed by vendor name; vendors not listed
	// get the documented default (dispatcher.DefaultVendorConcurrency).
	VendorConcurrency map[string]int `mapstructure:"vendor_concurrency" pushd:"per-vendor"`
	// VendorBacklog bounds the sends waiting for one vendor's slots; past
	// it, sends are held back and retried, so one vendor cannot fill
	// max_jobs.
	VendorBacklog int `mapstructure:"vendor_backlog"`
	// ClaimIdle is how long a job may go untouched before another worker
	// takes it over (its worker is presumed dead).
	ClaimIdle time.Duration `mapstructure:"claim_idle"`
	// SendTimeout bounds one vendor request end to end.
	SendTimeout time.Duration `mapstructure:"send_timeout"`
	// Shards cuts the job stream in this many shards (each in its own
	// Redis Cluster slot, so the cluster's masters share the work); every
	// process of a deployment must use the same value.
	Shards int `mapstructure:"shards"`
	// AppShare is the fraction of max_jobs and max_deliveries one app may
	// hold in one process, so one app's burst leaves room for the others
	// (1 = no bound).
	AppShare float64 `mapstructure:"app_share"`
}

// Token is an API bearer token with its role.
type Token struct {
	Name  string `mapstructure:"name"`
	Token string `mapstructure:"token"`
	// Role is "enqueue" (POST /v1/messages, device reports) or "admin".
	Role string `mapstructure:"role"`
	// Apps are the app_ids the token may act on; empty means every app
	// (an operator's token). An app-scoped token gets 403 for anything of
	// another app, and never reaches /v1/config or /monitoring, which
	// show every app.
	Apps []string `mapstructure:"apps"`
}

// Roles.
const (
	RoleEnqueue = "enqueue"
	RoleAdmin   = "admin"
)

// VendorEndpoint overrides where one vendor's adapter sends and how long
// it may take. The zero value is the vendor's production hosts and default
// timeouts (docs/vendors-timeouts.md).
type VendorEndpoint struct {
	// Endpoint and AuthEndpoint replace the vendor's hosts. Being set by
	// the operator, their host:port is connected to even when it is not a
	// public address (a loopback fake, an internal relay).
	Endpoint     string `mapstructure:"endpoint"`
	AuthEndpoint string `mapstructure:"auth_endpoint"`
	// CAFile is a PEM bundle to trust in addition to the system roots.
	CAFile string `mapstructure:"ca_file"`
	// Timeout bounds one whole request (connect, TLS, answer headers and
	// body), token and OAuth requests included; 0 = the vendor's default
	// (15 s for APNs and FCM, 20 s for the batch APIs of the Android
	// vendors). A request that times out is retried.
	Timeout time.Duration `mapstructure:"timeout"`
	// ConnectTimeout bounds the TCP connect; 0 = 5 s.
	ConnectTimeout time.Duration `mapstructure:"connect_timeout"`
	// AllowAddresses are non-public addresses or CIDR prefixes the adapter
	// may connect to although no endpoint names them: an egress proxy, or
	// the loopback fake an FCM service account's token_uri points at
	// ("127.0.0.1/8", "::1"). Every other address an adapter reaches must
	// be public.
	AllowAddresses []string `mapstructure:"allow_addresses"`
}

// validate reports timeouts and address lists that cannot work, naming
// the key under vendors.<name>.
func (e VendorEndpoint) validate(name string, p *problems) {
	p.addf(e.Timeout < 0 || e.ConnectTimeout < 0, "vendors.%s: timeout and connect_timeout must not be negative", name)
	p.addf(e.Timeout > 0 && e.ConnectTimeout > e.Timeout, "vendors.%s.connect_timeout: %s exceeds timeout %s", name, e.ConnectTimeout, e.Timeout)
	for _, a := range e.AllowAddresses {
		if _, err := netip.ParsePrefix(a); err == nil {
			continue
		}
		_, err := netip.ParseAddr(a)
		p.addf(err != nil, "vendors.%s.allow_addresses: %q is neither an address nor a CIDR prefix", name, a)
	}
}

// Log configures log/slog.
type Log struct {
	Level string `mapstructure:"level"`
	// Format is "json", "text", or "auto" (JSON when stderr is not a TTY).
	Format string `mapstructure:"format"`
}

// Events configures delivery events.
type Events struct {
	// StreamMaxLen caps each app's event stream.
	StreamMaxLen int64 `mapstructure:"stream_max_len"`
	// Webhook, when its URL is set, also receives the events in signed
	// batches.
	Webhook Webhook `mapstructure:"webhook"`
}

// Trace configures the per-message trace (GET
// /v1/apps/{app}/messages/{msg_id}/trace, `pushd trace`).
type Trace struct {
	// Enabled makes workers write the trace of every job they run.
	Enabled bool `mapstructure:"enabled"`
	// Window is how long a message's trace is kept (at least this long,
	// at most an hour more: traces are kept in one hash per app and hour),
	// unless newer traces of its app fill the app's budget first.
	Window time.Duration `mapstructure:"window"`
}

// MaxTraceWindow bounds trace.window (an app's trace index holds one
// field per hour of the window).
const MaxTraceWindow = 30 * 24 * time.Hour

func (t Trace) validate(p *problems) {
	p.addf(t.Window < time.Hour || t.Window > MaxTraceWindow, "trace.window: must be between 1h and %s", MaxTraceWindow)
}

// Defaults maps every key to its default value.
func Defaults() map[string]any {
	return map[string]any{
		"listen":                    "127.0.0.1:8080",
		"master_key":                "",
		"master_key_previous":       "",
		"data_dir":                  defaultDataDir(),
		"redis.url":                 "",
		"redis.mode":                ModeStandalone,
		"redis.addrs":               []string{},
		"redis.username":            "",
		"redis.password":            "",
		"redis.tls":                 false,
		"redis.ca_file":             "",
		"redis.master_name":         "",
		"redis.sentinel_password":   "",
		"redis.db":                  0,
		"devices.foreground_ttl":    "10m",
		"devices.binding_ttl":       "1440h",
		"worker.concurrency":        20,
		"worker.send_concurrency":   32,
		"worker.max_retry":          8,
		"worker.retry_base":         "2s",
		"worker.retry_max":          "10m",
		"worker.retention":          "24h",
		"worker.sent_ttl":           "48h",
		"worker.shutdown_timeout":   "25s",
		"worker.cert_cache_ttl":     "5s",
		"tokens":                    []map[string]any{},
		"log.level":                 "info",
		"log.format":                "auto",
		"events.stream_max_len":     100000,
		"trace.enabled":             true,
		"trace.window":              "168h",
		"events.webhook.url":        "",
		"events.webhook.secret":     "",
		"events.webhook.batch":      100,
		"events.webhook.flush":      "1s",
		"worker.rate_limits":        map[string]any{},
		"worker.default_rate_limit": 0,
		"worker.max_jobs":           1000,
		"worker.max_deliveries":     20000,
		"worker.vendor_concurrency": map[string]any{},
		"worker.vendor_backlog":     512,
		"worker.claim_idle":         "30s",
		"worker.send_timeout":       "30s",
		"worker.shards":             1,
		"worker.app_share":          0.5,
		"redis.high_water":          0.85,
		"redis.low_water":           0.75,
		"metrics_token":             "",
		"listen_tls.cert_file":      "",
		"listen_tls.key_file":       "",
		"limits.jobs_per_second":    DefaultJobsPerSecond,
		"limits.burst":              0,
		"limits.max_recipients":     DefaultMaxRecipients,
		"limits.max_devices":        DefaultMaxDevices,
		"limits.apps":               map[string]any{},
		"receipts.base_url":         "",
		"receipts.secret":           "",
		"receipts.callback_user":    "",
		"receipts.callback_secret":  "",
		"receipts.stats_ttl":        "2160h",
	}
}

// Validate refuses configuration that cannot work. It reports every
// problem at once (errors.Join), each naming its key.
func (c *Config) Validate() error {
	var p problems
	_, _, err := net.SplitHostPort(c.Listen)
	p.addf(err != nil, "listen: %q is not host:port", c.Listen)
	w := c.Worker
	p.addf(w.Concurrency < 1, "worker.concurrency: must be at least 1")
	p.addf(w.SendConcurrency < 1, "worker.send_concurrency: must be at least 1")
	p.addf(w.MaxRetry < 1, "worker.max_retry: must be at least 1 (retries also stop at each message's expire_at)")
	p.addf(w.RetryBase <= 0 || w.RetryMax < w.RetryBase, "worker.retry_base/retry_max: need 0 < retry_base <= retry_max")
	w.validateRateLimits(&p)
	c.validateEngine(&p)
	c.Redis.validate(&p)
	c.Devices.validate(&p)
	c.Events.Webhook.validate(&p)
	c.Receipts.validate(&p)
	c.Trace.validate(&p)
	c.validateTokens(&p)
	c.Limits.validate(&p)
	c.validateServing(&p)
	names := make([]string, 0, len(c.Vendors))
	for name := range c.Vendors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !knownVendor(name) {
			p.addf(true, "vendors.%s: unknown vendor", name)
			continue
		}
		c.Vendors[name].validate(name, &p)
	}
	return p.err()
}

// knownVendor reports whether name is a registered vendor (vendors/registry).
func knownVendor(name string) bool {
	return registry.Installed() > 0 && vendors.Vendor(name).Valid()
}

// problems collects every configuration problem, each naming its key.
type problems []error

func (p *problems) addf(bad bool, format string, args ...any) {
	if bad {
		*p = append(*p, fmt.Errorf(format, args...))
	}
}

func (p problems) err() error { return errors.Join(p...) }

// Embedded reports whether no Redis is configured, so serve runs an
// in-process one.
func (c *Config) Embedded() bool {
	return c.Redis.URL == "" && (c.Redis.Mode == "" || c.Redis.Mode == ModeStandalone)
}

// Loopback reports whether the listen address is a loopback address.
func (c *Config) Loopback() bool {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateEngine checks the job stream's worker settings and the Redis
// water marks.
func (c *Config) validateEngine(p *problems) {
	w := c.Worker
	p.addf(w.MaxJobs < 1, "worker.max_jobs: must be at least 1")
	p.addf(w.MaxDeliveries < 1, "worker.max_deliveries: must be at least 1")
	p.addf(w.VendorBacklog < 1, "worker.vendor_backlog: must be at least 1")
	p.addf(w.ClaimIdle < time.Second, "worker.claim_idle: must be at least 1s")
	p.addf(w.SendTimeout <= 0, "worker.send_timeout: must be positive")
	p.addf(w.Shards < 1 || w.Shards > 1024, "worker.shards: must be between 1 and 1024, got %d", w.Shards)
	p.addf(w.AppShare <= 0 || w.AppShare > 1, "worker.app_share: must be in (0, 1], got %g", w.AppShare)
	p.addf(c.Redis.HighWater <= 0 || c.Redis.HighWater > 1, "redis.high_water: must be in (0, 1], got %g", c.Redis.HighWater)
	p.addf(c.Redis.LowWater <= 0 || c.Redis.LowWater >= c.Redis.HighWater, "redis.low_water: must be in (0, redis.high_water), got %g", c.Redis.LowWater)
	for name, n := range w.VendorConcurrency {
		if !knownVendor(name) {
			p.addf(true, "worker.vendor_concurrency.%s: unknown vendor", name)
			continue
		}
		p.addf(n < 1, "worker.vendor_concurrency.%s: must be at least 1", name)
	}
}
