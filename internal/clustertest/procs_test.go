package clustertest

import (
	"bufio"
	"bytes"
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

// binDir holds the pushd binary built for this run (TestMain).
var binDir string

// buildOnce builds ./cmd/pushd the first time a test needs it.
var buildOnce = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	bin := filepath.Join(binDir, "pushd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/pushd")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/pushd: %v\n%s", err, b)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pushd-clustertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a pushd child process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	servingLine = regexp.MustCompile(`serving on http://(\S+)`)
	workerLine  = regexp.MustCompile(`worker started`)
)

// start runs `pushd <sub>` configured by env alone (none of the test's own
// PUSHD_ variables) and waits for the line saying it is up; it returns
// the process and the line's first group (the API address).
func start(t *testing.T, name, sub string, env map[string]string) (*proc, string) {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, sub)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PUSHD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &proc{name: name, cmd: cmd, out: &lockedBuffer{}, exited: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout = p.out
	cmd.Stderr = io.MultiWriter(p.out, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	up := make(chan string, 1)
	re := workerLine
	if sub == "api" {
		re = servingLine
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case up <- m[len(m)-1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	go func() { cmd.Wait(); pw.Close(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s output (last 4 KB):\n%s", p.name, tail(p.out.String(), 4096))
		}
	})
	select {
	case s := <-up:
		return p, s
	case <-p.exited:
		t.Fatalf("%s exited before it was up:\n%s", name, p.out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s not up within 30s:\n%s", name, p.out.String())
	}
	return nil, ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
