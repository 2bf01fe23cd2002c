package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/internal/testredis"
)

// startServer runs a whole pushd on a test Redis and returns its URL.
func startServer(t *testing.T) string {
	t.Helper()
	db := testredis.New(t)
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
	cfg.Redis.URL, cfg.Listen = db.URL, "127.0.0.1:0"
	cfg.Worker.ShutdownTimeout = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{Log: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return "http://" + <-addr
}

func cli(t *testing.T, server string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append(args, "--server", server), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIWalkThrough(t *testing.T) {
	srv := startServer(t)
	dir := t.TempDir()
	p8, err := testcreds.NewP8()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "AuthKey.p8")
	os.WriteFile(keyFile, p8.PEM, 0o600)

	code, out, errs := cli(t, srv, "certs", "add", "--app", "1400000001", "--vendor", "apns", "--p8", keyFile,
		"--key-id", "ABC123DEFG", "--team-id", "TEAM123456", "--bundle-id", "com.example.chat", "--env", "production")
	if code != 0 || strings.TrimSpace(out) != "1" {
		t.Fatalf("certs add: exit %d, out %q, err %q", code, out, errs)
	}
	code, out, _ = cli(t, srv, "certs", "list", "-o", "json")
	if code != 0 || !strings.Contains(out, `"bundle_id": "com.example.chat"`) || strings.Contains(out, base64.StdEncoding.EncodeToString(p8.PEM)[:40]) {
		t.Fatalf("certs list: exit %d: %s", code, out)
	}

	p8b, _ := testcreds.NewP8()
	newKey := filepath.Join(dir, "AuthKey2.p8")
	os.WriteFile(newKey, p8b.PEM, 0o600)
	if code, out, errs = cli(t, srv, "certs", "rotate", "1", "--p8", newKey, "--key-id", "NEWKEY0001"); code != 0 {
		t.Fatalf("certs rotate: exit %d %s %s", code, out, errs)
	}
	code, out, _ = cli(t, srv, "certs", "show", "1", "-o", "json")
	if code != 0 || !strings.Contains(out, `"version": 2`) || !strings.Contains(out, `"key_id": "NEWKEY0001"`) ||
		!strings.Contains(out, `"bundle_id": "com.example.chat"`) {
		t.Fatalf("after rotate: %s", out)
	}

	code, out, _ = cli(t, srv, "push", "--cert", "1", "--token", strings.Repeat("ab", 32), "--title", "Hiking",
		"--desc", "Denny: See you at 8", "--ext", `{"conv":"c2c_denny"}`, "--badge", "3", "--dry-run")
	if code != 0 {
		t.Fatalf("push --dry-run exit %d", code)
	}
	for _, want := range []string{"POST https://api.push.apple.com/3/device/" + strings.Repeat("ab", 32), "apns-topic: com.example.chat",
		"apns-push-type: alert", "authorization: bearer <redacted> (ES256 JWT kid=NEWKEY0001", `"badge":3`, `"ext":"{\"conv\":\"c2c_denny\"}"`, `"title":"Hiking"`} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}

	job := filepath.Join(dir, "job.json")
	os.WriteFile(job, []byte(`{"app_id":"1400000001","msg_id":"cli-1","devices":[{"cert_id":1,"token":"`+strings.Repeat("ab", 32)+`"}],"elems":[{"type":"text","text":"hi"}]}`), 0o600)
	if code, out, _ = cli(t, srv, "enqueue", "--file", job); code != 0 || !strings.Contains(out, "enqueued: msg:1400000001:cli-1") {
		t.Fatalf("enqueue: %d %s", code, out)
	}
	if code, out, _ = cli(t, srv, "enqueue", "--file", job, "-o", "json"); code != 0 {
		t.Fatalf("second enqueue exit %d", code)
	}
	var res struct {
		TaskID    string `json:"task_id"`
		Duplicate bool   `json:"duplicate"`
	}
	if json.Unmarshal([]byte(out), &res) != nil || !res.Duplicate || res.TaskID != "msg:1400000001:cli-1" {
		t.Fatalf("second enqueue: %s", out)
	}

	if code, _, _ = cli(t, srv, "certs", "rm", "1"); code != 0 {
		t.Fatalf("certs rm exit %d", code)
	}
	if code, _, errs = cli(t, srv, "certs", "show", "1"); code != exitUsage || !strings.Contains(errs, "not found") {
		t.Fatalf("show deleted cert: exit %d %s", code, errs)
	}
}

func TestCLIExitCodes(t *testing.T) {
	srv := startServer(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"app_id":"1","msg_id":"m","devices":[{"cert_id":1,"token":"t"}],"offline_push":{"badge":-1}}`), 0o600)
	cases := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"bad job", []string{"enqueue", "--file", bad}, exitUsage, "offline_push.badge"},
		{"flag of another vendor", []string{"certs", "add", "--app", "1", "--vendor", "xiaomi", "--team-id", "X"}, exitUsage, "--team-id does not apply"},
		{"unknown vendor", []string{"certs", "add", "--app", "1", "--vendor", "nokia"}, exitUsage, "unknown vendor"},
		{"unknown flag", []string{"push", "--colour", "red"}, exitUsage, "unknown flag"},
		{"unknown cert", []string{"push", "--cert", "99", "--token", "t", "--desc", "x"}, exitUsage, "not found"},
		{"open listener without tokens", []string{"serve", "--listen", "0.0.0.0:18999"}, exitUsage, "refusing to serve on 0.0.0.0 without API tokens"},
		{"external redis without a master key", []string{"serve", "--redis", "redis://127.0.0.1:1/0", "--listen", "127.0.0.1:0"}, exitUsage, "PUSHD_MASTER_KEY is required"},
	}
	for _, c := range cases {
		code, _, errs := cli(t, srv, c.args...)
		if code != c.code || !strings.Contains(errs, c.err) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d mentioning %q", c.name, code, errs, c.code, c.err)
		}
	}
	if code, _, errs := cli(t, "http://127.0.0.1:1", "certs", "list"); code != exitUnreachable || !strings.Contains(errs, "cannot reach pushd") {
		t.Errorf("unreachable server: exit %d %q", code, errs)
	}
}
