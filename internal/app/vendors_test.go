package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/harmony"
)

// timeoutCreds are credentials each adapter accepts; the vendor never
// sees them, because it never answers.
func timeoutCreds(t *testing.T) map[vendors.Vendor]*vendors.Credential {
	t.Helper()
	p8, err := testcreds.NewP8()
	if err != nil {
		t.Fatal(err)
	}
	hm, err := testcreds.NewHarmonyAccount("101")
	if err != nil {
		t.Fatal(err)
	}
	cred := func(v vendors.Vendor, fields map[string]string, secrets map[string]string) *vendors.Credential {
		c := &vendors.Credential{ID: 9, AppID: testApp, Vendor: v, Fields: fields, Secrets: map[string][]byte{}}
		for k, s := range secrets {
			c.Secrets[k] = []byte(s)
		}
		return c
	}
	return map[vendors.Vendor]*vendors.Credential{
		vendors.APNs: cred(vendors.APNs, map[string]string{"bundle_id": "com.example", "env": "production", "key_id": "KEY1234567", "team_id": "TEAM123456"},
			map[string]string{"p8": string(p8.PEM)}),
		vendors.Xiaomi: cred(vendors.Xiaomi, map[string]string{"package": "com.example"}, map[string]string{"app_secret": "s"}),
		vendors.Huawei: cred(vendors.Huawei, map[string]string{"app_id": "1"}, map[string]string{"app_secret": "s"}),
		vendors.Honor:  cred(vendors.Honor, map[string]string{"app_id": "1", "client_id": "c"}, map[string]string{"client_secret": "s"}),
		vendors.OPPO:   cred(vendors.OPPO, map[string]string{"app_key": "k"}, map[string]string{"master_secret": "s"}),
		vendors.Vivo:   cred(vendors.Vivo, map[string]string{"app_id": "1", "app_key": "k"}, map[string]string{"app_secret": "s"}),
		vendors.Meizu:  cred(vendors.Meizu, map[string]string{"app_id": "1", "package": "com.example"}, map[string]string{"app_secret": "s"}),
		harmony.Harmony: cred(harmony.Harmony, map[string]string{"project_id": hm.ProjectID, "key_id": hm.KeyID, "sub_account": hm.SubAccount},
			map[string]string{"private_key": string(hm.PEM)}),
	}
}

