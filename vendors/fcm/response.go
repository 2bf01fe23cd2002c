package fcm

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"golang.org/x/oauth2"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// FcmError codes (details[@type=FcmError].errorCode) and their class, from
// vendor-protocols.md §2.
const (
	// CodeUnregistered (404): the app was uninstalled or the token expired. InvalidToken.
	CodeUnregistered = "UNREGISTERED"
	// CodeInvalidArgument (400): a bad field. Rejected, except the message
	// "The registration token is not a valid FCM registration token": InvalidToken.
	CodeInvalidArgument = "INVALID_ARGUMENT"
	// CodeSenderIDMismatch (403): the token belongs to another Firebase project. InvalidToken.
	CodeSenderIDMismatch = "SENDER_ID_MISMATCH"
	// CodeQuotaExceeded (429): project or per-device rate limit. RateLimited, honouring Retry-After.
	CodeQuotaExceeded = "QUOTA_EXCEEDED"
	// CodeUnavailable (503): FCM overloaded. Retryable, honouring Retry-After.
	CodeUnavailable = "UNAVAILABLE"
	// CodeInternal (500): FCM internal error. Retryable.
	CodeInternal = "INTERNAL"
	// CodeThirdPartyAuthError (401): the APNs or web-push credentials uploaded
	// to Firebase are wrong. Rejected: only the operator can fix it.
	CodeThirdPartyAuthError = "THIRD_PARTY_AUTH_ERROR"
)

// Platform (google.rpc) statuses FCM answers without an FcmError detail.
const (
	// PlatformUnauthenticated (401): our OAuth access token is missing, expired or revoked. Auth.
	PlatformUnauthenticated = "UNAUTHENTICATED"
	// PlatformPermissionDenied (403): the service account may not send for the project. Auth.
	PlatformPermissionDenied = "PERMISSION_DENIED"
)

// invalidTokenMessage marks the INVALID_ARGUMENT that is about the token,
// not the message (FCM error-codes doc, example 2).
const invalidTokenMessage = "not a valid fcm registration token"

// maxMessage bounds the vendor text kept in an Error: a non-JSON answer
// (an HTML error page) would otherwise be copied whole.
const maxMessage = 300

// failure is an FCM error answer reduced to what classification needs.
type failure struct {
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	// Platform is the google.rpc status ("NOT_FOUND", "UNAUTHENTICATED").
	Platform string
	// FCMCode is the FcmError errorCode, "" when the body had none.
	FCMCode string
	// Message is the error.message of the body.
	Message string
	// RetryAfter is the Retry-After header as sent.
	RetryAfter string
}

// classify decides the Kind of an FCM error answer. now resolves a
// Retry-After given as an HTTP date.
func classify(f failure, now time.Time) *vendors.Error {
	e := &vendors.Error{Vendor: vendors.FCM, Status: f.Status, Code: f.FCMCode,
		Message: vendors.Truncate(strings.TrimSpace(f.Message), maxMessage, false)}
	if e.Code == "" {
		e.Code = f.Platform
	}
	if e.Code == "" && f.Status != 0 {
		e.Code = strconv.Itoa(f.Status)
	}
	e.Kind = kindOf(f)
	if e.Kind == vendors.RateLimited || e.Kind == vendors.Retryable {
		e.RetryAfter = vendorhttp.ParseRetryAfter(f.RetryAfter, now, 0).Truncate(time.Second)
	}
	return e
}

func kindOf(f failure) vendors.Kind {
	switch f.FCMCode {
	case CodeUnregistered, CodeSenderIDMismatch:
		return vendors.InvalidToken
	case CodeInvalidArgument:
		return invalidArgumentKind(f.Message)
	case CodeQuotaExceeded:
		return vendors.RateLimited
	case CodeUnavailable, CodeInternal:
		return vendors.Retryable
	case CodeThirdPartyAuthError, "APNS_AUTH_ERROR":
		return vendors.Rejected
	}
	switch f.Platform {
	case PlatformUnauthenticated, PlatformPermissionDenied:
		return vendors.Auth
	case "INVALID_ARGUMENT":
		return invalidArgumentKind(f.Message)
	case "RESOURCE_EXHAUSTED":
		return vendors.RateLimited
	case "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "ABORTED":
		return vendors.Retryable
	}
	switch {
	case f.Status == http.StatusTooManyRequests:
		return vendors.RateLimited
	case f.Status >= 500:
		return vendors.Retryable
	case f.Status == http.StatusUnauthorized:
		return vendors.Auth
	}
	return vendors.Rejected
}

