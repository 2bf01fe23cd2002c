package clustertest

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// sentinels is the Sentinel deployment of PUSHD_TEST_REDIS_SENTINEL
// (name@host:port,host:port,…).
type sentinels struct {
	name  string
	addrs []string
	s     *redis.SentinelClient
}

func openSentinels(t *testing.T) *sentinels {
	t.Helper()
	name, list, ok := strings.Cut(topology(t, envSentinel), "@")
	if !ok || name == "" || list == "" {
		t.Fatalf("%s: want name@host:port,…", envSentinel)
	}
	s := &sentinels{name: name, addrs: strings.Split(list, ",")}
	s.s = redis.NewSentinelClient(&redis.Options{Addr: s.addrs[0]})
	t.Cleanup(func() { s.s.Close() })
	ctx := context.Background()
	waitFor(t, "the primary has an in-sync replica", 30*time.Second, func() bool {
		p := s.primary(ctx)
		if p == "" {
			return false
		}
		reps, err := s.s.Replicas(ctx, name).Result()
		if err != nil {
			return false
		}
		for _, r := range reps {
			if r["master-link-status"] == "ok" && !strings.Contains(r["flags"], "down") {
				return true
			}
		}
		return false
	})
	c := redis.NewClient(&redis.Options{Addr: s.primary(ctx)})
	defer c.Close()
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatalf("flush the primary: %v", err)
	}
	return s
}

// primary is the primary's address as the sentinels see it.
func (s *sentinels) primary(ctx context.Context) string {
	a, err := s.s.GetMasterAddrByName(ctx, s.name).Result()
	if err != nil || len(a) != 2 {
		return ""
	}
	return net.JoinHostPort(a[0], a[1])
}

// TestSentinelFailover: one API and two workers on a Sentinel-watched
// primary; the primary is SIGKILLed once 30% of the pushes are delivered,
// the sentinels promote the replica, and the figures are counted as on
// the cluster.
func TestSentinelFailover(t *testing.T) {
	s := openSentinels(t)
	d := deploy(t, map[string]string{"PUSHD_REDIS_MODE": "sentinel", "PUSHD_REDIS_ADDRS": strings.Join(s.addrs, ","),
		"PUSHD_REDIS_MASTER_NAME": s.name})
	ctx := context.Background()
	began := time.Now()
	e := d.enqueue("sentinel", clusterJobs)
	waitFor(t, "30% delivered", 60*time.Second, func() bool { return len(okByToken(d.apns.Requests())) >= clusterJobs*3/10 })
	victim := s.primary(ctx)
	atKill := len(okByToken(d.apns.Requests()))
	restart := newNode(t, victim).kill(t)
	t.Cleanup(func() {
		restart()
		waitFor(t, "the old primary rejoins as a replica", 30*time.Second, func() bool {
			info, err := newNode(t, victim).c.Info(ctx, "replication").Result()
			return err == nil && strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up")
		})
	})
	killed := time.Now()
	waitFor(t, "the sentinels promote the replica", 30*time.Second, func() bool {
		p := s.primary(ctx)
		return p != "" && p != victim
	})
	failover := time.Since(killed)
	f := d.settle(e, 20*time.Second, 60*time.Second, began)
	report(t, map[string]any{"figures": f, "killed": victim, "delivered_at_kill": atKill,
		"failover_seconds": failover.Seconds(), "new_primary": s.primary(ctx)})
	if f.Delivered <= atKill || f.Delivered+f.Lost < f.Acknowledged || f.Acknowledged < clusterJobs*9/10 {
		t.Fatalf("after the failover: %+v (%d delivered at the kill)", f, atKill)
	}
}
