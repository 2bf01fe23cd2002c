package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
)

// startEmbeddedApp assembles pushd on the embedded Redis with data_dir dir,
// logging into logs.
func startEmbeddedApp(t *testing.T, dir string, logs *bytes.Buffer) *App {
	t.Helper()
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.MasterKey, cfg.Redis.URL = dir, "", ""
	a, err := New(context.Background(), cfg, Options{Log: slog.New(slog.NewTextHandler(logs, nil)), NoWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestEmbeddedRedisRequiresPassword(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var logs bytes.Buffer
	a := startEmbeddedApp(t, dir, &logs)
	file := filepath.Join(dir, RedisPasswordFile)
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", file, st.Mode().Perm())
	}
	pw, _, err := certs.LoadOrCreatePasswordFile(file)
	if err != nil || len(pw) < 40 {
		t.Fatalf("password file: %d characters, %v", len(pw), err)
	}
	addr := a.embedded.Addr()
	if host, _, _ := strings.Cut(addr, ":"); host != "127.0.0.1" {
		t.Errorf("embedded Redis listens on %s, want loopback", addr)
	}
	tests := []struct {
		name, password, wantErr string
	}{
		{"no password", "", "NOAUTH"},
		{"wrong password", "not-the-password", "WRONGPASS"},
		{"the password from the file", pw, ""},
	}
	for _, tt := range tests {
		c := redis.NewClient(&redis.Options{Addr: addr, Password: tt.password, MaxRetries: -1})
		_, err := c.Get(ctx, "pushd:certs:keycheck").Result()
		c.Close()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: GET = %v, want the key check value", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: GET = %v, want %s", tt.name, err, tt.wantErr)
		}
	}
	// pushd itself works through the password: the store answers.
	if _, err := a.Certs.List(ctx, ""); err != nil {
		t.Errorf("certificate store on the embedded Redis: %v", err)
	}
	if strings.Contains(logs.String(), pw) {
		t.Error("the logs contain the embedded Redis password")
	}
	// A restart keeps the password; a file others can read is refused.
	a.Close()
	b := startEmbeddedApp(t, dir, &logs)
	c := redis.NewClient(&redis.Options{Addr: b.embedded.Addr(), Password: pw, MaxRetries: -1})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("after a restart the kept password is refused: %v", err)
	}
	b.Close()
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := configs.Load("")
	cfg.DataDir = dir
	if _, err := New(ctx, cfg, Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), NoWorker: true}); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("New with a world-readable password file = %v, want refused", err)
	}
}
