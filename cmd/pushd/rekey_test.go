package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

func TestCLIRekey(t *testing.T) {
	ctx := context.Background()
	db := testredis.New(t)
	keyA, keyB := make([]byte, 32), make([]byte, 32)
	rand.Read(keyA)
	rand.Read(keyB)
	old, err := certs.NewStore(db.Client, keyA)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"xiaomi-secret-one", "xiaomi-secret-two"} {
		up := certs.Upload{AppID: "1400000001", Vendor: vendors.Xiaomi, Fields: map[string]string{"package": "com.example.chat"},
			Secrets: map[string][]byte{"app_secret": []byte(secret)}}
		if _, err := old.Add(ctx, up); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.MasterKey = base64.StdEncoding.EncodeToString(keyB)
	cfg.MasterKeyPrevious = base64.StdEncoding.EncodeToString(keyA)
	cfg.Redis.URL, cfg.Listen = db.URL, "127.0.0.1:0"
	cfg.Worker.ShutdownTimeout = time.Second
	// app.New checks the key before the store exists, so the new key alone
	// is refused while certificates are under the old one.
	if _, err := app.New(ctx, withoutPrevious(cfg), app.Options{Log: discardLogger()}); err == nil || !strings.Contains(err.Error(), "another master key") {
		t.Fatalf("serve with the new key only = %v, want refused", err)
	}
	srv := startWithPrevious(t, cfg)
	code, out, errs := cli(t, srv, "certs", "rekey")
	if code != 0 || !strings.Contains(out, "rekeyed 2 of 2 certificates") || !strings.Contains(out, certs.KeyID(keyB)) {
		t.Fatalf("certs rekey: exit %d, out %q, err %q", code, out, errs)
	}
	if code, out, _ = cli(t, srv, "certs", "rekey", "-o", "json"); code != 0 || !strings.Contains(out, `"rekeyed": 0`) {
		t.Errorf("second certs rekey: exit %d, %s", code, out)
	}
	// The new key alone now reads every certificate.
	only, err := certs.NewStore(db.Client, keyB)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 2} {
		if _, err := only.Credential(ctx, id); err != nil {
			t.Errorf("Credential(%d) with the new key only: %v", id, err)
		}
	}
}

// withoutPrevious returns a copy of cfg without master_key_previous.
func withoutPrevious(cfg *configs.Config) *configs.Config {
	c := *cfg
	c.MasterKeyPrevious = ""
	return &c
}

// startWithPrevious runs pushd with cfg: its certificate store seals under
// master_key and opens master_key_previous too.
func startWithPrevious(t *testing.T, cfg *configs.Config) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{Log: discardLogger(), NoWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return "http://" + <-addr
}