func invalidArgumentKind(msg string) vendors.Kind {
	if strings.Contains(strings.ToLower(msg), invalidTokenMessage) {
		return vendors.InvalidToken
	}
	return vendors.Rejected
}

// sdkFailure extracts the failure from an error of messaging.Client.Send,
// using the SDK's own predicates: the FcmError code, the platform status,
// and the HTTP answer for its status and Retry-After.
func sdkFailure(err error) failure {
	f := failure{FCMCode: fcmCodeOf(err), Platform: platformOf(err), Message: err.Error()}
	if resp := errorutils.HTTPResponse(err); resp != nil {
		f.Status = resp.StatusCode
		f.RetryAfter = resp.Header.Get(savedRetryAfter)
		if resp.StatusCode != http.StatusServiceUnavailable {
			f.RetryAfter = resp.Header.Get("Retry-After")
		}
	}
	return f
}

func fcmCodeOf(err error) string {
	switch {
	case messaging.IsUnregistered(err):
		return CodeUnregistered
	case messaging.IsInvalidArgument(err):
		return CodeInvalidArgument
	case messaging.IsSenderIDMismatch(err):
		return CodeSenderIDMismatch
	case messaging.IsQuotaExceeded(err):
		return CodeQuotaExceeded
	case messaging.IsUnavailable(err):
		return CodeUnavailable
	case messaging.IsInternal(err):
		return CodeInternal
	case messaging.IsThirdPartyAuthError(err):
		return CodeThirdPartyAuthError
	}
	return ""
}

func platformOf(err error) string {
	checks := []struct {
		code string
		is   func(error) bool
	}{
		{"INVALID_ARGUMENT", errorutils.IsInvalidArgument},
		{"FAILED_PRECONDITION", errorutils.IsFailedPrecondition},
		{"OUT_OF_RANGE", errorutils.IsOutOfRange},
		{PlatformUnauthenticated, errorutils.IsUnauthenticated},
		{PlatformPermissionDenied, errorutils.IsPermissionDenied},
		{"NOT_FOUND", errorutils.IsNotFound},
		{"CONFLICT", errorutils.IsConflict},
		{"ABORTED", errorutils.IsAborted},
		{"ALREADY_EXISTS", errorutils.IsAlreadyExists},
		{"RESOURCE_EXHAUSTED", errorutils.IsResourceExhausted},
		{"CANCELLED", errorutils.IsCancelled},
		{"DATA_LOSS", errorutils.IsDataLoss},
		{"INTERNAL", errorutils.IsInternal},
		{"UNAVAILABLE", errorutils.IsUnavailable},
		{"DEADLINE_EXCEEDED", errorutils.IsDeadlineExceeded},
		{"UNKNOWN", errorutils.IsUnknown},
	}
	for _, c := range checks {
		if c.is(err) {
			return c.code
		}
	}
	return ""
}

// transportFailure classifies a send that got no answer from FCM: a
// refused OAuth token is Auth (or Retryable when the token endpoint is
// failing or rate limiting); a send to FCM that failed or timed out is
// Retryable (Code "timeout" when a deadline passed). Any other failure of
// the token request, whose URL comes from the uploaded service account, is
// the one generic Unreachable error: refused, filtered, timed out, not
// allowed, or answered by something that is not an OAuth server all look
// alike, so an upload cannot be used to probe the network.
func transportFailure(err error) *vendors.Error {
	var te *tokenError
	if !errors.As(err, &te) {
		return vendorhttp.TransportError(vendors.FCM, err, "", 0)
	}
	var re *oauth2.RetrieveError
	if !errors.As(te.err, &re) {
		return tokenUnreachable(te)
	}
	e := &vendors.Error{Vendor: vendors.FCM, Kind: vendors.Auth, Code: re.ErrorCode,
		Message: "OAuth token endpoint: " + re.ErrorDescription}
	if e.Code == "" {
		// x/oauth2/jwt leaves the body undecoded: {"error", "error_description"}.
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(re.Body, &body)
		e.Code, e.Message = body.Error, "OAuth token endpoint: "+body.Description
	}
	if e.Code == "" {
		return tokenUnreachable(te)
	}
	if re.Response != nil {
		e.Status = re.Response.StatusCode
	}
	if e.Status >= 500 || e.Status == http.StatusTooManyRequests {
		e.Kind = vendors.Retryable
	}
	e.Message = vendors.Truncate(e.Message, maxMessage, false)
	return e
}

// tokenUnreachable is the generic failure of the token request.
func tokenUnreachable(te *tokenError) *vendors.Error {
	return vendorhttp.Unreachable(vendors.FCM, "token endpoint", te)
}
