package vendors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Kind classifies the outcome of delivering to one device. Adapters decide
// the Kind of every vendor answer once; only the dispatcher decides what a
// Kind means for the queue (retry, drop the binding, archive).
type Kind uint8

// The outcome classes. See vendor-protocols.md for the class of every vendor
// code.
const (
	// OK: the vendor accepted the notification for this device.
	OK Kind = iota
	// InvalidToken: the token is dead (app uninstalled, token rotated, token of
	// another app). The binding is removed; never retried.
	InvalidToken
	// Retryable: a transient failure (vendor 5xx, timeout, connection reset).
	Retryable
	// RateLimited: the vendor asks us to slow down or a quota is exhausted;
	// Error.RetryAfter says for how long. Does not count as a failed attempt.
	RateLimited
	// Auth: the vendor refused our credentials (expired access token after a
	// refresh, revoked key). Retried a bounded number of times.
	Auth
	// Rejected: the request itself is wrong (bad payload, bad topic, content
	// refused). Never retried.
	Rejected
)

var kindNames = [...]string{"ok", "invalid_token", "retryable", "rate_limited", "auth", "rejected"}

// String returns the snake_case name used in metrics, events and the API.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MarshalText encodes k by name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a name written by MarshalText.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown result kind %q", b)
}

// Error is a vendor's refusal, or a transport failure, classified. The
// vendor's own code is kept verbatim so operators can look it up in the
// vendor's documentation.
type Error struct {
	Vendor Vendor
	Kind   Kind
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int
	// Code is the vendor's error code or reason, verbatim ("BadDeviceToken",
	// "UNREGISTERED", "80300007", "10000", …).
	Code string
	// Message is the vendor's human-readable text. It never holds a secret.
	Message string
	// RetryAfter is how long the vendor asked us to wait (Retry-After header,
	// quota reset), zero when it did not say.
	RetryAfter time.Duration
	// Timestamp is when the vendor learned the token was invalid (APNs 410),
	// zero when it did not say.
	Timestamp time.Time
}

// Error formats the refusal as "vendor: status code: message [kind]".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Vendor))
	b.WriteString(":")
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		if e.Status != 0 || e.Code != "" {
			b.WriteString(":")
		}
		b.WriteString(" " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	b.WriteString(" [" + e.Kind.String() + "]")
	return b.String()
}

// KindOf classifies err: nil is OK, a *Error carries its Kind, a cancelled
// context or a network failure is Retryable, and anything else (a bug on our
// side, such as a payload we could not encode) is Rejected.
func KindOf(err error) Kind {
	if err == nil {
		return OK
	}
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Kind
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &ne) {
		return Retryable
	}
	return Rejected
}

// RetryAfterOf returns the wait a vendor asked for in err, or zero.
func RetryAfterOf(err error) time.Duration {
	var ve *Error
	if errors.As(err, &ve) {
		return ve.RetryAfter
	}
	return 0
}

// CodeOf returns the vendor's verbatim code in err, or "".
func CodeOf(err error) string {
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Code
	}
	return ""
}
