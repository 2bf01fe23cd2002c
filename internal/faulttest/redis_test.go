package faulttest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/vendors/fake"
)

// redisServer is a redis-server child with AOF on (fsync on every write) in
// its own directory.
type redisServer struct {
	port   int
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRedis starts redis-server on port with its files in dir, and waits
// until it answers. A second start on the same port and dir replays the
// AOF of the first.
func startRedis(t *testing.T, port int, dir string, extra ...string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not on PATH; CI must run the Redis restart test")
		}
		t.Skip("redis-server not on PATH")
	}
	r := &redisServer{port: port, dir: dir, exited: make(chan struct{})}
	args := []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", ""}
	// Later arguments win: a test may turn fsync down or set maxmemory.
	r.cmd = exec.Command(bin, append(args, extra...)...)
	logf, err := os.OpenFile(filepath.Join(dir, "redis.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); logf.Close(); close(r.exited) }()
	t.Cleanup(func() { r.stop(syscall.SIGKILL) })
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer c.Close()
	waitFor(t, "redis-server to answer", 10*time.Second, func() bool {
		return c.Ping(context.Background()).Err() == nil
	})
	return r
}

func (r *redisServer) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

// stop signals redis-server and waits for it to exit. SIGTERM is a clean
// SHUTDOWN: the AOF is flushed first.
func (r *redisServer) stop(sig syscall.Signal) {
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Signal(sig)
	<-r.exited
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestRedisRestart stops Redis (AOF on) under a running worker after a
// third of the jobs were delivered, keeps it down for a second and starts
// it again on the same port and files. The worker reconnects by itself and
// every job is delivered; nothing is archived. A per-certificate rate
// limit of 250/s paces the 1 500 jobs over about six seconds, so that the
// restart lands mid-run.
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	const jobs, rate, down = 1500, 250, time.Second
	dir := t.TempDir()
	rs := startRedis(t, freePort(t), dir)
	url := "redis://" + rs.addr() + "/0"
	e := newEnv(t, fake.APNsOptions{})
	cfg := e.config(url)
	cfg.Worker.DefaultRateLimit = rate
	n := e.start(cfg, app.Options{})
	cert := e.addCert(n.client)
	toks := tokens(0xd0, jobs)
	js := make([]*dispatcher.Job, len(toks))
	for i, tok := range toks {
		js[i] = deviceJob(fmt.Sprintf("redis-%05d", i), cert, tok)
	}
	start := time.Now()
	enqueueDirect(t, url, js)

	waitFor(t, "a third of the devices served", 30*time.Second, func() bool {
		return len(okByToken(e.apns.Requests())) >= jobs/3
	})
	rs.stop(syscall.SIGTERM)
	atStop := len(okByToken(e.apns.Requests()))
	if atStop == jobs {
		t.Fatal("every job was delivered before Redis stopped: the restart did not happen mid-run")
	}
	time.Sleep(down)
	rs = startRedis(t, rs.port, dir)
	restarted := time.Now()

	// A dequeue whose reply Redis never sent before it stopped leaves its
	// task "active" with nobody working on it: asynq's recoverer requeues
	// it once its 30 s lease has been expired for 30 s, at its next
	// once-a-minute run, so such a task is served 60–120 s late.
	waitFor(t, "every device served after the restart", 150*time.Second, func() bool {
		return missing(okByToken(e.apns.Requests()), toks) == 0
	})
	drained := time.Since(restarted)
	reqs := e.apns.Requests()
	dups, mismatched := duplicates(reqs)
	if mismatched != 0 {
		t.Errorf("%d duplicated devices got different apns-collapse-ids", mismatched)
	}
	late := servedAfter(reqs, restarted.Add(30*time.Second))
	if a := archived(t, n.app.Inspector); len(a) != 0 {
		t.Fatalf("%d tasks archived, first: %s", len(a), a[0].LastErr)
	}
	report(t, map[string]any{
		"jobs":                   jobs,
		"rate_limit_per_second":  rate,
		"delivered_at_stop":      atStop,
		"redis_down_seconds":     seconds(down),
		"restart_to_all_seconds": seconds(drained),
		"duplicates":             dups,
		"recovered_after_lease":  late,
		"lost":                   0,
		"archived":               0,
		"total_seconds":          seconds(time.Since(start)),
	})
}

// servedAfter counts the devices whose first accepted notification came
// after t.
func servedAfter(reqs []fake.Recorded, t time.Time) int {
	first := map[string]time.Time{}
	for _, r := range reqs {
		if _, seen := first[r.Tokens[0]]; !seen && r.Status == http.StatusOK {
			first[r.Tokens[0]] = r.At
		}
	}
	n := 0
	for _, at := range first {
		if at.After(t) {
			n++
		}
	}
	return n
}
