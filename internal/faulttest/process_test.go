package faulttest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binDir holds the pushd binary built for this test run; TestMain creates
// it before any test and removes it after the last.
var binDir string

// buildOnce builds the binary the first time a test needs it.
var buildOnce = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(binDir, "pushd")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/pushd")...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/pushd: %v\n%s", err, b)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pushd-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// pushdBinary returns the path of the freshly built pushd.
func pushdBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// child is a `pushd serve` child process.
type child struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{}
}

var servingLine = regexp.MustCompile(`serving on http://(\S+)`)

// startChild runs `pushd serve --config cfg` with env (and no PUSHD_*
// variable of the test's own environment) and waits until its API
// listens. Its output goes to the scanner; the test's end kills it.
func startChild(t *testing.T, bin, cfg string, env []string, scan *scanner) *child {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfg)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PUSHD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	out := scan.capture("pushd serve output")
	pr, pw := io.Pipe()
	cmd.Stdout = out
	cmd.Stderr = io.MultiWriter(out, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() {
		cmd.Wait()
		pw.Close()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.signal(syscall.SIGKILL)
		if strings.Contains(out.String(), "WARNING: DATA RACE") {
			t.Errorf("the pushd child reported a data race:\n%s", out.String())
		}
	})
	select {
	case c.addr = <-addr:
	case <-c.exited:
		t.Fatalf("pushd serve exited before listening: %s", out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("pushd serve did not listen within 30s: %s", out.String())
	}
	return c
}

// signal sends sig and waits for the process to exit.
func (c *child) signal(sig syscall.Signal) {
	select {
	case <-c.exited:
		return
	default:
	}
	c.cmd.Process.Signal(sig)
	<-c.exited
}

// writeConfig writes a YAML config file for a child and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pushd.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
