package vendorhttp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/pushd/pushd/vendors"
)

// ErrNotAllowed is the dial error for an address that is not public and
// that the operator did not allow.
var ErrNotAllowed = errors.New("address not allowed: not a public address")

// nonPublic are the IPv4 networks that netip's predicates miss: CGNAT
// (RFC 6598), "this network", IETF protocol assignments, documentation,
// benchmarking and the reserved class E (RFC 6890).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fec0::/10"),
}

// embedsIPv4 are IPv6 translation prefixes whose last 32 bits (NAT64) or
// bits 16..47 (6to4) are an IPv4 address, which is judged instead.
var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixToV4 = netip.MustParsePrefix("2002::/16")
)

// Public reports whether a is a globally routable unicast address: not
// loopback, private (RFC 1918, ULA fc00::/7), link-local, CGNAT,
// multicast, unspecified, documentation or reserved. An IPv4-mapped or
// NAT64/6to4 address is judged by its IPv4 address.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is6() && (nat64.Contains(a) || sixToV4.Contains(a)) {
		b := a.As16()
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if sixToV4.Contains(a) {
			v4 = netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		}
		return Public(v4)
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() ||
		a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// guard decides, for each connection an adapter opens, whether it may go
// where it is going. The host:port pairs of the endpoint's URL and AuthURL
// were set by the operator (or a test, or the sandbox) and are dialled as
// given; every other address must be public or in the operator's allowed
// list. The check runs in net.Dialer.Control, on the address actually
// connected to after DNS resolution, so a name that resolves to a public
// address when checked and a private one when used (DNS rebinding) cannot
// get through.
type guard struct {
	trusted map[string]bool
	allowed *vendors.AddressList
}

// newGuard returns the guard of ep.
func newGuard(ep vendors.Endpoint) *guard {
	g := &guard{trusted: map[string]bool{}, allowed: ep.Allowed}
	for _, raw := range []string{ep.URL, ep.AuthURL} {
		if hp := hostPort(raw); hp != "" {
			g.trusted[hp] = true
		}
	}
	return g
}

// hostPort returns the host:port a URL connects to, "" when it has none.
func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// dialContext dials with d, checking the resolved address unless addr is
// one the operator configured.
func (g *guard) dialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	checked := *d
	checked.Control = g.control
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if g.trusted[strings.ToLower(addr)] {
			return d.DialContext(ctx, network, addr)
		}
		return checked.DialContext(ctx, network, addr)
	}
}

// control refuses a connection to an address that is neither public nor
// allowed, before any packet is sent to it.
func (g *guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return ErrNotAllowed
	}
	if a := ap.Addr(); !Public(a) && !g.allowed.Contains(a) {
		return ErrNotAllowed
	}
	return nil
}

// CheckCredentialURL vets a URL taken from a credential (an FCM service
// account's token_uri) before it is used: it must be https, and a literal
// IP address in it must be public or allowed by ep. Names are checked when
// dialled. The error says which rule failed, never what is at the address.
func CheckCredentialURL(raw string, ep vendors.Endpoint) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return errors.New("not an https URL")
	}
	if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		if !Public(a) && !ep.Allowed.Contains(a) && !newGuard(ep).trusted[hostPort(raw)] {
			return errors.New("its host is not a public address (allow it in vendors.<name>.allow_addresses)")
		}
	}
	return nil
}
