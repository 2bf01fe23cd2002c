package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// streamKey is the job stream's key; its hash tag {pushd:jobs} puts it,
// and every key of the job stream, on one slot.
const streamKey = "pushd:{pushd:jobs}:s"

// cluster is the Redis Cluster of PUSHD_TEST_REDIS_CLUSTER.
type cluster struct {
	t     *testing.T
	addrs []string
	nodes map[string]*node
	cc    *redis.ClusterClient
}

func openCluster(t *testing.T) *cluster {
	t.Helper()
	addrs := strings.Split(topology(t, envCluster), ",")
	c := &cluster{t: t, addrs: addrs, nodes: map[string]*node{},
		cc: redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})}
	t.Cleanup(func() { c.cc.Close() })
	for _, a := range addrs {
		c.nodes[a] = newNode(t, a)
	}
	ctx := context.Background()
	waitFor(t, "the cluster is ok", 30*time.Second, func() bool { return c.state(ctx) == "ok" && len(c.masters(ctx)) == 3 })
	if err := c.cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.FlushAll(ctx).Err() }); err != nil {
		t.Fatalf("flush the cluster: %v", err)
	}
	return c
}

// state is cluster_state as the first answering node sees it.
func (c *cluster) state(ctx context.Context) string {
	for _, a := range c.addrs {
		if info, err := c.nodes[a].c.ClusterInfo(ctx).Result(); err == nil {
			for _, l := range strings.Split(info, "\r\n") {
				if v, ok := strings.CutPrefix(l, "cluster_state:"); ok {
					return v
				}
			}
		}
	}
	return ""
}

// masters returns the answering nodes whose role is master and that serve
// slots.
func (c *cluster) masters(ctx context.Context) []string {
	var out []string
	for _, a := range c.addrs {
		slots, err := c.nodes[a].c.ClusterSlots(ctx).Result()
		if err != nil {
			continue
		}
		for _, s := range slots {
			if len(s.Nodes) > 0 && s.Nodes[0].Addr == a {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// masterOf returns the master serving key's slot, as the first answering
// node other than skip sees it.
func (c *cluster) masterOf(ctx context.Context, key, skip string) string {
	for _, a := range c.addrs {
		if a == skip {
			continue
		}
		n := c.nodes[a]
		slot, err := n.c.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			continue
		}
		slots, err := n.c.ClusterSlots(ctx).Result()
		if err != nil {
			continue
		}
		for _, s := range slots {
			if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
				return s.Nodes[0].Addr
			}
		}
	}
	return ""
}

// keyShare returns the keys each master holds.
func (c *cluster) keyShare(ctx context.Context) map[string]int64 {
	out := map[string]int64{}
	for _, m := range c.masters(ctx) {
		out[m], _ = c.nodes[m].c.DBSize(ctx).Result()
	}
	return out
}

// jobShare returns the jobs each master's job-stream shards took in: the
// members of the shards' msg_id dedupe buckets it holds.
func (c *cluster) jobShare(ctx context.Context) map[string]int64 {
	out := map[string]int64{}
	for _, m := range c.masters(ctx) {
		node := c.nodes[m].c
		keys, _ := node.Keys(ctx, "pushd:{pushd:jobs*}:d:*").Result()
		for _, k := range keys {
			out[m] += node.SCard(ctx, k).Val()
		}
	}
	return out
}

// clusterShards is worker.shards on the cluster: enough shards that
// each of the three masters serves some.
const clusterShards = 6

func (c *cluster) env() map[string]string {
	return map[string]string{"PUSHD_REDIS_MODE": "cluster", "PUSHD_REDIS_ADDRS": strings.Join(c.addrs, ","),
		"PUSHD_WORKER_SHARDS": strconv.Itoa(clusterShards)}
}

const clusterJobs = 10000

// TestClusterExactlyOnce: one API and two workers on a 3-master cluster
// deliver 10 000 one-device jobs, each exactly once; the keys' share per
// master is reported.
func TestClusterExactlyOnce(t *testing.T) {
	c := openCluster(t)
	d := deploy(t, c.env())
	began := time.Now()
	e := d.enqueue("once", clusterJobs)
	f := d.settle(e, 15*time.Second, 60*time.Second, began)
	ctx := context.Background()
	share := c.keyShare(ctx)
	jobs := c.jobShare(ctx)
	report(t, map[string]any{"figures": f, "keys_per_master": share, "jobs_per_master": jobs, "stream_master": c.masterOf(ctx, streamKey, "")})
	if f.Acknowledged != clusterJobs || f.Delivered != clusterJobs || f.Duplicated != 0 || f.Lost != 0 {
		t.Fatalf("on the cluster without faults: %+v, want %d delivered exactly once", f, clusterJobs)
	}
	total := int64(0)
	for m, n := range jobs {
		if n == 0 {
			t.Errorf("master %s took no job: the shards do not spread over the cluster (%v)", m, jobs)
		}
		total += n
	}
	if total != clusterJobs || len(jobs) != 3 {
		t.Errorf("the masters' shards took %d jobs over %d masters, want %d over 3", total, len(jobs), clusterJobs)
	}
}

// TestClusterScaling measures the pushes per second of one API and 1, 2
// and 4 workers on the cluster (20 000 one-device jobs each) for
// docs/benchmarks.md. It is a measurement, not a check (the machine's
// cores bound it), so it runs only with PUSHD_CLUSTER_SCALING=1.
func TestClusterScaling(t *testing.T) {
	if os.Getenv("PUSHD_CLUSTER_SCALING") != "1" {
		t.Skip("a measurement: set PUSHD_CLUSTER_SCALING=1 to run it")
	}
	rows := map[string]any{}
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(workers, "workers"), func(t *testing.T) {
			c := openCluster(t) // flushed: each run has its own master key
			d := deployWorkers(t, c.env(), workers)
			began := time.Now()
			e := d.enqueue(fmt.Sprint("scale", workers), 20000)
			f := d.settle(e, 15*time.Second, 120*time.Second, began)
			if f.Delivered != f.Jobs {
				t.Fatalf("%d workers: %+v", workers, f)
			}
			rows[fmt.Sprint(workers)] = map[string]any{"pushes_per_second": math.Round(float64(f.Delivered) / f.Seconds), "figures": f}
		})
	}
	report(t, map[string]any{"workers": rows, "shards": clusterShards})
}

