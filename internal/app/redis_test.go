package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/vendors/fake"
)

// TestRedisConnTopologies checks that each redis.mode builds the matching
// go-redis client and asynq option, with the same credentials on both.
func TestRedisConnTopologies(t *testing.T) {
	srv := fake.NewAPNs(fake.APNsOptions{}) // any TLS server's CA will do
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := srv.WriteCA(ca); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		r     configs.Redis
		check func(t *testing.T, c redis.UniversalClient, o asynq.RedisConnOpt)
	}{
		{"standalone acl", configs.Redis{URL: "redis://pushd:s3cret@127.0.0.1:6390/4"}, func(t *testing.T, c redis.UniversalClient, o asynq.RedisConnOpt) {
			co := c.(*redis.Client).Options()
			ao := o.(asynq.RedisClientOpt)
			if co.Username != "pushd" || co.Password != "s3cret" || co.DB != 4 || co.TLSConfig != nil ||
				ao.Username != "pushd" || ao.Password != "s3cret" || ao.DB != 4 || ao.Addr != "127.0.0.1:6390" {
				t.Errorf("client %+v asynq %+v", co, ao)
			}
		}},
		{"standalone tls", configs.Redis{URL: "rediss://redis.example:6380/0", CAFile: ca}, func(t *testing.T, c redis.UniversalClient, o asynq.RedisConnOpt) {
			co := c.(*redis.Client).Options()
			ao := o.(asynq.RedisClientOpt)
			if co.TLSConfig == nil || co.TLSConfig.RootCAs == nil || co.TLSConfig.ServerName != "redis.example" || ao.TLSConfig != co.TLSConfig {
				t.Errorf("TLS %+v / %+v", co.TLSConfig, ao.TLSConfig)
			}
		}},
		{"cluster", configs.Redis{Mode: configs.ModeCluster, Addrs: []string{"127.0.0.1:7000", "127.0.0.1:7001"}, Password: "pw", TLS: true, CAFile: ca},
			func(t *testing.T, c redis.UniversalClient, o asynq.RedisConnOpt) {
				co := c.(*redis.ClusterClient).Options()
				ao := o.(asynq.RedisClusterClientOpt)
				if len(co.Addrs) != 2 || co.Password != "pw" || co.TLSConfig == nil || co.TLSConfig.RootCAs == nil ||
					len(ao.Addrs) != 2 || ao.Password != "pw" || ao.TLSConfig == nil {
					t.Errorf("client %+v asynq %+v", co, ao)
				}
			}},
		{"sentinel", configs.Redis{Mode: configs.ModeSentinel, Addrs: []string{"127.0.0.1:26379"}, MasterName: "m", SentinelPassword: "sp", Password: "dp", DB: 2},
			func(t *testing.T, c redis.UniversalClient, o asynq.RedisConnOpt) {
				ao := o.(asynq.RedisFailoverClientOpt)
				if _, ok := c.(*redis.Client); !ok || ao.MasterName != "m" || ao.SentinelPassword != "sp" || ao.Password != "dp" || ao.DB != 2 || ao.SentinelAddrs[0] != "127.0.0.1:26379" {
					t.Errorf("client %T asynq %+v", c, ao)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, o, err := redisConn(c.r)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			c.check(t, cl, o)
		})
	}
}

// A bad URL or CA file is refused without echoing the URL's password.
func TestRedisConnRefusals(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not pem"), 0o600)
	for _, r := range []configs.Redis{
		{URL: "redis://:hunter2@127.0.0.1:notaport/0"},
		{URL: "rediss://127.0.0.1:6380/0", CAFile: bad},
		{Mode: configs.ModeCluster, Addrs: []string{"h:1"}, TLS: true, CAFile: filepath.Join(t.TempDir(), "missing.pem")},
	} {
		_, _, err := redisConn(r)
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "redis.") {
			t.Errorf("%+v: %v", r, err)
		}
	}
}
