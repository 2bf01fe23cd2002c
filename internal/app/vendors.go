package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/pushd/pushd/dispatcher"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/registry"
)

// builders are the adapters of every vendor in the catalog, which
// vendors/registry installs (one line per vendor): no other list.
func builders() map[vendors.Vendor]vendors.Builder {
	m := map[vendors.Vendor]vendors.Builder{}
	if registry.Installed() == 0 {
		return m
	}
	for _, d := range vendors.Descriptors() {
		m[d.Name] = d.Build
	}
	return m
}

// NewRegistry registers every adapter with its configured endpoint,
// timeouts and allowed addresses. clients may supply an HTTP client per
// vendor (the sandbox's fakes); otherwise a ca_file builds one that trusts
// that CA. The adapters wrap whichever client in internal/vendorhttp's
// guarded, time-bounded transport.
// warn, when not nil, is told of non-fatal problems senders report (an
// OPPO send without a channel id).
func NewRegistry(cfg map[string]configs.VendorEndpoint, clients map[vendors.Vendor]*http.Client, warn func(v vendors.Vendor, warning string, n int), receipts *dispatcher.Receipts) (*vendors.Registry, error) {
	r := vendors.NewRegistry()
	for v, b := range builders() {
		b := receipts.Wrap(withWarnings(v, b, warn))
		ep, err := endpointOf(v, cfg[string(v)], clients[v])
		if err != nil {
			return nil, err
		}
		r.Register(v, b, ep)
	}
	return r, nil
}

// endpointOf turns v's configuration into the adapter's endpoint. It
// refuses the sandbox's marker of a vendor without a fake: an empty
// endpoint would mean the vendor's real production host.
func endpointOf(v vendors.Vendor, ve configs.VendorEndpoint, client *http.Client) (vendors.Endpoint, error) {
	if ve.Endpoint == noFakeEndpoint || ve.AuthEndpoint == noFakeEndpoint {
		return vendors.Endpoint{}, fmt.Errorf("sandbox: vendor %s has no fake; refusing to start rather than send to its real service", v)
	}
	allowed, err := vendors.ParseAddressList(ve.AllowAddresses)
	if err != nil {
		return vendors.Endpoint{}, fmt.Errorf("vendors.%s.allow_addresses: %w", v, err)
	}
	ep := vendors.Endpoint{URL: ve.Endpoint, AuthURL: ve.AuthEndpoint, Client: client,
		Timeout: ve.Timeout, ConnectTimeout: ve.ConnectTimeout, Allowed: allowed}
	if ep.Client == nil && ve.CAFile != "" {
		if ep.Client, err = clientTrusting(ve.CAFile); err != nil {
			return vendors.Endpoint{}, fmt.Errorf("vendors.%s.ca_file: %w", v, err)
		}
	}
	return ep, nil
}

// clientTrusting returns an HTTP/2-capable client trusting the system roots
// plus the PEM certificates in file. Its timeouts and dialer are set by
// the adapter (vendorhttp.NewClient).
func clientTrusting(file string) (*http.Client, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	tr.ForceAttemptHTTP2 = true
	return &http.Client{Transport: tr}, nil
}

// missingChannel is implemented by senders that can go out without a
// notification channel (OPPO): a warning, not a failure.
type missingChannel interface {
	OnMissingChannel(func(tokens int))
}

func withWarnings(v vendors.Vendor, b vendors.Builder, warn func(vendors.Vendor, string, int)) vendors.Builder {
	if warn == nil {
		return b
	}
	return func(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
		s, err := b(cred, ep)
		if mc, ok := s.(missingChannel); ok && err == nil {
			mc.OnMissingChannel(func(n int) { warn(v, "missing_channel_id", n) })
		}
		return s, err
	}
}
