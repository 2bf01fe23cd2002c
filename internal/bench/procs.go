package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pushd/pushd/configs"

	"github.com/redis/go-redis/v9"
)

// child is a subprocess the bench started; its output goes to a log file
// in the run's directory.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startChild starts exe with args, its stdout and stderr in dir/name.log.
// On Linux the child is killed if the bench dies without cleaning up.
func startChild(dir, name, exe string, env []string, args ...string) (*child, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = childAttr()
	cmd.Env = append(childEnv(os.Environ()), env...)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		f.Close()
		close(c.done)
	}()
	return c, nil
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the child has ended, with its error.
func (c *child) exited() (bool, error) {
	select {
	case <-c.done:
		return true, fmt.Errorf("%s exited (%v); its log: %s", c.name, c.err, c.tail())
	default:
		return false, nil
	}
}

// tail returns the end of the child's log, for error messages.
func (c *child) tail() string {
	b, _ := os.ReadFile(c.log)
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// stop asks the child to end (SIGTERM) and kills it after grace.
func (c *child) stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// settingsEnv turns --set KEY=VALUE settings into the PUSHD_ variables
// pushd reads them from, refusing a malformed one or a key pushd does not
// know (configs.Keys).
func settingsEnv(settings []string) ([]string, error) {
	byName := map[string]string{}
	for _, k := range configs.Keys() {
		if k.Env != "" {
			byName[k.Name] = k.Env
		}
	}
	var out []string
	for _, s := range settings {
		key, value, ok := strings.Cut(s, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("--set %q: want KEY=VALUE, e.g. worker.max_deliveries=200000", s)
		}
		env, known := byName[key]
		if !known {
			return nil, fmt.Errorf("--set %q: pushd has no setting %s that the environment can set (see configs/pushd.example.yaml)", s, key)
		}
		out = append(out, env+"="+value)
	}
	return out, nil
}

// childEnv is env without the PUSHD_* settings of the user's shell
// (PUSHD_REDIS_URL, PUSHD_MASTER_KEY, …), which would override the run's
// generated configuration; PUSHD_BENCH_* variables are kept.
func childEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "PUSHD_") && !strings.HasPrefix(kv, "PUSHD_BENCH_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// errNoRedisServer explains what to do when redis-server is missing.
var errNoRedisServer = errors.New("redis-server not found in PATH: install Redis (e.g. apt-get install redis-server) or pass --redis URL")

// startRedis starts redis-server on a free loopback port with AOF
// (appendfsync everysec, no RDB snapshots), as production runs it, and
// waits until it answers. It returns the child and its URL.
func startRedis(ctx context.Context, dir string) (*child, string, error) {
	exe, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, "", errNoRedisServer
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	rdir := filepath.Join(dir, "redis")
	if err := os.Mkdir(rdir, 0o700); err != nil {
		return nil, "", err
	}
	c, err := startChild(dir, "redis", exe, nil, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", rdir,
		"--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no")
	if err != nil {
		return nil, "", err
	}
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	if err := waitRedis(ctx, url, c); err != nil {
		c.stop(5 * time.Second)
		return nil, "", err
	}
	return c, url, nil
}

// waitRedis waits until the Redis at url answers PING (or c exits).
func waitRedis(ctx context.Context, url string, c *child) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	return poll(ctx, 10*time.Second, func() (bool, error) {
		if c != nil {
			if gone, err := c.exited(); gone {
				return false, err
			}
		}
		return rdb.Ping(ctx).Err() == nil, nil
	})
}

// poll calls ready every 50 ms until it reports true or an error, ctx is
// done, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, ready func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := ready()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
