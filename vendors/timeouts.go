package vendors

import (
	"fmt"
	"net/netip"
	"time"
)

// Timeouts bound each phase of one vendor request, token and OAuth
// requests included, so a vendor that accepts a connection and never
// answers costs a worker at most Request (issue 18). docs/vendors-timeouts.md
// lists the defaults and why.
type Timeouts struct {
	// Connect bounds the TCP connect (DNS included).
	Connect time.Duration
	// TLS bounds the TLS handshake.
	TLS time.Duration
	// Header bounds the wait for the answer's headers once the request is
	// written.
	Header time.Duration
	// Request bounds the whole exchange: connect, TLS, request, answer
	// headers and body.
	Request time.Duration
	// Ping is how long an HTTP/2 connection may stay silent before a
	// health-check ping, and PingAnswer how long the ping may take before
	// the connection is dropped (APNs and FCM keep long-lived HTTP/2
	// connections; a dead one must not swallow requests).
	Ping, PingAnswer time.Duration
}

// DefaultTimeouts returns the timeouts of v when the configuration sets
// none. No vendor publishes a server-side deadline; these are chosen so a
// healthy vendor is never cut off (APNs and FCM answer in well under a
// second; the batch APIs of the Android vendors take up to 1000 tokens in
// one request and are often reached across a long route, hence their
// longer header and request bounds) while a stuck one releases the worker
// within seconds.
func DefaultTimeouts(v Vendor) Timeouts {
	t := Timeouts{Connect: 5 * time.Second, TLS: 5 * time.Second, Header: 10 * time.Second,
		Request: 15 * time.Second, Ping: 15 * time.Second, PingAnswer: 5 * time.Second}
	if v.Android() {
		t.Header, t.Request = 15*time.Second, 20*time.Second
	}
	return t
}

// TimeoutsOf returns v's default timeouts with the endpoint's overrides:
// a non-zero ep.Timeout replaces Request and a non-zero ep.ConnectTimeout
// replaces Connect. No phase is allowed to outlast the whole request.
func (ep Endpoint) TimeoutsOf(v Vendor) Timeouts {
	t := DefaultTimeouts(v)
	if ep.Timeout > 0 {
		t.Request = ep.Timeout
	}
	if ep.ConnectTimeout > 0 {
		t.Connect = ep.ConnectTimeout
	}
	t.Connect = min(t.Connect, t.Request)
	t.TLS = min(t.TLS, t.Request)
	t.Header = min(t.Header, t.Request)
	return t
}

// AddressList is a set of networks. A pointer to one keeps Endpoint
// comparable.
type AddressList struct {
	Prefixes []netip.Prefix
}

// ParseAddressList reads CIDR prefixes or single addresses ("127.0.0.1/8",
// "::1"); the error names the first one that is neither.
func ParseAddressList(items []string) (*AddressList, error) {
	l := &AddressList{}
	for _, it := range items {
		p, err := netip.ParsePrefix(it)
		if err != nil {
			a, aerr := netip.ParseAddr(it)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR prefix", it)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		l.Prefixes = append(l.Prefixes, p.Masked())
	}
	return l, nil
}

// Contains reports whether addr is in one of l's networks; a nil list
// contains nothing.
func (l *AddressList) Contains(addr netip.Addr) bool {
	if l == nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range l.Prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
