package faulttest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// hook is a webhook receiver that checks each POST's signature and keeps
// the events of the good ones. Checks run in the test goroutine (events),
// the handler only records.
type hook struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	posts  []hookPost
}

type hookPost struct {
	header http.Header
	body   []byte
}

func newHook(t *testing.T, secret string) *hook {
	h := &hook{secret: secret}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.posts = append(h.posts, hookPost{header: r.Header.Clone(), body: b})
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

// events verifies every POST received so far (HMAC-SHA256 of the body
// under the secret, timestamp header equal to the body's sent_at) and
// returns their events.
func (h *hook) events(t *testing.T) []dispatcher.Event {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []dispatcher.Event
	for _, p := range h.posts {
		m := hmac.New(sha256.New, []byte(h.secret))
		m.Write(p.body)
		if got, want := p.header.Get("X-Pushd-Signature"), "sha256="+hex.EncodeToString(m.Sum(nil)); got != want {
			t.Fatalf("webhook signature %q, want %q", got, want)
		}
		var b dispatcher.WebhookBody
		if err := json.Unmarshal(p.body, &b); err != nil {
			t.Fatal(err)
		}
		if p.header.Get("X-Pushd-Timestamp") != strconv.FormatInt(b.SentAt, 10) {
			t.Fatalf("timestamp header %q, body sent_at %d", p.header.Get("X-Pushd-Timestamp"), b.SentAt)
		}
		out = append(out, b.Events...)
	}
	return out
}

func randomSecret(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// TestAPITokensAndSecrets checks the API's roles (no token and a wrong
// token: 401; an enqueue token on an admin route: 403) and that nothing
// pushd logs or answers, nor what it posts to the webhook, holds a secret
// (master key, p8 key, API tokens, webhook secret) or a full device token.
func TestAPITokensAndSecrets(t *testing.T) {
	t.Parallel()
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{})
	enqTok, adminTok, whSecret := randomSecret("enq-"), randomSecret("adm-"), randomSecret("whsec-")
	e.scan.secret("enqueue token", enqTok)
	e.scan.secret("admin token", adminTok)
	e.scan.secret("webhook secret", whSecret)
	wh := newHook(t, whSecret)
	cfg := e.config(db.URL)
	cfg.Tokens = []configs.Token{{Name: "svc", Token: enqTok, Role: configs.RoleEnqueue}, {Name: "ops", Token: adminTok, Role: configs.RoleAdmin}}
	cfg.Events.Webhook = configs.Webhook{URL: wh.URL, Secret: whSecret, Batch: 10, Flush: 100 * time.Millisecond}
	n := e.start(cfg, app.Options{})
	base := n.client.Base
	tok := tokens(0x5e, 1)[0]
	job := map[string]any{"app_id": appID, "msg_id": "sec-1", "devices": []map[string]any{{"cert_id": 1, "token": tok}},
		"offline_push": map[string]any{"desc": "secret?"}}
	cases := []struct {
		name, method, path, token string
		body                      any
		want                      int
	}{
		{"enqueue without a token", http.MethodPost, "/v1/messages", "", job, 401},
		{"certs without a token", http.MethodGet, "/v1/certs", "", nil, 401},
		{"enqueue with a wrong token", http.MethodPost, "/v1/messages", "wrong-token-000000000000", job, 401},
		{"config with a wrong token", http.MethodGet, "/v1/config", "wrong-token-000000000000", nil, 401},
		{"list certs as enqueue", http.MethodGet, "/v1/certs", enqTok, nil, 403},
		{"upload a cert as enqueue", http.MethodPost, "/v1/certs", enqTok, api.CertRequest{AppID: appID, Vendor: "apns"}, 403},
		{"delete a cert as enqueue", http.MethodDelete, "/v1/certs/1", enqTok, nil, 403},
		{"config as enqueue", http.MethodGet, "/v1/config", enqTok, nil, 403},
		{"failed jobs as enqueue", http.MethodGet, "/v1/jobs/failed", enqTok, nil, 403},
		{"replay as enqueue", http.MethodPost, "/v1/jobs/replay", enqTok, api.ReplayRequest{All: true}, 403},
		{"test push as enqueue", http.MethodPost, "/v1/push", enqTok, api.PushRequest{CertID: 1, Token: tok, Desc: "x"}, 403},
		{"events as enqueue", http.MethodGet, "/v1/apps/" + appID + "/events?follow=false", enqTok, nil, 403},
	}
	for _, c := range cases {
		err := e.client(base, c.token).Do(context.Background(), c.method, c.path, c.body, nil)
		var se *api.StatusError
		if !errors.As(err, &se) || se.Status != c.want {
			t.Errorf("%s: %v, want HTTP %d", c.name, err, c.want)
		}
	}
	if code := rawAuth(t, base+"/v1/certs", "Token "+adminTok); code != 401 {
		t.Errorf("a non-Bearer Authorization header got %d, want 401", code)
	}

	// The same routes work with the right roles, and their answers, the
	// logs and the webhook are scanned.
	admin, svc := e.client(base, adminTok), e.client(base, enqTok)
	cert := e.addCert(admin)
	job["devices"] = []map[string]any{{"cert_id": cert, "token": tok}}
	if err := svc.Do(context.Background(), http.MethodPost, "/v1/messages", job, nil); err != nil {
		t.Fatalf("enqueue with the enqueue token: %v", err)
	}
	waitFor(t, "the job delivered", 10*time.Second, func() bool { return okByToken(e.apns.Requests())[tok] == 1 })
	for _, path := range []string{"/v1/config", "/v1/certs", fmt.Sprintf("/v1/certs/%d", cert), "/v1/jobs/failed"} {
		if err := admin.Do(context.Background(), http.MethodGet, path, nil, nil); err != nil {
			t.Errorf("GET %s as admin: %v", path, err)
		}
	}
	var sent []dispatcher.Event
	waitFor(t, "the sent event at the webhook", 10*time.Second, func() bool {
		sent = wh.events(t)
		return len(sent) > 0
	})
	posted, _ := json.Marshal(sent)
	e.scan.capture("webhook body").Write(posted)
	if sent[0].Type != dispatcher.EventSent || sent[0].Token != vendors.TokenHash(tok) {
		t.Errorf("webhook event %+v, want sent with the token's hash", sent[0])
	}
	findings := e.scan.findings()
	for _, f := range findings {
		t.Errorf("secret scan: %s", f)
	}
	report(t, map[string]any{
		"auth_cases":        len(cases) + 1,
		"log_lines_scanned": e.scan.lines(),
		"leaks":             len(findings),
	})
}

// rawAuth GETs url with the given Authorization header and returns the
// status.
func rawAuth(t *testing.T, url, auth string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
