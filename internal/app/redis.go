package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/configs"
)

// redisConn returns the client of pushd's own keys and the matching asynq
// connection for the topology of r (redis.mode): one server through
// redis.url (redis:// or rediss://, with an ACL user and password), a Redis
// Cluster through redis.addrs, or a Sentinel-watched primary through the
// sentinels in redis.addrs and redis.master_name. Both sides use the same
// addresses, credentials and TLS settings, so asynq's queues and pushd's
// keys always live in the same Redis.
func redisConn(r configs.Redis) (redis.UniversalClient, asynq.RedisConnOpt, error) {
	tlsCfg, err := redisTLS(r)
	if err != nil {
		return nil, nil, err
	}
	switch r.Mode {
	case configs.ModeCluster:
		o := asynq.RedisClusterClientOpt{Addrs: r.Addrs, Username: r.Username, Password: r.Password, TLSConfig: tlsCfg}
		// go-redis re-reads the slot map every minute by default and not on
		// a dial error, so after a failover pushd would go on dialling the
		// dead master for up to a minute: every two seconds instead.
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: r.Addrs, Username: r.Username, Password: r.Password,
			TLSConfig: tlsCfg, ClusterStateReloadInterval: 2 * time.Second}), o, nil
	case configs.ModeSentinel:
		o := asynq.RedisFailoverClientOpt{MasterName: r.MasterName, SentinelAddrs: r.Addrs, SentinelPassword: r.SentinelPassword,
			Username: r.Username, Password: r.Password, DB: r.DB, TLSConfig: tlsCfg}
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: r.MasterName, SentinelAddrs: r.Addrs,
			SentinelPassword: r.SentinelPassword, Username: r.Username, Password: r.Password, DB: r.DB, TLSConfig: tlsCfg}), o, nil
	}
	opt, err := redis.ParseURL(r.URL)
	if err != nil {
		// The URL may carry a password: the parser's message is not shown.
		return nil, nil, errors.New("redis.url: not a redis://, rediss:// or unix:// URL")
	}
	if opt.TLSConfig != nil && tlsCfg != nil {
		opt.TLSConfig.RootCAs = tlsCfg.RootCAs
	}
	o := asynq.RedisClientOpt{Network: opt.Network, Addr: opt.Addr, Username: opt.Username, Password: opt.Password,
		DB: opt.DB, TLSConfig: opt.TLSConfig}
	return redis.NewClient(opt), o, nil
}

// redisTLS returns the TLS settings of the data nodes: nil without TLS,
// the system roots plus redis.ca_file otherwise. Standalone takes the
// server name from the URL (go-redis sets it for rediss://).
func redisTLS(r configs.Redis) (*tls.Config, error) {
	if !r.UsesTLS() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if r.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		return nil, fmt.Errorf("redis.ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("redis.ca_file: %s holds no PEM certificate", r.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// redisWhere names the configured Redis for messages, without credentials.
func redisWhere(r configs.Redis) string {
	switch r.Mode {
	case configs.ModeCluster:
		return fmt.Sprintf("cluster %v", r.Addrs)
	case configs.ModeSentinel:
		return fmt.Sprintf("primary %q of sentinels %v", r.MasterName, r.Addrs)
	}
	return redactedAddr(r.URL)
}
