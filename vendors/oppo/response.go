package oppo

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// OPPO return codes: the codes come from OPPODOC and the official SDK's
// ReturnCode, the classes from vendor-protocols.md §5 "Error table". OPPO
// answers HTTP 200 with one of these in "code" for almost every outcome.
const (
	codeOK               = 0     // Success: ok.
	codeUnavailable      = -1    // Service currently unavailable: retryable.
	codeFlowControl      = -2    // Service in flow control: rate limited, back off.
	codeInvalidAuthToken = 11    // Invalid AuthToken (expired or unknown): auth, refresh once.
	codeHTTPMethod       = 12    // HTTP action not allowed: rejected.
	codeCallLimited      = 13    // App call limited (count or frequency): rate limited.
	codeInvalidAppKey    = 14    // Invalid AppKey: rejected (configuration).
	codeMissingAppKey    = 15    // Missing AppKey: rejected.
	codeInvalidSign      = 16    // Invalid signature (auth call): rejected (configuration).
	codeMissingSign      = 17    // Missing signature (auth call): rejected.
	codeMissingTimestamp = 18    // Missing timestamp (auth call): rejected.
	codeInvalidTimestamp = 19    // Invalid timestamp, clock skew over 10 min (auth call): rejected, fix the clock.
	codeInvalidMethod    = 20    // Invalid method: rejected.
	codeMissingMethod    = 21    // Missing method: rejected.
	codeMissingVersion   = 22    // Missing version: rejected.
	codeInvalidVersion   = 23    // Invalid version: rejected.
	codeUnsupportedVer   = 24    // Unsupported version: rejected.
	codeInvalidEncoding  = 25    // Invalid encoding: rejected.
	codeIPBlacklist      = 26    // IP blacklisted: rejected.
	codeAccessDenied     = 27    // Access denied: rejected.
	codeAppDisabled      = 28    // App disabled: rejected.
	codeMissingAuthToken = 29    // Missing auth token: auth, refresh once.
	codeNoAPIPermission  = 30    // No permission for this API: rejected.
	codeDataNotExist     = 31    // Data does not exist (e.g. a broadcast message_id): rejected.
	codeDataDuplicate    = 32    // Data duplicate, the app_message_id was already pushed: ok (a resend).
	codeDailyLimit       = 33    // Number of messages exceeds the daily limit: quota, until China midnight.
	codePictureLimit     = 34    // Uploaded pictures exceed the daily limit: quota, until China midnight.
	codeMissingArguments = 40    // Missing required arguments: rejected.
	codeInvalidArguments = 41    // Invalid arguments: rejected.
	codeInvalidPicture   = 51    // Invalid picture: rejected.
	codeFrequencyLimit   = 55    // App call frequency limit: rate limited, back off.
	codeNoBackupLink     = 59    // No secondary-action (backup link) permission: rejected.
	codeCategoryError    = 67    // Category error / private channel notify_level invalid: rejected.
	codeInvalidRegID     = 10000 // Invalid registration_id: invalid token.
)

// flowControlBackoff is how long to wait after a flow-control answer (-2,
// 13, 55) that carries no Retry-After: OPPO documents no value, and a short
// pause keeps a busy certificate from hammering the vendor.
const flowControlBackoff = 10 * time.Second

// code is OPPO's "code": a JSON number, read leniently as a string so a
// quoted code or null never fails decoding.
type code = vendorhttp.FlexString

// isAuth reports whether c asks for a new auth_token.
func isAuth(c code) bool {
	return c == code(strconv.Itoa(codeInvalidAuthToken)) || c == code(strconv.Itoa(codeMissingAuthToken))
}

// classify turns an answer's code into nil (accepted) or a classified
// *vendors.Error. c is "" when the body had no code; the HTTP status decides
// then.
func classify(status int, c code, msg string, retryAfter time.Duration, now time.Time) error {
	n, err := strconv.Atoi(string(c))
	if err != nil {
		return vendorhttp.ByStatus(vendors.OPPO, status, string(c), msg, retryAfter, flowControlBackoff)
	}
	switch n {
	case codeOK, codeDataDuplicate:
		return nil
	case codeDailyLimit, codePictureLimit:
		return vendors.QuotaError(vendors.OPPO, status, string(c), msg, now)
	case codeFlowControl, codeCallLimited, codeFrequencyLimit:
		return &vendors.Error{Vendor: vendors.OPPO, Kind: vendors.RateLimited, Status: status,
			Code: string(c), Message: msg, RetryAfter: max(retryAfter, flowControlBackoff)}
	}
	return &vendors.Error{Vendor: vendors.OPPO, Kind: kindOf(n, status), Status: status,
		Code: string(c), Message: msg, RetryAfter: retryAfter}
}

