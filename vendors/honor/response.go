package honor

import (
	"net/http"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Error codes of tokens listed inside a success answer.
const (
	codeExpireToken = "expireTokens"
	codeFailToken   = "failTokens"
)

// classOf returns the class of a Honor code. No official Honor error table
// was found: every line below is the proposed classification of
// vendor-protocols.md §8, [UNCERTAIN], the 80xxxxxx codes by analogy with
// Huawei, whose API Honor's forks.
func classOf(code string) hms.Class {
	switch code {
	case "200": // success; data lists expireTokens and failTokens — ok
		return hms.ClassOK
	case "80000000": // Huawei-style success, accepted by one client — ok
		return hms.ClassOK
	case "80200001", // OAuth authentication error — auth
		"80200003": // OAuth token expired — auth
		return hms.ClassAuth
	case "80300007": // invalid tokens — invalid-token
		return hms.ClassInvalidToken
	case "80300008", // message body too large — fatal
		"80300010": // token count exceeds the limit — fatal
		return hms.ClassFatal
	case "81000001": // internal error (Huawei's code) — retryable
		return hms.ClassRetryable
	}
	if strings.HasPrefix(code, "80100") && len(code) == 8 {
		return hms.ClassFatal // 80100xxx: parameter and message-structure errors — fatal
	}
	return hms.ClassUnknown
}

// response is Honor's answer [§8 Response]: code is a number (200), or a
// Huawei-style string.
type response struct {
	Code    *vendorhttp.FlexString `json:"code"`
	Message string                 `json:"message"`
	Data    *struct {
		SendResult   *bool                 `json:"sendResult"`
		RequestID    vendorhttp.FlexString `json:"requestId"`
		FailTokens   []string              `json:"failTokens"`
		ExpireTokens []string              `json:"expireTokens"`
	} `json:"data"`
}

// parseResponse turns one Honor answer into exactly one Result per token,
// in order: the body first, whatever the status, then the status alone.
func parseResponse(status int, h http.Header, body []byte, tokens []string, now time.Time) []vendors.Result {
	var r response
	code, ok := hms.ReadCode(body, &r, &r.Code)
	if !ok {
		return vendors.Fail(tokens, hms.StatusError(vendors.Honor, status, h, vendorhttp.Snippet(body), now))
	}
	if classOf(code) == hms.ClassOK {
		return accepted(status, code, &r, tokens)
	}
	return vendors.Fail(tokens, hms.CodeError(vendors.Honor, classOf(code), status, h, code, r.Message, now))
}

// accepted reports data.expireTokens as InvalidToken, data.failTokens as
// Retryable and the others OK. A success answer with sendResult false
// that names no token is retried whole: nobody knows what was delivered.
func accepted(status int, code string, r *response, tokens []string) []vendors.Result {
	bad := map[string]*vendors.Error{}
	var id string
	if d := r.Data; d != nil {
		id = string(d.RequestID)
		for _, t := range d.FailTokens {
			bad[t] = &vendors.Error{Vendor: vendors.Honor, Kind: vendors.Retryable, Status: status,
				Code: codeFailToken, Message: "Honor failed to deliver to this token"}
		}
		for _, t := range d.ExpireTokens {
			bad[t] = &vendors.Error{Vendor: vendors.Honor, Kind: vendors.InvalidToken, Status: status,
				Code: codeExpireToken, Message: "token expired"}
		}
		if d.SendResult != nil && !*d.SendResult && len(bad) == 0 {
			return vendors.Fail(tokens, &vendors.Error{Vendor: vendors.Honor, Kind: vendors.Retryable,
				Status: status, Code: code, Message: "sendResult false: " + r.Message})
		}
	}
	rs := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		rs[i] = vendors.Result{Token: t, MessageID: id}
		if e, ok := bad[t]; ok {
			rs[i] = vendors.Result{Token: t, Err: e}
		}
	}
	return rs
}
