package vendorhttp

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/pushd/pushd/vendors"
)

// NewClient returns the HTTP client an adapter of v sends with (token and
// OAuth requests included): every phase bounded by ep.TimeoutsOf(v), every
// connection checked by the address guard (see guard), and no redirects
// followed, since a vendor API never redirects a POST and a redirect is
// the easiest way to send a request somewhere nobody configured.
//
// ep.Client, when set, keeps its TLS trust: its *http.Transport is cloned
// and given the dialer and timeouts. A client whose transport is not an
// *http.Transport (a test's canned RoundTripper) is used as given, with
// the request timeout.
func NewClient(v vendors.Vendor, ep vendors.Endpoint) *http.Client {
	t := ep.TimeoutsOf(v)
	c := &http.Client{Timeout: t.Request, CheckRedirect: noRedirects}
	if tr, ok := Transport(v, ep); ok {
		c.Transport = tr
	} else {
		c.Transport = ep.Client.Transport
	}
	return c
}

// Transport returns the transport NewClient uses: ep.Client's
// *http.Transport cloned, or a new one, with the guarded dialer, the TLS
// handshake and answer-header timeouts, and HTTP/2 health-check pings. It
// reports false when ep.Client has a transport of another type, which it
// cannot change.
func Transport(v vendors.Vendor, ep vendors.Endpoint) (*http.Transport, bool) {
	t := ep.TimeoutsOf(v)
	var tr *http.Transport
	switch {
	case ep.Client == nil || ep.Client.Transport == nil:
		tr = &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16}
	default:
		base, ok := ep.Client.Transport.(*http.Transport)
		if !ok {
			return nil, false
		}
		tr = base.Clone()
	}
	d := &net.Dialer{Timeout: t.Connect, KeepAlive: t.Ping}
	tr.DialContext = newGuard(ep).dialContext(d)
	tr.DialTLSContext, tr.DialTLS, tr.Dial = nil, nil, nil //nolint:staticcheck // the guard must see every dial
	tr.ForceAttemptHTTP2 = true
	tr.TLSHandshakeTimeout = t.TLS
	tr.ResponseHeaderTimeout = t.Header
	tr.IdleConnTimeout = idleConnTimeout
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	tr.TLSClientConfig.MinVersion = max(tr.TLSClientConfig.MinVersion, tls.VersionTLS12)
	// SendPingTimeout is x/net/http2's ReadIdleTimeout: a connection
	// silent this long is pinged, and dropped when the ping is not
	// answered within PingTimeout, so a half-dead HTTP/2 connection does
	// not swallow requests until the kernel notices.
	//
	// The header table used to encode requests is off: APNs puts every
	// device token in :path and a fresh apns-id in each request, so the
	// dynamic table only churned (adding and evicting two entries per push,
	// a twentieth of the worker's CPU), and the batch vendors send few
	// requests. The static table and Huffman coding still apply.
	tr.HTTP2 = &http.HTTP2Config{SendPingTimeout: t.Ping, PingTimeout: t.PingAnswer, MaxEncoderHeaderTableSize: noHeaderTable}
	return tr, true
}

// noHeaderTable is the smallest encoder header table: no entry fits, so
// the encoder never indexes (0 would mean the default, 4 096 bytes).
const noHeaderTable = 1

// idleConnTimeout closes connections nobody used for this long, so a
// sender that is replaced or forgotten does not keep its connections.
const idleConnTimeout = 90 * time.Second

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// IsTimeout reports whether err is a deadline passing: the request's
// context, http.Client.Timeout, a dial or TLS or header timeout.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// TransportError classifies a request that got no (complete) answer: it
// is Retryable, with Code vendors.CodeTimeout when a deadline passed and
// vendors.CodeNotAllowed when the address guard refused the connection.
// The *url.Error wrapper is dropped from the message because its URL may
// hold a device token (APNs puts it in the path). label starts the
// message; status is the answer's status when the headers had arrived.
func TransportError(v vendors.Vendor, err error, label string, status int) *vendors.Error {
	msg := err
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err
	}
	e := &vendors.Error{Vendor: v, Kind: vendors.Retryable, Status: status, Message: label + msg.Error(), Err: err}
	switch {
	case errors.Is(err, ErrNotAllowed):
		e.Code = vendors.CodeNotAllowed
	case IsTimeout(err):
		e.Code = vendors.CodeTimeout
	}
	return e
}

// Unreachable is the one error for an endpoint taken from a credential
// that could not be used, whatever the reason (refused, filtered, timed
// out, not allowed, not an OAuth server): telling them apart would let an
// admin who uploads a credential scan ports (issue 10 row 5). cause is
// kept for errors.Is but not shown.
func Unreachable(v vendors.Vendor, what string, cause error) *vendors.Error {
	return &vendors.Error{Vendor: v, Kind: vendors.Retryable, Code: vendors.CodeUnreachable,
		Message: what + " unreachable or not allowed", Err: cause}
}
