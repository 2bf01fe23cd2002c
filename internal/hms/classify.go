package hms

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Class is the vendor-protocols.md label of a result code; each vendor's
// classOf table maps its own codes onto it.
type Class uint8

// The labels used by the Huawei and Honor error tables.
const (
	ClassUnknown Class = iota
	ClassOK
	// ClassPartial is Huawei's 80100000: some tokens failed.
	ClassPartial
	ClassInvalidToken
	ClassRetryable
	ClassAuth
	ClassFatal
)

// CodePartial is Push Kit's partial success, some tokens failed, on
// Huawei's v1 API and HarmonyOS's v3 alike [vendor-protocols.md §4;
// vendor-protocols-harmony.md §3].
const CodePartial = "80100000"

// CodeError is the error of a failed result code of class cl. An
// undocumented code falls back to the HTTP status, keeping the code.
func CodeError(v vendors.Vendor, cl Class, status int, h http.Header, code, msg string, now time.Time) *vendors.Error {
	e := &vendors.Error{Vendor: v, Status: status, Code: code, Message: msg}
	switch cl {
	case ClassInvalidToken:
		e.Kind = vendors.InvalidToken
	case ClassRetryable:
		e.Kind = vendors.Retryable
	case ClassAuth:
		e.Kind = vendors.Auth
	case ClassFatal:
		e.Kind = vendors.Rejected
	default:
		s := StatusError(v, status, h, msg, now)
		s.Code = code
		return s
	}
	return e
}

// StatusError classifies an answer by its HTTP status alone: 401 is auth
// (refresh once), 429 a rate limit paused for Retry-After or
// RateLimitWait, 5xx retryable [§4: 500, 502, 503, 504; §8 table], and a
// 2xx that is not a vendor answer is retried likewise.
func StatusError(v vendors.Vendor, status int, h http.Header, msg string, now time.Time) *vendors.Error {
	e := &vendors.Error{Vendor: v, Status: status, Message: msg, Kind: vendors.Rejected}
	switch {
	case status == http.StatusUnauthorized:
		e.Kind = vendors.Auth
	case status == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = vendors.RateLimited, vendorhttp.RetryAfter(h, now, RateLimitWait)
	case status >= 500 || status < 300:
		e.Kind = vendors.Retryable
		e.RetryAfter = vendorhttp.RetryAfter(h, now, 0)
	}
	return e
}

// ReadCode decodes an answer body into r, whose result code field code
// points to, and returns the code without surrounding space. ok is false
// when body is not JSON or names no code: the answer is then classified
// by its HTTP status alone.
func ReadCode(body []byte, r any, code **vendorhttp.FlexString) (string, bool) {
	if err := json.Unmarshal(body, r); err != nil || *code == nil {
		return "", false
	}
	return strings.TrimSpace(string(**code)), true
}
