package app

import (
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors/fake"
)

// TestVendorEndpointFromEnvironment configures pushd from the environment
// alone (no file, no Options.Clients): PUSHD_VENDORS_APNS_ENDPOINT and
// PUSHD_VENDORS_APNS_CA_FILE point APNs at a loopback fake, which gets the
// push; the real Apple host is never tried.
func TestVendorEndpointFromEnvironment(t *testing.T) {
	db := testredis.New(t)
	apns := fake.NewAPNs(fake.APNsOptions{})
	t.Cleanup(apns.Close)
	ca := filepath.Join(t.TempDir(), "fake-apns-ca.pem")
	if err := apns.WriteCA(ca); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	for k, v := range map[string]string{
		"PUSHD_VENDORS_APNS_ENDPOINT":   apns.URL(),
		"PUSHD_VENDORS_APNS_CA_FILE":    ca,
		"PUSHD_REDIS_URL":               db.URL,
		"PUSHD_MASTER_KEY":              base64.StdEncoding.EncodeToString(key),
		"PUSHD_LISTEN":                  "127.0.0.1:0",
		"PUSHD_WORKER_RETRY_BASE":       "100ms",
		"PUSHD_WORKER_RETRY_MAX":        "400ms",
		"PUSHD_WORKER_SHUTDOWN_TIMEOUT": "2s",
		"PUSHD_DATA_DIR":                t.TempDir(),
	} {
		t.Setenv(k, v)
	}
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, apns: apns, logs: &syncBuffer{}}
	h.start(cfg, Options{})
	cert := h.addAPNs(testApp, testBundle)
	tok := deviceToken("apns", 7)
	h.enqueue(map[string]any{"app_id": testApp, "msg_id": "env-1",
		"devices":      []map[string]any{{"cert_id": cert, "token": tok}},
		"offline_push": map[string]any{"desc": "from the environment"}})
	waitFor(t, "the push at the fake APNs", 15*time.Second, func() bool { return okPerToken(apns.Requests())[tok] == 1 })
}
