package harmony

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Codes with behaviour of their own [vendor-protocols-harmony.md §3].
const (
	codeAllInvalid = "80300007"
	codeTestRate   = "80300029"
)

// rateLimitWait is how long to pause after flow control (HTTP 503 or 429,
// 80300029) that names no Retry-After.
const rateLimitWait = 5 * time.Second

// classOf returns the class of a Push Kit result code. Every row of the
// table in vendor-protocols-harmony.md §3 (HWRESP, GETUI) is one line.
func classOf(code string) hms.Class {
	switch code {
	case "80000000": // Success — ok
		return hms.ClassOK
	case "80100000", // Partial success; msg lists illegalTokens — ok + per-token results
		"80300007": // All the tokens are invalid; msg lists them — per-token results
		return hms.ClassPartial
	case "80100001", // Check Parameter Error — fatal
		"80100003", // Illegal payload, {errorTips} — fatal
		"80100004", // Illegal expire time (ttl) — fatal
		"80100022", // Anti-Spam: image not verify — fatal (content)
		"80300002", // No permission: Push Kit off or projectId not the app's — fatal (config)
		"80300008", // Push message size is too long (> 4096 bytes without tokens) — fatal
		"80300010", // token count should within 1 and 1000 — fatal (adapter bug)
		"80300030", // test message with more than 10 tokens — fatal (adapter bug)
		"80300037": // Disable send huawei msg because of penalty — fatal
		return hms.ClassFatal
	case "80200001", // Authentication Error (no JWT, another project's, not v3, OAuth) — auth
		"80200005", // Jwt token expired — auth: mint a new JWT and resend once
		"80300036": // JWT expire period over threshold (> 1 day) — auth (config)
		return hms.ClassAuth
	case "81000001": // Inner Error — retryable
		return hms.ClassRetryable
	}
	return hms.ClassUnknown
}

// tokenKind is the Kind of a token listed under reason in illegalTokens
// [§3 per-token reasons]. Only the reasons that say the token itself is
// dead remove the binding; the others are the app's rights or the
// content, and an unknown reason keeps the binding too.
func tokenKind(reason string) vendors.Kind {
	switch reason {
	case "tokenFormatError", // not a Push Kit token
		"noRight",                 // token of an app outside the project (or a HarmonyOS 4 token after the move to NEXT)
		"tokenPlatformNotSupport": // a third-party proxy token
		return vendors.InvalidToken
	}
	// noPushTypeRight, atomicUnableSendUnsubscribedMsg, countryNotSupport,
	// disableSendHuaweiMsgBecauseOfPenalty, differentImgVerifyPolicy,
	// appinfoError, notSupportPlayVoice, noRightToSendThisLiveNotificationEvent.
	return vendors.Rejected
}

// response is Push Kit's answer: code is a string.
type response struct {
	Code      *vendorhttp.FlexString `json:"code"`
	Msg       string                 `json:"msg"`
	RequestID vendorhttp.FlexString  `json:"requestId"`
}

// tokenReport is the JSON inside msg of an 80100000 or 80300007 answer.
type tokenReport struct {
	IllegalTokens map[string][]string `json:"illegalTokens"`
	Success       int                 `json:"success"`
	Failure       int                 `json:"failure"`
}

// parseResponse turns one answer into exactly one Result per token, in
// order: the body first, whatever the status, then the status alone.
func parseResponse(status int, h http.Header, body []byte, tokens []string, now time.Time) []vendors.Result {
	var r response
	code, ok := hms.ReadCode(body, &r, &r.Code)
	if !ok {
		return vendors.Fail(tokens, statusError(status, h, vendorhttp.Snippet(body), now))
	}
	switch classOf(code) {
	case hms.ClassOK:
		return perToken(string(r.RequestID), code, tokens, nil)
	case hms.ClassPartial:
		return partial(status, code, &r, tokens)
	}
	return vendors.Fail(tokens, codeError(status, h, code, r.Msg, now))
}

// codeError classifies a failed code. Test messages sent too fast
// (80300029) pause like flow control; an undocumented code falls back to
// the HTTP status, keeping the code.
func codeError(status int, h http.Header, code, msg string, now time.Time) *vendors.Error {
	switch cl := classOf(code); {
	case code == codeTestRate:
		return &vendors.Error{Vendor: Harmony, Kind: vendors.RateLimited, Status: status, Code: code,
			Message: msg, RetryAfter: vendorhttp.RetryAfter(h, now, rateLimitWait)}
	case cl == hms.ClassUnknown:
		e := statusError(status, h, msg, now)
		e.Code = code
		return e
	default:
		return hms.CodeError(Harmony, cl, status, h, code, msg, now)
	}
}

// partial reports the tokens msg lists by their reason and the others OK.
// An unreadable list on a partial success leaves nobody knowing which
// tokens failed, so all are retried (the notifyId makes a duplicate
// replace the first notification); on 80300007 every token failed. msg is
// never quoted in an error: it holds tokens.
func partial(status int, code string, r *response, tokens []string) []vendors.Result {
	var rep tokenReport
	if err := json.Unmarshal([]byte(r.Msg), &rep); err != nil || len(rep.IllegalTokens) == 0 {
		kind := vendors.Retryable
		if code == codeAllInvalid {
			kind = vendors.InvalidToken
		}
		return vendors.Fail(tokens, &vendors.Error{Vendor: Harmony, Kind: kind, Status: status, Code: code,
			Message: "unreadable list of failed tokens"})
	}
	bad := map[string]string{}
	for why, ts := range rep.IllegalTokens {
		for _, t := range ts {
			bad[t] = why
		}
	}
	if code == codeAllInvalid {
		for _, t := range tokens {
			if bad[t] == "" {
				bad[t] = "unlisted"
			}
		}
	}
	return perToken(string(r.RequestID), code, tokens, bad)
}

// perToken reports every token OK except those in bad, refused for their
// reason.
func perToken(id, code string, tokens []string, bad map[string]string) []vendors.Result {
	rs := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		rs[i] = vendors.Result{Token: t, MessageID: id}
		if why, ok := bad[t]; ok {
			rs[i] = vendors.Result{Token: t, Err: &vendors.Error{Vendor: Harmony, Kind: tokenKind(why),
				Code: why, Message: "token refused by Push Kit (" + code + ")"}}
		}
	}
	return rs
}

// statusError classifies an answer by its HTTP status alone. Push Kit's
// 503 is flow control (the app's QPS or the system's) [§0; HWFREQ], so it
// pauses like a 429 rather than retrying at once.
func statusError(status int, h http.Header, msg string, now time.Time) *vendors.Error {
	e := hms.StatusError(Harmony, status, h, msg, now)
	if status == http.StatusServiceUnavailable {
		e.Kind, e.RetryAfter = vendors.RateLimited, vendorhttp.RetryAfter(h, now, rateLimitWait)
	}
	return e
}
