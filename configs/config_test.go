package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleFileLoads(t *testing.T) {
	c, err := Load("pushd.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL != "redis://127.0.0.1:6379/0" || len(c.Tokens) != 2 || c.Tokens[1].Role != RoleAdmin {
		t.Fatalf("example not loaded as written: %+v", c)
	}
	if c.Worker.RetryMax != 10*time.Minute || c.Worker.Retention != 24*time.Hour {
		t.Fatalf("durations: %+v", c.Worker)
	}
	if _, ok := c.Vendors["apns"]; !ok {
		t.Fatal("vendors.apns missing")
	}
	if got := c.Worker.CertRateLimits(); len(got) != 1 || got[7] != 50 || c.Worker.DefaultRateLimit != 0 {
		t.Fatalf("rate limits: %v default %v", got, c.Worker.DefaultRateLimit)
	}
	if w := c.Events.Webhook; w.URL != "" || w.Batch != 100 || w.Flush != time.Second {
		t.Fatalf("webhook: %+v", w)
	}
}

func TestDefaultsWithoutFile(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Embedded() || !c.Loopback() || c.Worker.Concurrency != 20 || c.Worker.MaxRetry != 8 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Setenv("PUSHD_REDIS_URL", "redis://10.0.0.1:6379/2")
	t.Setenv("PUSHD_WORKER_CONCURRENCY", "7")
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL != "redis://10.0.0.1:6379/2" || c.Worker.Concurrency != 7 {
		t.Fatalf("env not applied: %+v", c)
	}
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	cases := map[string]string{
		"listen: nope\n":                                                                       "listen",
		"worker:\n  concurrency: 0\n":                                                          "worker.concurrency",
		"tokens:\n  - {name: a, token: short, role: admin}\n":                                  "tokens[0]",
		"tokens:\n  - {name: a, token: 0123456789abcdef, role: root}\n":                        "role",
		"vendors:\n  nokia: {endpoint: x}\n":                                                   "vendors.nokia",
		"worker:\n  rate_limits: {abc: 5}\n":                                                   "worker.rate_limits.abc",
		"worker:\n  rate_limits: {\"3\": -1}\n":                                                "worker.rate_limits.3",
		"worker:\n  default_rate_limit: -2\n":                                                  "worker.default_rate_limit",
		"events:\n  webhook: {url: ftp://x}\n":                                                 "events.webhook.url",
		"events:\n  webhook: {url: https://h.example/p}\n":                                     "events.webhook.secret",
		"events:\n  webhook: {url: https://h.example/p, secret: 0123456789abcdef, batch: 0}\n": "events.webhook.batch",
	}
	for yaml, want := range cases {
		p := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(p, []byte(yaml), 0o600)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error naming %s", yaml, err, want)
		}
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c := &Config{MasterKey: "c2VjcmV0", Redis: Redis{URL: "redis://:hunter2@h:6379/0"},
		Tokens: []Token{{Name: "ops", Token: "tok-very-secret-0001", Role: RoleAdmin}},
		Events: Events{Webhook: Webhook{URL: "https://u:hookpass@h.example/p", Secret: "whsec-very-secret"}}}
	r := c.Redacted()
	s := r.MasterKey + r.Redis.URL + r.Tokens[0].Token + r.Events.Webhook.URL + r.Events.Webhook.Secret
	for _, secret := range []string{"c2VjcmV0", "hunter2", "tok-very-secret-0001", "hookpass", "whsec-very-secret"} {
		if strings.Contains(s, secret) {
			t.Fatalf("redacted config leaks %q: %s", secret, s)
		}
	}
	if c.Tokens[0].Token != "tok-very-secret-0001" {
		t.Fatal("Redacted modified the original")
	}
}
