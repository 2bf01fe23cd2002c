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
	// Err is the cause, for errors.Is and errors.As (ErrExtTooLarge,
	// context.DeadlineExceeded, …); nil when the vendor's answer is the
	// whole story. Its text is not part of Error: Message says what the
	// operator needs, and a cause's text may name what answered.
	Err error
}

// Unwrap returns the cause, so errors.Is(err, ErrExtTooLarge) holds for a
// refusal built on it.
func (e *Error) Unwrap() error { return e.Err }

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

// KindOf classifies err: nil is OK, a *Error carries its Kind, and
// anything else is Retryable. A cancelled context, a deadline or a network
// failure is transient by nature; an error no adapter classified is
// retried too, bounded by worker.max_retry, because refusing a job for
// ever on an error nobody looked at loses messages that a retry would
// deliver (issue 12). Unclassified tells such errors apart so they can be
// counted and given a class.
func KindOf(err error) Kind {
	if err == nil {
		return OK
	}
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Kind
	}
	return Retryable
}

// Unclassified reports whether err is a failure no adapter classified: not
// a *Error, not a context's end and not a network error. The dispatcher
// counts these (they are Retryable by KindOf) so each gets a class.
func Unclassified(err error) bool {
	if err == nil {
		return false
	}
	var ve *Error
	var ne net.Error
	return !errors.As(err, &ve) && !errors.Is(err, context.DeadlineExceeded) &&
		!errors.Is(err, context.Canceled) && !errors.As(err, &ne)
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

// Codes pushd gives failures that have no vendor answer, in Error.Code.
const (
	// CodeTimeout: a deadline (connect, TLS, answer headers, whole request)
	// passed before the vendor answered. Retryable.
	CodeTimeout = "timeout"
	// CodeNotAllowed: the address a vendor host resolved to is not public
	// and the operator did not allow it. Retryable (DNS may be wrong for a
	// while), and visible as such to the operator.
	CodeNotAllowed = "address_not_allowed"
	// CodeUnreachable: an endpoint taken from a credential (an FCM service
	// account's token_uri) could not be used. The error deliberately says
	// nothing of why: refused, filtered, not allowed and "something that is
	// not an OAuth server answered" look alike, so a certificate upload
	// cannot be used to scan ports. Retryable.
	CodeUnreachable = "endpoint_unreachable"
	// CodeValidateUnsupported: a validate-only notification
	// (Notification.ValidateOnly) for a vendor that has no validation mode
	// and authenticates only with a send (APNs, Xiaomi, Meizu): nothing
	// was sent. Rejected.
	CodeValidateUnsupported = "validate_only_unsupported"
)
