package huawei

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// codeIllegalToken is the Error.Code of a token listed in a partial
// answer's illegal_tokens (hms.CodePartial).
const codeIllegalToken = "illegal_tokens"

// classOf returns the class of a Huawei result code. Every row of the error
// table in vendor-protocols.md §4 (codes from MZS HwResultCodeMap, HMSGO and
// HWDOC) is one line.
func classOf(code string) hms.Class {
	switch code {
	case "80000000": // success — ok
		return hms.ClassOK
	case "80100000": // some tokens failed; msg lists illegal_tokens — ok + invalid-token for those
		return hms.ClassPartial
	case "80100001", // parameter check error — fatal
		"80100002", // token number must be 1 for sys message — fatal
		"80100003", // message structure error / illegal payload — fatal
		"80100004", // TTL less than current time — fatal
		"80100013", // collapse_key illegal — fatal
		"80100016": // message contains sensitive information — fatal
		return hms.ClassFatal
	case "80200001", // OAuth authentication error (missing/invalid token, token of another app) — auth
		"80200003": // OAuth token expired — auth
		return hms.ClassAuth
	case "80300002": // app forbidden to send (no permission / punished) — fatal
		return hms.ClassFatal
	case "80300007": // all tokens invalid — invalid-token
		return hms.ClassInvalidToken
	case "80300008", // message body > 4 KB — fatal
		"80300010": // token count exceeds limit (or 0) — fatal
		return hms.ClassFatal
	case "81000001": // system internal error — retryable
		return hms.ClassRetryable
	}
	if n, err := strconv.Atoi(code); err == nil && n >= 82000001 && n <= 82000013 {
		return hms.ClassFatal // 82000001..82000013: group/topic/data-location errors — fatal
	}
	return hms.ClassUnknown
}

// response is Huawei's answer [§4 Response]: code is a string.
type response struct {
	Code      *vendorhttp.FlexString `json:"code"`
	Msg       string                 `json:"msg"`
	RequestID vendorhttp.FlexString  `json:"requestId"`
	Illegal   json.RawMessage        `json:"illegalTokens"`
}

// partialMsg is the JSON inside msg of an 80100000 answer, in the v1 list
// form or the newer map-by-reason form; both are accepted.
type partialMsg struct {
	Success       int                 `json:"success"`
	Failure       int                 `json:"failure"`
	IllegalTokens []string            `json:"illegal_tokens"`
	IllegalByWhy  map[string][]string `json:"illegalTokens"`
}

// parseResponse turns one Huawei answer into exactly one Result per token,
// in order: the body first, whatever the status, then the status alone.
func parseResponse(status int, h http.Header, body []byte, tokens []string, now time.Time) []vendors.Result {
	var r response
	code, ok := hms.ReadCode(body, &r, &r.Code)
	if !ok {
		return vendors.Fail(tokens, hms.StatusError(vendors.Huawei, status, h, vendorhttp.Snippet(body), now))
	}
	switch classOf(code) {
	case hms.ClassOK:
		return accepted(string(r.RequestID), tokens, nil)
	case hms.ClassPartial:
		return partial(status, &r, tokens, now)
	}
	return vendors.Fail(tokens, hms.CodeError(vendors.Huawei, classOf(code), status, h, code, r.Msg, now))
}

// partial reports the tokens an 80100000 answer lists as InvalidToken and
// the others OK. When the list cannot be read nobody knows which tokens
// failed, so all are retried: the notify_id makes a duplicate replace the
// first notification. msg is never quoted in the error: it holds tokens.
func partial(status int, r *response, tokens []string, now time.Time) []vendors.Result {
	var m partialMsg
	err := json.Unmarshal([]byte(r.Msg), &m)
	if err == nil && len(r.Illegal) > 0 && m.IllegalByWhy == nil {
		err = json.Unmarshal(r.Illegal, &m.IllegalByWhy)
	}
	if err != nil {
		return vendors.Fail(tokens, &vendors.Error{Vendor: vendors.Huawei, Kind: vendors.Retryable,
			Status: status, Code: hms.CodePartial, Message: "unreadable list of failed tokens"})
	}
	bad := map[string]string{}
	for _, t := range m.IllegalTokens {
		bad[t] = codeIllegalToken
	}
	for why, ts := range m.IllegalByWhy {
		for _, t := range ts {
			bad[t] = why
		}
	}
	return accepted(string(r.RequestID), tokens, bad)
}

// accepted reports every token OK except those in bad, which are invalid.
func accepted(id string, tokens []string, bad map[string]string) []vendors.Result {
	rs := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		rs[i] = vendors.Result{Token: t, MessageID: id}
		if why, ok := bad[t]; ok {
			rs[i] = vendors.Result{Token: t, Err: &vendors.Error{Vendor: vendors.Huawei,
				Kind: vendors.InvalidToken, Status: http.StatusOK, Code: codeIllegalToken,
				Message: "token rejected by Huawei: " + why}}
		}
	}
	return rs
}
