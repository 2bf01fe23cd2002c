// Package testredis gives tests a real, empty Redis database of their own.
//
// The server comes from PUSHD_TEST_REDIS (a redis:// URL or host:port). When
// it is unset the test is skipped, unless CI=true, where it fails: CI must
// never pass by skipping. Packages run in parallel under `go test ./...`, so
// each test leases one of the server's numbered databases with a lock key in
// database 0 and flushes it before use.
package testredis

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvVar names the environment variable holding the test Redis address.
const EnvVar = "PUSHD_TEST_REDIS"

// DB is a leased, flushed database.
type DB struct {
	// Addr is host:port of the server.
	Addr string
	// Num is the database number leased for this test.
	Num int
	// URL is redis://addr/num, for code that takes a URL.
	URL string
	// Client is connected to the leased database.
	Client *redis.Client
}

// Options returns go-redis options for the leased database.
func (d *DB) Options() *redis.Options { return &redis.Options{Addr: d.Addr, DB: d.Num} }

// New leases a database for t and flushes it. The lease is released when t
// ends.
func New(t testing.TB) *DB {
	t.Helper()
	addr := Addr(t)
	ctx := context.Background()
	ctl := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { ctl.Close() })
	n := databases(ctx, ctl)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for db := 1; db < n; db++ {
			key := fmt.Sprintf("pushd:testredis:lease:%d", db)
			ok, err := ctl.SetNX(ctx, key, os.Getpid(), 10*time.Minute).Result()
			if err != nil {
				t.Fatalf("testredis: lease database on %s: %v", addr, err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("testredis: flush database %d: %v", db, err)
			}
			t.Cleanup(func() {
				c.FlushDB(context.Background())
				c.Close()
				ctl.Del(context.Background(), key)
			})
			return &DB{Addr: addr, Num: db, URL: fmt.Sprintf("redis://%s/%d", addr, db), Client: c}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("testredis: no free database on %s after 2 minutes", addr)
	return nil
}

// Addr returns host:port of the test Redis, skipping (or, under CI, failing)
// t when none is configured or it does not answer.
func Addr(t testing.TB) string {
	t.Helper()
	raw := os.Getenv(EnvVar)
	if raw == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; CI must run the Redis tests", EnvVar)
		}
		t.Skipf("%s not set; skipping a test that needs Redis", EnvVar)
	}
	addr := raw
	if strings.Contains(raw, "://") {
		opt, err := redis.ParseURL(raw)
		if err != nil {
			t.Fatalf("%s=%q: %v", EnvVar, raw, err)
		}
		addr = opt.Addr
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test Redis %s does not answer: %v", addr, err)
		}
		t.Skipf("test Redis %s does not answer (%v); skipping", addr, err)
	}
	return addr
}

func databases(ctx context.Context, c *redis.Client) int {
	v, err := c.ConfigGet(ctx, "databases").Result()
	if err == nil {
		var n int
		if _, err := fmt.Sscan(v["databases"], &n); err == nil && n > 1 {
			return n
		}
	}
	return 16
}
