// Package vendorhttp holds the HTTP plumbing every JSON push vendor repeats:
// a bounded default client, one POST with a bounded answer read, the
// Retry-After header and a JSON value sent as either a string or a number.
// Vendor facts (codes, tables, field names) stay in each vendor's package.
package vendorhttp

import (
	"io"
	"net/http"
	"strings"

	"github.com/pushd/pushd/vendors"
)

// DefaultClient is NewClient for v with the default endpoint: what an
// adapter uses when its endpoint brings no client.
func DefaultClient(v vendors.Vendor) *http.Client { return NewClient(v, vendors.Endpoint{}) }

// Base returns override without trailing slashes, or def when override is
// empty, so tests and sandboxes can point a client at a fake server.
func Base(override, def string) string {
	if override != "" {
		return strings.TrimRight(override, "/")
	}
	return def
}

// Answer is what a vendor sent back: its status, headers and body.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Exchange performs req with hc and reads at most limit bytes of the answer.
// A transport failure or an unreadable answer (a deadline passing
// included) is a Retryable error of v whose message starts with label
// (see TransportError); Status is kept when the answer started.
func Exchange(hc *http.Client, req *http.Request, v vendors.Vendor, limit int64, label string) (Answer, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, TransportError(v, err, label, 0)
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode, Header: resp.Header}
	a.Body, err = io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return a, TransportError(v, err, label+"reading the answer: ", resp.StatusCode)
	}
	return a, nil
}

// AuthURL is the auth URL of an adapter whose auth_endpoint is configured
// (a full URL or a base, see vendors.Endpoints.AuthURL), or, when it is
// not, sendBase with e.AuthPath: the vendors whose send host also answers
// auth (OPPO, vivo) keep asking the host the sends go to.
func AuthURL(e vendors.Endpoints, configured, sendBase string) string {
	if configured == "" {
		return sendBase + e.AuthPath
	}
	return e.AuthURL(configured)
}
