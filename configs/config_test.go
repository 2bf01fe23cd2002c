package configs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// exampleWithTokens is the example file with its change-me tokens
// replaced, as an operator must do before it loads.
func exampleWithTokens(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("pushd.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer("change-me-enqueue-token-0001", "0f3c9a1e7b2d4c6a8e0f1a2b",
		"change-me-admin-token-000001", "9e8d7c6b5a4f3e2d1c0b9a8f").Replace(string(b))
	p := filepath.Join(t.TempDir(), "pushd.yaml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The example as written must not load: its tokens are public.
func TestExampleTokensRefused(t *testing.T) {
	_, err := Load("pushd.example.yaml")
	if err == nil || !strings.Contains(err.Error(), "change-me") || !strings.Contains(err.Error(), "tokens[0]") {
		t.Fatalf("example with change-me tokens: %v, want an error naming tokens[0] and change-me", err)
	}
}

func TestExampleFileLoads(t *testing.T) {
	c, err := Load(exampleWithTokens(t))
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL != "redis://127.0.0.1:6379/0" || len(c.Tokens) != 2 || c.Tokens[1].Role != RoleAdmin {
		t.Fatalf("example not loaded as written: %+v", c)
	}
	if got := c.Tokens[0].Apps; len(got) != 1 || got[0] != "1400000001" || c.Tokens[1].Apps != nil {
		t.Fatalf("token apps: %v / %v", got, c.Tokens[1].Apps)
	}
	l := c.Limits
	if l.JobsPerSecond != DefaultJobsPerSecond || l.MaxRecipients != DefaultMaxRecipients || l.MaxDevices != DefaultMaxDevices {
		t.Fatalf("limits: %+v", l)
	}
	if a := l.For("1400000001"); a.JobsPerSecond != 200 || a.MaxRecipients != DefaultMaxRecipients {
		t.Fatalf("limits of 1400000001: %+v", a)
	}
	if c.ListenTLS.Enabled() || c.MetricsToken != "" {
		t.Fatalf("tls %+v metrics %q", c.ListenTLS, c.MetricsToken)
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
		"tokens:\n  - {name: a, token: xx-change-me-xxxxxxxxx, role: admin}\n":                 "change-me",
		"tokens:\n  - {name: a, token: 0123456789abcdef, role: admin, apps: [\"a:b\"]}\n":      "tokens[0].apps[0]",
		"tokens:\n  - {name: a, token: \"0123456789 abcdef\", role: admin}\n":                  "tokens[0]",
		"metrics_token: short\n":                                                               "metrics_token",
		"listen_tls: {cert_file: c.pem}\n":                                                     "listen_tls",
		"limits:\n  jobs_per_second: -1\n":                                                     "limits.jobs_per_second",
		"limits:\n  max_recipients: -1\n":                                                      "limits.max_recipients",
		"limits:\n  apps: {\"1\": {max_devices: -5}}\n":                                        "limits.apps.1.max_devices",
		"limits:\n  apps: {\"a b\": {max_devices: 5}}\n":                                       "limits.apps.a b",
		"receipts: {base_url: ftp://x, secret: 0123456789abcdef}\n":                            "receipts.base_url",
		"receipts: {base_url: \"https://u:p@h.example\", secret: 0123456789abcdef}\n":          "receipts.base_url",
		"receipts: {base_url: https://h.example}\n":                                            "receipts.secret",
		"receipts: {callback_user: agc}\n":                                                     "receipts.callback_user",
		"receipts: {stats_ttl: 1h}\n":                                                          "receipts.stats_ttl",
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
		Tokens:       []Token{{Name: "ops", Token: "tok-very-secret-0001", Role: RoleAdmin}},
		MetricsToken: "metrics-very-secret-01",
		Events:       Events{Webhook: Webhook{URL: "https://hookuser:hookpass@h.example/p?token=qsecret1&sig=qsecret2#frag", Secret: "whsec-very-secret"}},
		Receipts:     Receipts{BaseURL: "https://push.example.com", Secret: "rcpt-very-secret-01", CallbackUser: "agc", CallbackSecret: "agc-very-secret-01"}}
	r := c.Redacted()
	// Everything printed: the map `pushd config print` and GET /v1/config show.
	s := fmt.Sprint(r.Map())
	for _, secret := range []string{"c2VjcmV0", "hunter2", "tok-very-secret-0001", "hookuser", "hookpass", "qsecret1", "qsecret2", "whsec-very-secret", "metrics-very-secret-01",
		"rcpt-very-secret-01", "agc-very-secret-01"} {
		if strings.Contains(s, secret) {
			t.Fatalf("redacted config leaks %q: %s", secret, s)
		}
	}
	if c.Tokens[0].Token != "tok-very-secret-0001" {
		t.Fatal("Redacted modified the original")
	}
}

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"":                                   "",
		"https://h.example/p":                "https://h.example/p",
		"https://tok@h.example/p":            "https://redacted@h.example/p",
		"https://u:p@h.example/p?a=1&b=2":    "https://redacted:redacted@h.example/p?a=redacted&b=redacted",
		"redis://:pw@127.0.0.1:6379/0":       "redis://redacted:redacted@127.0.0.1:6379/0",
		"https://h.example/%zz?token=secret": "<redacted: unparseable URL>",
	}
	for in, want := range cases {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
