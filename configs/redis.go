package configs

import (
	"net"
	"net/url"
)

// Redis topologies (redis.mode).
const (
	// ModeStandalone is one Redis server (or a managed endpoint that hides
	// its replicas), reached through redis.url.
	ModeStandalone = "standalone"
	// ModeCluster is a Redis Cluster, reached through any of redis.addrs.
	ModeCluster = "cluster"
	// ModeSentinel is a primary with replicas watched by Redis Sentinel:
	// redis.addrs are the sentinels, redis.master_name the monitored
	// primary.
	ModeSentinel = "sentinel"
)

// Redis is the queue and store connection.
type Redis struct {
	// URL is redis://[user:password@]host:port/db, or rediss:// for TLS,
	// in standalone mode; empty = embedded in-process Redis (nothing
	// survives a restart).
	URL string `mapstructure:"url"`
	// Mode is standalone (default), cluster or sentinel.
	Mode string `mapstructure:"mode"`
	// Addrs are host:port of the cluster's nodes (any subset; the rest is
	// discovered) or of the sentinels.
	Addrs []string `mapstructure:"addrs"`
	// Username and Password are the ACL credentials of the data nodes in
	// cluster and sentinel modes (standalone takes them from URL).
	Username string `mapstructure:"username"`
	Password string `mapstructure:"password"`
	// TLS connects to the data nodes (and sentinels) over TLS in cluster
	// and sentinel modes; standalone uses TLS for a rediss:// URL.
	TLS bool `mapstructure:"tls"`
	// CAFile is a PEM bundle trusted, besides the system roots, for the
	// Redis server certificates.
	CAFile string `mapstructure:"ca_file"`
	// MasterName is the primary's name the sentinels monitor.
	MasterName string `mapstructure:"master_name"`
	// SentinelPassword authenticates to the sentinels themselves.
	SentinelPassword string `mapstructure:"sentinel_password"`
	// DB is the database number in sentinel mode (cluster has only 0;
	// standalone takes it from URL).
	DB int `mapstructure:"db"`
	// HighWater and LowWater are fractions of Redis' maxmemory: above
	// HighWater the API refuses new jobs (503) until used memory falls
	// below LowWater, keeping headroom for workers to drain the queue.
	HighWater float64 `mapstructure:"high_water"`
	LowWater  float64 `mapstructure:"low_water"`
}

// UsesTLS reports whether the connection to the data nodes is TLS.
func (r Redis) UsesTLS() bool {
	if r.Mode == ModeCluster || r.Mode == ModeSentinel {
		return r.TLS
	}
	u, err := url.Parse(r.URL)
	return err == nil && u.Scheme == "rediss"
}

func (r Redis) validate(p *problems) {
	switch r.Mode {
	case "", ModeStandalone:
		r.validateStandalone(p)
	case ModeCluster, ModeSentinel:
		p.addf(r.URL != "", "redis.url: not used with redis.mode %s; list the nodes in redis.addrs (credentials in redis.username/password, TLS in redis.tls)", r.Mode)
		p.addf(len(r.Addrs) == 0, "redis.addrs: redis.mode %s needs at least one host:port", r.Mode)
		for i, a := range r.Addrs {
			_, _, err := net.SplitHostPort(a)
			p.addf(err != nil, "redis.addrs[%d]: %q is not host:port", i, a)
		}
		p.addf(r.Mode == ModeSentinel && r.MasterName == "", "redis.master_name: required with redis.mode sentinel")
		p.addf(r.Mode == ModeCluster && r.MasterName != "", "redis.master_name: only with redis.mode sentinel")
		p.addf(r.Mode == ModeCluster && r.DB != 0, "redis.db: a Redis Cluster has only database 0")
		p.addf(r.DB < 0, "redis.db: must not be negative")
	default:
		p.addf(true, "redis.mode: want standalone, cluster or sentinel, got %q", r.Mode)
	}
	p.addf(r.CAFile != "" && !r.UsesTLS(), "redis.ca_file: only with TLS (a rediss:// URL, or redis.tls with cluster/sentinel)")
}

func (r Redis) validateStandalone(p *problems) {
	for _, k := range []struct {
		bad  bool
		name string
	}{{len(r.Addrs) > 0, "addrs"}, {r.MasterName != "", "master_name"}, {r.SentinelPassword != "", "sentinel_password"},
		{r.Username != "" || r.Password != "", "username/password"}, {r.TLS, "tls"}, {r.DB != 0, "db"}} {
		p.addf(k.bad, "redis.%s: only with redis.mode cluster or sentinel (standalone takes everything from redis.url)", k.name)
	}
	if r.URL == "" {
		return
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		p.addf(true, "redis.url: does not parse as a URL")
		return
	}
	p.addf(u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix",
		"redis.url: scheme must be redis://, rediss:// (TLS) or unix://, got %q (Sentinel and Cluster: set redis.mode)", u.Scheme)
	p.addf(u.Scheme != "unix" && u.Host == "", "redis.url: no host")
}
