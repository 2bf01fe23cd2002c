package clustertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Environment variables naming the topologies.
const (
	envCluster  = "PUSHD_TEST_REDIS_CLUSTER"
	envSentinel = "PUSHD_TEST_REDIS_SENTINEL"
)

// topology returns the value of env, skipping t when unset (failing under
// CI=true: CI must not pass by skipping).
func topology(t *testing.T, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI (scripts/test.sh starts the topology)", env)
		}
		t.Skipf("%s not set (scripts/test.sh starts the topology)", env)
	}
	return v
}

// node is one redis-server process, reached directly.
type node struct {
	addr string
	c    *redis.Client
}

func newNode(t *testing.T, addr string) *node {
	n := &node{addr: addr, c: redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})}
	t.Cleanup(func() { n.c.Close() })
	return n
}

// pid and conf are the node's process id and configuration file.
func (n *node) pidAndConf(ctx context.Context) (int, string, error) {
	info, err := n.c.Info(ctx, "server").Result()
	if err != nil {
		return 0, "", err
	}
	var pid int
	var conf string
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "process_id:"); ok {
			pid, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(line, "config_file:"); ok {
			conf = v
		}
	}
	return pid, conf, nil
}

// kill SIGKILLs the node's redis-server and returns how to restart it:
// the scripts start every node from a configuration file.
func (n *node) kill(t *testing.T) (restart func()) {
	t.Helper()
	ctx := context.Background()
	pid, conf, err := n.pidAndConf(ctx)
	if err != nil || pid == 0 || conf == "" {
		t.Fatalf("pid of %s: %d %q %v", n.addr, pid, conf, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill redis-server %d: %v", pid, err)
	}
	t.Logf("SIGKILLed redis-server %s (pid %d)", n.addr, pid)
	return func() {
		os.Remove(filepath.Join(filepath.Dir(conf), "redis.pid"))
		if b, err := exec.Command("redis-server", conf).CombinedOutput(); err != nil {
			t.Errorf("restart %s: %v %s", n.addr, err, b)
			return
		}
		waitFor(t, "restarted "+n.addr+" answers", 10*time.Second, func() bool { return n.c.Ping(ctx).Err() == nil })
	}
}

// waitFor polls cond every 50 ms until it holds, failing t after d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