// TestClusterMasterFailover SIGKILLs the master holding the job stream
// once 30% of the pushes are delivered, waits for its replica to take
// over, and counts what was delivered, duplicated and lost. Replication is
// asynchronous, so acknowledged jobs may be lost: the test asserts that
// the cluster keeps delivering after the failover and that the figures add
// up, and reports them for docs/reliability.md.
func TestClusterMasterFailover(t *testing.T) {
	c := openCluster(t)
	d := deploy(t, c.env())
	ctx := context.Background()
	began := time.Now()
	e := d.enqueue("failover", clusterJobs)
	waitFor(t, "30% delivered", 60*time.Second, func() bool { return len(okByToken(d.apns.Requests())) >= clusterJobs*3/10 })
	victim := c.masterOf(ctx, streamKey, "")
	atKill := len(okByToken(d.apns.Requests()))
	restart := c.nodes[victim].kill(t)
	t.Cleanup(func() {
		restart()
		waitFor(t, "the restarted node rejoins", 30*time.Second, func() bool { return c.state(ctx) == "ok" && len(c.masters(ctx)) == 3 })
	})
	killed := time.Now()
	waitFor(t, "a replica takes over the stream's slot", 30*time.Second, func() bool {
		m := c.masterOf(ctx, streamKey, victim)
		return m != "" && m != victim
	})
	failover := time.Since(killed)
	f := d.settle(e, 20*time.Second, 60*time.Second, began)
	report(t, map[string]any{"figures": f, "killed": victim, "delivered_at_kill": atKill,
		"failover_seconds": failover.Seconds(), "new_stream_master": c.masterOf(ctx, streamKey, victim)})
	if f.Delivered <= atKill || f.Delivered+f.Lost < f.Acknowledged || f.Acknowledged < clusterJobs*9/10 {
		t.Fatalf("after the failover: %+v (%d delivered at the kill)", f, atKill)
	}
}

// report logs a test's figures and, when PUSHD_TEST_REPORT names a
// directory, writes them to <dir>/<Test>.json for docs/reliability.md.
func report(t *testing.T, v map[string]any) {
	b, _ := json.Marshal(v)
	t.Logf("FIGURES %s", b)
	if dir := os.Getenv("PUSHD_TEST_REPORT"); dir != "" {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s.json", t.Name())), b, 0o644)
	}
}
