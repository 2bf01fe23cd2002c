package vendors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestKindOf(t *testing.T) {
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	cases := []struct {
		name string
		err  error
		want Kind
		// unclassified is what Unclassified must say.
		unclassified bool
	}{
		{"nil", nil, OK, false},
		{"vendor error", &Error{Vendor: APNs, Kind: InvalidToken}, InvalidToken, false},
		{"wrapped vendor error", fmt.Errorf("batch: %w", &Error{Vendor: Vivo, Kind: RateLimited}), RateLimited, false},
		{"rejected stays rejected", &Error{Vendor: FCM, Kind: Rejected}, Rejected, false},
		{"deadline", context.DeadlineExceeded, Retryable, false},
		{"wrapped deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), Retryable, false},
		{"cancelled", context.Canceled, Retryable, false},
		{"network", netErr, Retryable, false},
		{"unclassified", errors.New("something nobody classified"), Retryable, true},
		{"wrapped unclassified", fmt.Errorf("encode: %w", errors.New("bad")), Retryable, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := KindOf(c.err); got != c.want {
				t.Errorf("KindOf = %s, want %s", got, c.want)
			}
			if got := Unclassified(c.err); got != c.unclassified {
				t.Errorf("Unclassified = %v, want %v", got, c.unclassified)
			}
		})
	}
}

func TestErrorUnwrapsItsCause(t *testing.T) {
	e := &Error{Vendor: Huawei, Kind: Retryable, Code: CodeTimeout, Message: "no answer", Err: context.DeadlineExceeded}
	if !errors.Is(e, context.DeadlineExceeded) {
		t.Fatal("errors.Is does not see the cause")
	}
	if strings.Contains(e.Error(), context.DeadlineExceeded.Error()) {
		t.Errorf("Error() %q quotes the cause; only Message is shown", e.Error())
	}
	if got := (&Error{Vendor: APNs, Kind: OK}).Unwrap(); got != nil {
		t.Errorf("Unwrap without a cause = %v", got)
	}
}

func TestShrinkToFitWrapsErrExtTooLarge(t *testing.T) {
	n := &Notification{Title: "Denny", Body: "See you at 8", Ext: strings.Repeat("x", 100)}
	size := func(n *Notification) (int, error) { return len(n.Title) + len(n.Body) + len(n.Ext), nil }
	err := ShrinkToFit(Huawei, n, 50, size)
	if !errors.Is(err, ErrExtTooLarge) {
		t.Fatalf("err %v does not wrap ErrExtTooLarge", err)
	}
	if KindOf(err) != Rejected || CodeOf(err) != "PayloadTooLarge" {
		t.Errorf("kind %s code %q, want rejected PayloadTooLarge", KindOf(err), CodeOf(err))
	}
	if !strings.Contains(err.Error(), "exceed 50") {
		t.Errorf("message %q lost the limit", err.Error())
	}
	// The positive path: a body that can shrink fits and is not an error.
	n = &Notification{Title: "Denny", Body: strings.Repeat("b", 100), Ext: "{}"}
	if err := ShrinkToFit(Huawei, n, 50, size); err != nil || size2(n) > 50 {
		t.Fatalf("ShrinkToFit = %v, size %d", err, size2(n))
	}
}

func size2(n *Notification) int { return len(n.Title) + len(n.Body) + len(n.Ext) }

func TestTimeoutsOf(t *testing.T) {
	cases := []struct {
		name string
		v    Vendor
		ep   Endpoint
		want Timeouts
	}{
		{"apns defaults", APNs, Endpoint{}, Timeouts{5 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 15 * time.Second, 5 * time.Second}},
		{"batch vendor defaults", Vivo, Endpoint{}, Timeouts{5 * time.Second, 5 * time.Second, 15 * time.Second, 20 * time.Second, 15 * time.Second, 5 * time.Second}},
		{"overrides", FCM, Endpoint{Timeout: 30 * time.Second, ConnectTimeout: 2 * time.Second},
			Timeouts{2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, 15 * time.Second, 5 * time.Second}},
		{"no phase outlasts the request", Xiaomi, Endpoint{Timeout: 3 * time.Second},
			Timeouts{3 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second, 15 * time.Second, 5 * time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.ep.TimeoutsOf(c.v); got != c.want {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestAddressList(t *testing.T) {
	l, err := ParseAddressList([]string{"127.0.0.1/8", "::1", "10.1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "::ffff:127.0.0.1": true, "::1": true,
		"10.1.2.3": true, "10.1.2.4": false, "8.8.8.8": false, "::2": false,
	} {
		if got := l.Contains(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", addr, got, want)
		}
	}
	if (*AddressList)(nil).Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Error("a nil list contains an address")
	}
	if _, err := ParseAddressList([]string{"localhost"}); err == nil || !strings.Contains(err.Error(), "localhost") {
		t.Errorf("ParseAddressList(localhost) = %v, want an error naming it", err)
	}
}
