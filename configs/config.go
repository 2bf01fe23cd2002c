// Package configs loads pushd's configuration: a typed Config filled from
// defaults, an optional YAML file and PUSHD_* environment variables, through
// a local viper instance.
package configs

import (
	"fmt"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/registry"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/viper"
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
	Vendors map[string]VendorEndpoint `mapstructure:"vendors"`
	// Apps holds per-app notification settings keyed by app_id (locale,
	// placeholders, default title, mention_overrides_mute); see
	// dispatcher.AppSettings. Decoded and validated by the app layer.
	Apps   map[string]map[string]any `mapstructure:"apps"`
	Log    Log                       `mapstructure:"log"`
	Events Events                    `mapstructure:"events"`
	// Limits bound what each app may enqueue through the API.
	Limits Limits `mapstructure:"limits"`
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string `mapstructure:"metrics_token"`
	// ListenTLS, when both files are set, makes the API serve HTTPS.
	ListenTLS ListenTLS `mapstructure:"listen_tls"`
}

// ListenTLS is the certificate and key the API serves HTTPS with.
type ListenTLS struct {
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
}

// Enabled reports whether the API serves TLS.
func (t ListenTLS) Enabled() bool { return t.CertFile != "" }

// Redis is the queue and store connection.
type Redis struct {
	// URL is redis://[:password@]host:port/db; empty = embedded in-process
	// Redis (nothing survives a restart).
	URL string `mapstructure:"url"`
	// HighWater and LowWater are fractions of Redis' maxmemory: above
	// HighWater the API refuses new jobs (503) until used memory falls
	// below LowWater, keeping headroom for workers to drain the queue.
	HighWater float64 `mapstructure:"high_water"`
	LowWater  float64 `mapstructure:"low_water"`
}

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
	// VendorConcurrency bounds the requests in flight per vendor in one
	// process (the bulkheads), keyed by vendor name; vendors not listed
	// get the documented default (dispatcher.DefaultVendorConcurrency).
	VendorConcurrency map[string]int `mapstructure:"vendor_concurrency"`
	// VendorBacklog bounds the sends waiting for one vendor's slots; past
	// it, sends are held back and retried, so one vendor cannot fill
	// max_jobs.
	VendorBacklog int `mapstructure:"vendor_backlog"`
	// ClaimIdle is how long a job may go untouched before another worker
	// takes it over (its worker is presumed dead).
	ClaimIdle time.Duration `mapstructure:"claim_idle"`
	// SendTimeout bounds one vendor request end to end.
	SendTimeout time.Duration `mapstructure:"send_timeout"`
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

// validate refuses timeouts and address lists that cannot work, naming the
// key under vendors.<name>.
func (e VendorEndpoint) validate(name string) error {
	switch {
	case e.Timeout < 0 || e.ConnectTimeout < 0:
		return fmt.Errorf("vendors.%s: timeout and connect_timeout must not be negative", name)
	case e.Timeout > 0 && e.ConnectTimeout > e.Timeout:
		return fmt.Errorf("vendors.%s.connect_timeout: %s exceeds timeout %s", name, e.ConnectTimeout, e.Timeout)
	}
	for _, a := range e.AllowAddresses {
		if _, err := netip.ParsePrefix(a); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(a); err != nil {
			return fmt.Errorf("vendors.%s.allow_addresses: %q is neither an address nor a CIDR prefix", name, a)
		}
	}
	return nil
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

// Defaults maps every key to its default value.
func Defaults() map[string]any {
	return map[string]any{
		"listen":                    "127.0.0.1:8080",
		"master_key":                "",
		"master_key_previous":       "",
		"data_dir":                  defaultDataDir(),
		"redis.url":                 "",
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
		"events.webhook.url":        "",
		"events.webhook.secret":     "",
		"events.webhook.batch":      100,
		"events.webhook.flush":      "1s",
		"worker.rate_limits":        map[string]any{},
		"worker.default_rate_limit": 0,
		"worker.max_jobs":           1000,
		"worker.vendor_concurrency": map[string]any{},
		"worker.vendor_backlog":     512,
		"worker.claim_idle":         "30s",
		"worker.send_timeout":       "30s",
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
	}
}

// Load reads the configuration: defaults, then file (when not empty), then
// PUSHD_* environment variables (PUSHD_REDIS_URL for redis.url, …).
func Load(file string) (*Config, error) {
	v := viper.New()
	for k, val := range Defaults() {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix("PUSHD")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read config %s: %w", file, err)
		}
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate refuses configuration that cannot work, naming the key.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen: %q is not host:port", c.Listen)
	}
	w := c.Worker
	switch {
	case w.Concurrency < 1:
		return fmt.Errorf("worker.concurrency: must be at least 1")
	case w.SendConcurrency < 1:
		return fmt.Errorf("worker.send_concurrency: must be at least 1")
	case w.MaxRetry < 1:
		return fmt.Errorf("worker.max_retry: must be at least 1 (retries also stop at each message's expire_at)")
	case w.RetryBase <= 0 || w.RetryMax < w.RetryBase:
		return fmt.Errorf("worker.retry_base/retry_max: need 0 < retry_base <= retry_max")
	}
	if err := w.validateRateLimits(); err != nil {
		return err
	}
	if err := c.validateEngine(); err != nil {
		return err
	}
	if err := c.Events.Webhook.validate(); err != nil {
		return err
	}
	if err := c.validateTokens(); err != nil {
		return err
	}
	if err := c.Limits.validate(); err != nil {
		return err
	}
	if err := c.validateServing(); err != nil {
		return err
	}
	for name, e := range c.Vendors {
		if !knownVendor(name) {
			return fmt.Errorf("vendors.%s: unknown vendor", name)
		}
		if err := e.validate(name); err != nil {
			return err
		}
	}
	return nil
}

// knownVendor reports whether name is a registered vendor (vendors/registry).
func knownVendor(name string) bool {
	return registry.Installed() > 0 && vendors.Vendor(name).Valid()
}

// Embedded reports whether no Redis is configured, so serve runs an
// in-process one.
func (c *Config) Embedded() bool { return c.Redis.URL == "" }

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
func (c *Config) validateEngine() error {
	w := c.Worker
	switch {
	case w.MaxJobs < 1:
		return fmt.Errorf("worker.max_jobs: must be at least 1")
	case w.VendorBacklog < 1:
		return fmt.Errorf("worker.vendor_backlog: must be at least 1")
	case w.ClaimIdle < time.Second:
		return fmt.Errorf("worker.claim_idle: must be at least 1s")
	case w.SendTimeout <= 0:
		return fmt.Errorf("worker.send_timeout: must be positive")
	case c.Redis.HighWater <= 0 || c.Redis.HighWater > 1:
		return fmt.Errorf("redis.high_water: must be in (0, 1], got %g", c.Redis.HighWater)
	case c.Redis.LowWater <= 0 || c.Redis.LowWater >= c.Redis.HighWater:
		return fmt.Errorf("redis.low_water: must be in (0, redis.high_water), got %g", c.Redis.LowWater)
	}
	for name, n := range w.VendorConcurrency {
		if !knownVendor(name) {
			return fmt.Errorf("worker.vendor_concurrency.%s: unknown vendor", name)
		}
		if n < 1 {
			return fmt.Errorf("worker.vendor_concurrency.%s: must be at least 1", name)
		}
	}
	return nil
}