// kindOf classifies the codes that carry no wait.
func kindOf(n, status int) vendors.Kind {
	switch n {
	case codeUnavailable:
		return vendors.Retryable
	case codeInvalidAuthToken, codeMissingAuthToken:
		return vendors.Auth
	case codeInvalidRegID:
		return vendors.InvalidToken
	case codeHTTPMethod, codeInvalidAppKey, codeMissingAppKey, codeInvalidSign, codeMissingSign,
		codeMissingTimestamp, codeInvalidTimestamp, codeInvalidMethod, codeMissingMethod,
		codeMissingVersion, codeInvalidVersion, codeUnsupportedVer, codeInvalidEncoding,
		codeIPBlacklist, codeAccessDenied, codeAppDisabled, codeNoAPIPermission, codeDataNotExist,
		codeMissingArguments, codeInvalidArguments, codeInvalidPicture, codeNoBackupLink, codeCategoryError:
		return vendors.Rejected
	}
	// An undocumented code (see vendorhttp.UndocumentedKind).
	return vendorhttp.UndocumentedKind(status)
}

// unicastResponse is the body of a unicast answer.
type unicastResponse struct {
	Code    code   `json:"code"`
	Message string `json:"message"`
	Data    struct {
		MessageID string `json:"messageId"`
	} `json:"data"`
}

// batchItem is one entry of unicast_batch's data array.
type batchItem struct {
	MessageID      string `json:"messageId"`
	RegistrationID string `json:"registrationId"`
	ErrorCode      code   `json:"errorCode"`
	ErrorMessage   string `json:"errorMessage"`
}

// batchResponse is the body of a unicast_batch answer.
type batchResponse struct {
	Code    code            `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// parseUnicast turns a unicast answer into token's Result.
func parseUnicast(status int, body []byte, retryAfter time.Duration, token string, now time.Time) vendors.Result {
	var r unicastResponse
	_ = json.Unmarshal(body, &r) // an undecodable body leaves Code "": the status decides (vendorhttp.ByStatus)
	if err := classify(status, r.Code, r.Message, retryAfter, now); err != nil {
		return vendors.Result{Token: token, Err: err}
	}
	return vendors.Result{Token: token, MessageID: r.Data.MessageID}
}

// parseBatch turns a unicast_batch answer into one Result per token, in
// order. Items are matched by registrationId; an item without one is
// matched by position.
func parseBatch(status int, body []byte, retryAfter time.Duration, tokens []string, now time.Time) []vendors.Result {
	var r batchResponse
	_ = json.Unmarshal(body, &r)
	if err := classify(status, r.Code, r.Message, retryAfter, now); err != nil {
		return vendors.Fail(tokens, err)
	}
	var items []batchItem
	_ = json.Unmarshal(r.Data, &items) // a data that is not an array reports no item
	byToken := make(map[string][]batchItem, len(items))
	for _, it := range items {
		byToken[it.RegistrationID] = append(byToken[it.RegistrationID], it)
	}
	out := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		it, ok := takeItem(byToken, t)
		if !ok && i < len(items) && items[i].RegistrationID == "" {
			it, ok = items[i], true
		}
		out[i] = itemResult(status, t, it, ok, retryAfter, now)
	}
	return out
}

// takeItem pops the first item reported for token.
func takeItem(byToken map[string][]batchItem, token string) (batchItem, bool) {
	q := byToken[token]
	if token == "" || len(q) == 0 {
		return batchItem{}, false
	}
	byToken[token] = q[1:]
	return q[0], true
}

// itemResult classifies one batch item.
func itemResult(status int, token string, it batchItem, found bool, retryAfter time.Duration, now time.Time) vendors.Result {
	if !found {
		return vendors.Result{Token: token, Err: &vendors.Error{Vendor: vendors.OPPO, Kind: vendors.Retryable,
			Status: status, Message: "the batch answer has no result for this token"}}
	}
	if it.ErrorCode == "" {
		return vendors.Result{Token: token, MessageID: it.MessageID}
	}
	if err := classify(status, it.ErrorCode, it.ErrorMessage, retryAfter, now); err != nil {
		return vendors.Result{Token: token, Err: err}
	}
	return vendors.Result{Token: token, MessageID: it.MessageID}
}
