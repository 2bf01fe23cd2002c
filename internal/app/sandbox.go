package app

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// noFakeEndpoint is where the sandbox points a vendor that has no fake:
// the .invalid top-level domain never resolves (RFC 6761 §6.4), and
// NewRegistry refuses it outright, so the sandbox fails closed instead of
// leaving the endpoint empty, which would mean the real production host.
const noFakeEndpoint = "https://no-sandbox-fake.invalid"

// startSandbox starts the in-process fakes of `pushd serve --sandbox` and
// points every vendor at them (SPEC §7): the fakes' endpoints go into a
// copy of the configuration (so GET /v1/config shows them) and their
// clients, which trust the fakes' certificates, into the options.
func (a *App) startSandbox() {
	if !a.opts.Sandbox {
		return
	}
	a.Sandbox = fake.StartSandbox()
	cfg := *a.Config
	var missing []vendors.Vendor
	cfg.Vendors, a.opts.Clients, missing = sandboxVendors(a.Sandbox.Endpoint, cfg.Vendors)
	for _, v := range vendors.All() {
		a.Log.Info("sandbox: fake vendor running", "vendor", v, "endpoint", cfg.Vendors[string(v)].Endpoint)
	}
	for _, v := range missing {
		a.Log.Error("sandbox: no fake for this vendor; pushd will not start", "vendor", v)
	}
	a.Config = &cfg
	a.Log.Warn("sandbox: every vendor goes to an in-process fake; nothing reaches a real push service",
		"hint", "the fakes trust each uploaded certificate when it is first used")
}

// sandboxVendors points every vendor at its fake's endpoint (from
// endpoint), keeping the operator's timeouts, and returns the fakes'
// clients. A vendor whose fake has no URL gets noFakeEndpoint and is listed
// in missing.
func sandboxVendors(endpoint func(vendors.Vendor) vendors.Endpoint, base map[string]configs.VendorEndpoint) (
	cfg map[string]configs.VendorEndpoint, clients map[vendors.Vendor]*http.Client, missing []vendors.Vendor) {
	cfg, clients = map[string]configs.VendorEndpoint{}, map[vendors.Vendor]*http.Client{}
	for _, v := range vendors.All() {
		ep := endpoint(v)
		ve := configs.VendorEndpoint{Timeout: base[string(v)].Timeout, ConnectTimeout: base[string(v)].ConnectTimeout,
			Endpoint: ep.URL, AuthEndpoint: ep.AuthURL}
		if ep.URL == "" {
			ve.Endpoint, ve.AuthEndpoint = noFakeEndpoint, noFakeEndpoint
			missing = append(missing, v)
		}
		cfg[string(v)] = ve
		clients[v] = ep.Client
	}
	return cfg, clients, missing
}

// SandboxFakes describes the running fakes, one line per vendor, for
// `pushd serve --sandbox` to print; nil when not in sandbox mode.
func (a *App) SandboxFakes() []string {
	if a.Sandbox == nil {
		return nil
	}
	var out []string
	for _, v := range vendors.All() {
		out = append(out, fmt.Sprintf("%-7s %s", v, a.Sandbox.Endpoint(v).URL))
	}
	return out
}

// credentials is where the pool reads certificates: the store, or in
// sandbox mode the store behind the trusting hook.
func (a *App) credentials() dispatcher.CredentialSource {
	if a.Sandbox == nil {
		return a.Certs
	}
	return &trustingSource{src: a.Certs, sandbox: a.Sandbox, app: a}
}

// trustingSource makes the sandbox's fakes trust every certificate the
// pool reads, before the pool builds its sender. The fakes only accept
// registered credentials, and a sandbox user's certificates were never
// registered with any vendor. Hooking the reads (rather than the upload
// route) covers certificates added through the API or the CLI, rotations,
// and certificates added by another process sharing the Redis.
type trustingSource struct {
	src     dispatcher.CredentialSource
	sandbox *fake.Sandbox
	app     *App
}

// Credential returns the certificate id, trusted by its fake.
func (t *trustingSource) Credential(ctx context.Context, id int64) (*vendors.Credential, error) {
	cred, err := t.src.Credential(ctx, id)
	if err != nil {
		return nil, err
	}
	// Material the fake cannot parse, the adapter cannot either: it
	// refuses the certificate with its own error when the pool builds it.
	if err := t.sandbox.Trust(cred); err != nil {
		t.app.Log.Warn("sandbox: certificate not trusted by its fake", "cert_id", id, "vendor", cred.Vendor, "err", err)
	}
	return cred, nil
}
