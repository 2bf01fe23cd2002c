package vendorhttp

import (
	"net/http"
	"time"

	"github.com/pushd/pushd/vendors"
)

// ByStatus classifies an answer of v that carries no readable result code
// by its HTTP status alone: 429 is a rate limit paused for retryAfter but
// at least backoff, 401 an auth refusal, 5xx retryable, and so is a 2xx
// without a code (a garbled answer: the message may or may not have gone,
// and the vendor's message id makes a resend replace rather than
// duplicate it); anything else is Rejected. code and msg are kept.
func ByStatus(v vendors.Vendor, status int, code, msg string, retryAfter, backoff time.Duration) *vendors.Error {
	e := &vendors.Error{Vendor: v, Status: status, Code: code, Message: msg, RetryAfter: retryAfter}
	switch {
	case status == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = vendors.RateLimited, max(retryAfter, backoff)
	case status == http.StatusUnauthorized:
		e.Kind = vendors.Auth
	case status >= 500 || (status >= 200 && status < 300):
		e.Kind = vendors.Retryable
	default:
		e.Kind = vendors.Rejected
	}
	if e.Message == "" {
		e.Message = "answer without a readable code"
	}
	return e
}

// UndocumentedKind is the class of a result code a vendor does not
// document: under a server error it stays retryable, anything else is
// refused rather than retried blindly.
func UndocumentedKind(status int) vendors.Kind {
	if status >= 500 {
		return vendors.Retryable
	}
	return vendors.Rejected
}
