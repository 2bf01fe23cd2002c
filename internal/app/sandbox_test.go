package app

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
)

// TestSandboxServesWithoutRealCredentials runs pushd as `pushd serve
// --sandbox` does with no configuration (embedded Redis, so no test Redis
// is needed): certificates the fakes were never told about are uploaded,
// and test pushes and a queued job reach the fakes and are accepted.
func TestSandboxServesWithoutRealCredentials(t *testing.T) {
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	h := &harness{t: t, logs: &syncBuffer{}}
	h.start(cfg, Options{Sandbox: true, Log: slog.New(slog.NewJSONHandler(h.logs, nil))})
	sb := h.app.Sandbox
	if sb == nil || len(h.app.SandboxFakes()) != len(vendors.All()) {
		t.Fatalf("sandbox fakes: %v", h.app.SandboxFakes())
	}
	var shown struct {
		Vendors map[string]struct{ Endpoint string }
	}
	h.do(http.MethodGet, "/v1/config", nil, &shown)
	for _, v := range vendors.All() {
		if got := shown.Vendors[string(v)].Endpoint; got != sb.Endpoint(v).URL {
			t.Fatalf("config shows %s endpoint %q, want the fake's %s", v, got, sb.Endpoint(v).URL)
		}
	}

	p8, err := testcreds.NewP8()
	if err != nil {
		t.Fatal(err)
	}
	apnsCert := h.addCert(api.CertRequest{AppID: testApp, Vendor: "apns",
		Fields:  map[string]string{"bundle_id": "com.example.sandbox", "env": "production", "key_id": "SANDBOXKEY", "team_id": "SANDBOXTM1"},
		Secrets: map[string]string{"p8": base64.StdEncoding.EncodeToString(p8.PEM)}})
	xmCert := h.addCert(api.CertRequest{AppID: testApp, Vendor: "xiaomi",
		Fields:  map[string]string{"package": "com.example.sandbox"},
		Secrets: map[string]string{"app_secret": base64.StdEncoding.EncodeToString([]byte("any-secret-at-all"))}})

	for _, c := range []struct {
		cert  int64
		token string
		v     vendors.Vendor
	}{{apnsCert, tokA, vendors.APNs}, {xmCert, "sandbox-regid-1", vendors.Xiaomi}} {
		var res dispatcher.PushResult
		h.do(http.MethodPost, "/v1/push", api.PushRequest{CertID: c.cert, Token: c.token, Title: "Hi", Desc: "from the sandbox"}, &res)
		if !res.OK || res.MessageID == "" || res.Vendor != string(c.v) {
			t.Fatalf("%s test push: %+v", c.v, res)
		}
		reqs := sb.Recorder(c.v).Requests()
		if len(reqs) != 1 || reqs[0].Status != http.StatusOK || reqs[0].Tokens[0] != c.token {
			t.Fatalf("%s fake recorded %+v", c.v, reqs)
		}
	}

	// The queued path: rules, worker, the fake's answer as an event.
	h.enqueue(map[string]any{"app_id": testApp, "msg_id": "sandbox-1",
		"sender":  map[string]any{"user_id": "denny", "nickname": "Denny"},
		"devices": []map[string]any{{"cert_id": apnsCert, "token": tokA}},
		"elems":   []map[string]any{{"type": "text", "text": "See you at 8"}}})
	evs := h.waitDone(testApp, "sandbox-1", 20*time.Second)
	if len(evs) != 1 || evs[0].Type != dispatcher.EventSent || sb.APNs.Len() != 2 {
		t.Fatalf("events %+v, %d APNs requests", evs, sb.APNs.Len())
	}
	if !strings.Contains(h.logs.String(), "sandbox") {
		t.Fatalf("the sandbox did not say so in the logs")
	}
}

// TestSandboxOffLeavesTheConfiguredEndpoints checks that without the flag
// no fake starts and the configuration is used as is.
func TestSandboxOffLeavesTheConfiguredEndpoints(t *testing.T) {
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	a, err := New(t.Context(), cfg, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Sandbox != nil || a.SandboxFakes() != nil || a.Config != cfg {
		t.Fatalf("sandbox started without the flag")
	}
}
