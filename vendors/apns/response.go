package apns

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/sideshow/apns2"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// The reasons APNs sends that apns2 v0.25.0 has no constant for. Apple added
// them with team-scoped and environment-specific keys; they are not in
// vendor-protocols.md §1 and are taken from Apple's current reason list as
// mirrored by the apns-h2 crate (ErrorReason) and APNSwift (PR #229), whose
// spellings differ. [UNCERTAIN]
const (
	reasonUnrelatedKeyIDInToken      = "UnrelatedKeyIdInToken"
	reasonBadEnvironmentKeyInToken   = "BadEnvironmentKeyInToken"
	reasonBadEnvironmentKeyIDInToken = "BadEnvironmentKeyIdInToken"
)

// Waits for a 429 that carries no Retry-After header. APNs never sends one
// and documents no window, so these are pushd's choices. [UNCERTAIN]
const (
	// tooManyRequestsWait is for TooManyRequests (too many pushes to one
	// device): long enough that a burst to one device is not re-sent in a
	// tight loop, short enough that a chat message still arrives soon.
	tooManyRequestsWait = 30 * time.Second
	// tokenUpdatesWait is for TooManyProviderTokenUpdates: pushd keeps its
	// current JWT (it renews every 50 minutes, see jwtRenewAfter) and backs
	// off before trying again.
	tokenUpdatesWait = time.Minute
)

// kindOf returns the class of an APNs reason, and false for a reason it does
// not know. One line per reason: HTTP status, meaning, then the class from
// vendor-protocols.md §1's error table.
func kindOf(reason string) (vendors.Kind, bool) {
	switch reason {
	case apns2.ReasonBadDeviceToken, // 400: malformed token, or a token of the other environment.
		apns2.ReasonDeviceTokenNotForTopic, // 400: the token belongs to another bundle id.
		apns2.ReasonUnregistered,           // 410: the app was uninstalled; the body has the timestamp.
		apns2.ReasonExpiredToken:           // 410: the token expired; the body has the timestamp.
		return vendors.InvalidToken, true
	case apns2.ReasonBadCollapseID, // 400: apns-collapse-id longer than 64 bytes.
		apns2.ReasonBadExpirationDate,         // 400: apns-expiration is not a number.
		apns2.ReasonBadMessageID,              // 400: apns-id is not a UUID.
		apns2.ReasonBadPriority,               // 400: apns-priority is not 1, 5 or 10.
		apns2.ReasonBadTopic,                  // 400: apns-topic is malformed.
		apns2.ReasonDuplicateHeaders,          // 400: a header was repeated.
		apns2.ReasonInvalidPushType,           // 400: apns-push-type is unknown.
		apns2.ReasonMissingDeviceToken,        // 400: no token in the path.
		apns2.ReasonMissingTopic,              // 400: apns-topic missing (required with token auth).
		apns2.ReasonPayloadEmpty,              // 400: no body.
		apns2.ReasonTopicDisallowed,           // 400: this key or certificate may not push to the topic.
		apns2.ReasonBadCertificate,            // 403: the client certificate is invalid (config).
		apns2.ReasonBadCertificateEnvironment, // 403: certificate of the other environment (config).
		apns2.ReasonForbidden,                 // 403: the action is not allowed (config).
		reasonUnrelatedKeyIDInToken,           // 403: the JWT's key differs from the connection's first key (config).
		reasonBadEnvironmentKeyInToken,        // 403: the key is not valid for this environment (config).
		reasonBadEnvironmentKeyIDInToken,      // 403: the same, as apns-h2 spells it.
		apns2.ReasonBadPath,                   // 404: the path is not /3/device/{token}.
		apns2.ReasonMethodNotAllowed,          // 405: not a POST.
		apns2.ReasonPayloadTooLarge:           // 413: payload over 4096 bytes.
		return vendors.Rejected, true
	case apns2.ReasonExpiredProviderToken, // 403: the JWT is older than one hour; Send renews it and retries once.
		apns2.ReasonInvalidProviderToken, // 403: bad signature, unknown key id or team id.
		apns2.ReasonMissingProviderToken: // 403: neither a client certificate nor a JWT.
		return vendors.Auth, true
	case apns2.ReasonTooManyRequests, // 429: too many pushes to this device token.
		apns2.ReasonTooManyProviderTokenUpdates: // 429: the JWT was renewed too often; keep it and back off.
		return vendors.RateLimited, true
	case apns2.ReasonIdleTimeout, // 400: the connection was idle too long; reconnect and retry.
		apns2.ReasonInternalServerError, // 500: Apple's failure.
		apns2.ReasonServiceUnavailable,  // 503: Apple is overloaded.
		apns2.ReasonShutdown:            // 503: the server is going away; a new connection is opened.
		return vendors.Retryable, true
	}
	return vendors.Rejected, false
}

// kindOfStatus classifies an answer whose reason is missing or unknown by
// its HTTP status: a server error is transient, 429 is a rate limit, any
// other 4xx is a request APNs will keep refusing, and anything else (a
// redirect from a proxy, an odd 2xx) is assumed transient.
func kindOfStatus(status int) vendors.Kind {
	switch {
	case status == http.StatusTooManyRequests:
		return vendors.RateLimited
	case status >= 500:
		return vendors.Retryable
	case status >= 400:
		return vendors.Rejected
	}
	return vendors.Retryable
}

// errorBody is APNs' error JSON: {"reason":"…"}, plus "timestamp" (ms since
// the epoch) on 410.
type errorBody struct {
	Reason    string `json:"reason"`
	Timestamp int64  `json:"timestamp"`
}

// classify turns one APNs answer into nil (200, accepted) or a
// *vendors.Error carrying the reason verbatim. header supplies Retry-After;
// now resolves a Retry-After given as a date.
func classify(status int, header http.Header, body []byte, now time.Time) error {
	if status == http.StatusOK {
		return nil
	}
	var eb errorBody
	// A body that is not APNs JSON (a proxy's page) still yields whatever
	// fields decoded; the status then decides.
	_ = json.Unmarshal(body, &eb)
	e := &vendors.Error{Vendor: vendors.APNs, Status: status, Code: eb.Reason}
	kind, known := kindOf(eb.Reason)
	if !known {
		kind = kindOfStatus(status)
		if eb.Reason == "" {
			e.Message = vendorhttp.Snippet(body)
		}
	}
	e.Kind = kind
	if eb.Timestamp > 0 {
		e.Timestamp = time.UnixMilli(eb.Timestamp).UTC()
	}
	if kind == vendors.RateLimited {
		e.RetryAfter = vendorhttp.RetryAfter(header, now, defaultWait(eb.Reason))
	}
	return e
}

// defaultWait is the wait of a 429 without Retry-After.
func defaultWait(reason string) time.Duration {
	if reason == apns2.ReasonTooManyProviderTokenUpdates {
		return tokenUpdatesWait
	}
	return tooManyRequestsWait
}
