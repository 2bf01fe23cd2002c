package xiaomi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// class is the vendor-protocols.md label of a Xiaomi code.
type class uint8

const (
	classOK class = iota
	classInvalidToken
	classRetryable
	classRateLimit
	classQuota
	classFatal
)

// Codes with behaviour of their own.
const (
	// codeSendFailed with reasonNoTargets means every regId was invalid.
	codeSendFailed  = 20301
	reasonNoTargets = "No valid targets!"
	// codeBadRegIDs is the Error.Code of a token listed in data.bad_regids:
	// the vendor answered 0 and gives no code of its own per regId.
	codeBadRegIDs = "bad_regids"
)

// rateLimitWait is how long a rate-limited certificate waits when Xiaomi
// gives no Retry-After: its limits are per second, so a short pause suffices.
const rateLimitWait = 5 * time.Second

// classOf returns the class of a Xiaomi result code. Every row of the error
// table in vendor-protocols.md §3 (codes from MIDOC pId=1560) is one line.
func classOf(code int) class {
	switch code {
	case 0: // success (data.bad_regids lists rejected regIds) — ok
		return classOK
	case 20301: // send failed; reason "No valid targets!" = every regId invalid — invalid-token, else retryable (see codeError)
		return classRetryable
	case 65003: // device not found, message cached for it — ok-ish [UNCERTAIN in §3]
		return classOK
	case 21301: // authentication failed: wrong AppSecret — fatal (static secret, nothing to refresh)
		return classFatal
	case 21302, // token authentication failed — fatal
		21303: // restricted request — fatal
		return classFatal
	case 22000, // illegal app — fatal
		22006, // illegal app id — fatal
		22007, // illegal app key — fatal
		22022, // illegal package name — fatal
		10031, // app blacklisted — fatal
		10036: // operation forbidden — fatal
		return classFatal
	case 10008, 10012, 10016, 10017, 21305: // parameter errors — fatal
		return classFatal
	case 65008, 65009, 65010, 65011, 65012, // parameter errors (65009 content too long, 65011 params missing) — fatal
		65013, 65014, 65015, 65016, 65017: // parameter errors — fatal
		return classFatal
	case 65036, 65037, 65038: // parameter errors — fatal
		return classFatal
	case 27001: // channel mismatch — fatal
		return classFatal
	case 26006: // send needs manual review — fatal
		return classFatal
	case 10027, // API calls too frequent — rate limit
		10030, // rate limit — rate limit
		10039, // rate limit — rate limit
		26004: // broadcast too frequent — rate limit
		return classRateLimit
	case 10034: // app sent too many messages today — quota
		return classQuota
	case -1, // unknown error — retryable
		1,     // internal error — retryable
		10001, // system error — retryable
		10002, // service busy — retryable
		10003, // remote error — retryable
		26003, // internal error — retryable
		65029: // internal error — retryable
		return classRetryable
	}
	// An undocumented code is not retried: hammering Xiaomi with a request
	// it refuses for an unknown reason helps nobody.
	return classFatal
}

// response is Xiaomi's answer [§3 Response; MZS MiMessagePushResponse].
type response struct {
	Result      string        `json:"result"`
	Code        *flexString   `json:"code"`
	Reason      string        `json:"reason"`
	Description string        `json:"description"`
	Data        *responseData `json:"data"`
}

type responseData struct {
	ID        flexString `json:"id"`
	BadRegIDs regIDList  `json:"bad_regids"`
}

// parseResponse turns one Xiaomi answer into exactly one Result per token,
// in order. The body is classified first, whatever the HTTP status; only a
// body that is not a Xiaomi answer falls back to the status.
func parseResponse(status int, h http.Header, body []byte, tokens []string, now time.Time) []vendors.Result {
	var r response
	if err := json.Unmarshal(body, &r); err != nil || r.Code == nil {
		return vendors.Fail(tokens, statusError(status, h, body, now))
	}
	code, ok := r.Code.Int()
	if !ok {
		return vendors.Fail(tokens, &vendors.Error{Vendor: vendors.Xiaomi, Kind: vendors.Rejected,
			Status: status, Code: string(*r.Code), Message: r.message()})
	}
	if classOf(code) == classOK {
		return accepted(r.Data, tokens)
	}
	return vendors.Fail(tokens, codeError(status, h, code, r.Reason, r.message(), now))
}

// accepted reports every token OK except those in data.bad_regids.
func accepted(d *responseData, tokens []string) []vendors.Result {
	var id string
	bad := map[string]bool{}
	if d != nil {
		id = string(d.ID)
		for _, t := range d.BadRegIDs {
			bad[t] = true
		}
	}
	rs := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		rs[i] = vendors.Result{Token: t, MessageID: id}
		if bad[t] {
			rs[i] = vendors.Result{Token: t, Err: &vendors.Error{Vendor: vendors.Xiaomi,
				Kind: vendors.InvalidToken, Status: http.StatusOK, Code: codeBadRegIDs,
				Message: "registration id rejected by Xiaomi"}}
		}
	}
	return rs
}

// codeError classifies a non-OK Xiaomi code.
func codeError(status int, h http.Header, code int, reason, msg string, now time.Time) *vendors.Error {
	c := strconv.Itoa(code)
	e := &vendors.Error{Vendor: vendors.Xiaomi, Status: status, Code: c, Message: msg}
	switch classOf(code) {
	case classQuota:
		return vendors.QuotaError(vendors.Xiaomi, status, c, msg, now)
	case classRateLimit:
		e.Kind, e.RetryAfter = vendors.RateLimited, vendorhttp.RetryAfter(h, now, rateLimitWait)
	case classRetryable:
		e.Kind = vendors.Retryable
	default:
		e.Kind = vendors.Rejected
	}
	if code == codeSendFailed {
		// MZS maps "No valid targets!" to "every token illegal"; any other
		// 20301 is a failed send worth retrying.
		e.Kind = vendors.Retryable
		if reason == reasonNoTargets {
			e.Kind = vendors.InvalidToken
		}
	}
	return e
}

// statusError classifies an answer without a Xiaomi body by its HTTP status.
func statusError(status int, h http.Header, body []byte, now time.Time) *vendors.Error {
	e := &vendors.Error{Vendor: vendors.Xiaomi, Status: status, Kind: vendors.Retryable,
		Message: vendorhttp.Snippet(body)}
	switch {
	case status == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = vendors.RateLimited, vendorhttp.RetryAfter(h, now, rateLimitWait)
	case status >= 400 && status < 500:
		e.Kind = vendors.Rejected
	}
	// 2xx without a Xiaomi body and every 5xx are retried: the SDK treats
	// any such answer as "service unavailable" [§3 Response].
	return e
}

func (r *response) message() string {
	if r.Reason != "" {
		return r.Reason
	}
	return r.Description
}

// flexString accepts a JSON string, number or null.
type flexString = vendorhttp.FlexString

// regIDList is data.bad_regids: a comma list [MZS getIllegalTokens], also
// accepted as a JSON array.
type regIDList []string

func (l *regIDList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var v []string
		err := json.Unmarshal(b, &v)
		*l = v
		return err
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*l = nil
	for _, t := range strings.Split(string(s), ",") {
		if t = strings.TrimSpace(t); t != "" {
			*l = append(*l, t)
		}
	}
	return nil
}