// TestEveryAdapterTimesOut configures vendors.<name>.timeout through the
// YAML file and points every adapter (send and token requests alike) at a
// server that accepts the connection and never answers, or answers the
// headers and stalls the body: each send comes back Retryable with code
// timeout within a bound of the deadline.
func TestEveryAdapterTimesOut(t *testing.T) {
	const deadline = 300 * time.Millisecond
	release := make(chan struct{})
	stalls := map[string]http.HandlerFunc{
		"never answers": func(w http.ResponseWriter, r *http.Request) { <-release },
		"stalls the body": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"code":`))
			w.(http.Flusher).Flush()
			<-release
		},
	}
	creds := timeoutCreds(t)
	for name, h := range stalls {
		srv := httptest.NewUnstartedServer(h)
		srv.EnableHTTP2 = true
		srv.StartTLS()
		t.Cleanup(srv.Close)
		var yaml strings.Builder
		yaml.WriteString("vendors:\n")
		clients := map[vendors.Vendor]*http.Client{}
		for v := range creds {
			fmt.Fprintf(&yaml, "  %s: {endpoint: %q, auth_endpoint: %q, timeout: %s, connect_timeout: 200ms}\n", v, srv.URL, srv.URL, deadline)
			clients[v] = srv.Client()
		}
		cfg := loadYAML(t, yaml.String())
		if got := cfg.Vendors["huawei"].Timeout; got != deadline {
			t.Fatalf("vendors.huawei.timeout decoded as %s", got)
		}
		reg, err := NewRegistry(cfg.Vendors, clients, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for v, cred := range creds {
			t.Run(name+"/"+string(v), func(t *testing.T) {
				s, err := reg.Build(cred)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				r := s.Send(context.Background(), &vendors.Notification{ID: "m1", Title: "t", Body: "b"}, []string{"tok1"})[0]
				took := time.Since(start)
				if vendors.KindOf(r.Err) != vendors.Retryable || vendors.CodeOf(r.Err) != vendors.CodeTimeout {
					t.Fatalf("err = %v, want retryable %s", r.Err, vendors.CodeTimeout)
				}
				if took > 5*deadline {
					t.Errorf("took %s, deadline %s", took, deadline)
				}
			})
		}
	}
	close(release)
}

func loadYAML(t *testing.T, yaml string) *configs.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pushd.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestVendorEndpointValidation(t *testing.T) {
	cases := map[string]string{
		"vendors:\n  apns: {timeout: -1s}\n":                       "vendors.apns",
		"vendors:\n  fcm: {timeout: 2s, connect_timeout: 5s}\n":    "vendors.fcm.connect_timeout",
		"vendors:\n  fcm: {allow_addresses: [\"localhost\"]}\n":    "vendors.fcm.allow_addresses",
		"vendors:\n  vivo: {allow_addresses: [\"10.0.0.0/33\"]}\n": "vendors.vivo.allow_addresses",
	}
	for yaml, want := range cases {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := configs.Load(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to name %s", yaml, err, want)
		}
	}
	cfg := loadYAML(t, "vendors:\n  fcm: {timeout: 30s, connect_timeout: 2s, allow_addresses: [\"127.0.0.1/8\", \"::1\"]}\n")
	reg, err := NewRegistry(cfg.Vendors, nil, nil, nil)
	if err != nil || !reg.Has(vendors.FCM) {
		t.Fatalf("registry: %v", err)
	}
}

// TestSandboxFailsClosed: a vendor whose fake is missing must not be left
// with an empty endpoint (its real production host): pushd refuses to
// build the registry, and the marker it gets never resolves anyway.
func TestSandboxFailsClosed(t *testing.T) {
	sb := fake.StartSandbox()
	defer sb.Close()
	withoutMeizu := func(v vendors.Vendor) vendors.Endpoint {
		if v == vendors.Meizu {
			return vendors.Endpoint{}
		}
		return sb.Endpoint(v)
	}
	base := map[string]configs.VendorEndpoint{"apns": {Timeout: 3 * time.Second}}
	cfg, clients, missing := sandboxVendors(withoutMeizu, base)
	if len(missing) != 1 || missing[0] != vendors.Meizu {
		t.Fatalf("missing = %v, want [meizu]", missing)
	}
	if got := cfg["meizu"].Endpoint; got == "" || !strings.HasSuffix(got, ".invalid") {
		t.Fatalf("meizu endpoint %q, want the .invalid marker", got)
	}
	if _, err := NewRegistry(cfg, clients, nil, nil); err == nil || !strings.Contains(err.Error(), "meizu has no fake") {
		t.Fatalf("NewRegistry = %v, want a refusal naming meizu", err)
	}

	// Every fake present: every vendor points at its fake and keeps the
	// operator's timeout.
	cfg, clients, missing = sandboxVendors(sb.Endpoint, base)
	if len(missing) != 0 {
		t.Fatalf("missing = %v", missing)
	}
	for _, v := range vendors.All() {
		if cfg[string(v)].Endpoint != sb.Endpoint(v).URL || clients[v] == nil {
			t.Errorf("%s: endpoint %q, client %v", v, cfg[string(v)].Endpoint, clients[v])
		}
	}
	if cfg["apns"].Timeout != 3*time.Second {
		t.Errorf("apns timeout %s, want the operator's 3s", cfg["apns"].Timeout)
	}
	if _, err := NewRegistry(cfg, clients, nil, nil); err != nil {
		t.Fatal(err)
	}
}
