package vivo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// vivo result codes, classified as in vendor-protocols.md §6 "Error table"
// (codes from the official SDK's ExceptionStatusEnum, MZS ViVoResultCodeMap
// and VIVODOC). vivo answers HTTP 200 with one of these in "result".
const (
	codeOK              = 0     // Success: ok.
	codeAuthFailed      = 10000 // authToken invalid or expired: auth, refresh once.
	codePayloadFirst    = 10050 // 10050..10069: payload validation (regId/alias empty, notifyType, title,
	codePayloadLast     = 10069 // content, timeToLive, skipType/skipContent, networkType, clientCustomMap): rejected.
	codeDailyTotal      = 10070 // Total send volume exceeded for today: quota, until China midnight.
	codeTimeWindow      = 10071 // Outside the sending window (operations messages 07:00–23:00): rate limited until 07:00.
	codeTooFast         = 10072 // Sending too fast: rate limited, back off.
	codePerUserLimit    = 10073 // Per-user daily limit: quota, until China midnight.
	codeAppIDMismatch   = 10094 // appId in the body is not the token's app: rejected.
	codeTargetsEmpty    = 10150 // aliases and regIds both empty: rejected.
	codeTaskIDEmpty     = 10151 // taskId empty (or unknown): rejected; a cached task is saved again.
	codeRegIDCount      = 10153 // regIds count not within 2..1000: rejected.
	codeAliasCount      = 10154 // aliases count not within 2..1000: rejected.
	codeAuthParams      = 10200 // auth: appId/appKey/timestamp/sign missing or illegal: rejected (configuration).
	codeAuthSign        = 10206 // auth: sign wrong: rejected (configuration).
	codeAuthTimestamp   = 10207 // auth: timestamp illegal (clock skew over 10 min): rejected, fix the clock.
	codeAuthLimit       = 10250 // auth interface call limit exceeded: rate limited, back off.
	codeListDaily       = 10252 // saveListPayload count exceeded for today: quota, until China midnight.
	codeAllDaily        = 10254 // /message/all count exceeded: quota, until China midnight.
	codeAliasTooLong    = 10301 // alias over 40 characters: rejected.
	codeRegIDInvalid    = 10302 // regId illegal, with invalidUser: invalid token.
	codeCallbackTooLong = 10305 // extra.callback over 128 characters: rejected.
	codeCallbackParam   = 10306 // extra.callback.param over 64 characters: rejected.
	codeRequestIDEmpty  = 10352 // requestId empty: rejected.
	codeRequestIDLong   = 10353 // requestId over 64 characters: rejected.
	codeTaskIDsTooMany  = 10471 // statistics: more than 100 taskIds: rejected.
	codeTaskIDsEmpty    = 10473 // statistics: taskIds empty: rejected.
)

// flowControlBackoff is the wait after a speed or auth-rate answer (10072,
// 10250) without Retry-After. vivo limits auth to 10 calls/s per app and
// documents no wait for the send limits; a short pause is enough.
const flowControlBackoff = 10 * time.Second

// windowOpens is the China-time hour operations messages may be sent again
// after 10071.
const windowOpens = 7

// code is vivo's "result" (or invalidUser.status): a JSON number, read
// leniently as a string so a quoted value or null never fails decoding.
type code = vendorhttp.FlexString

// classify turns a result code into nil (accepted) or a classified
// *vendors.Error; c is "" when the body had none and the status decides.
func classify(status int, c code, desc string, retryAfter time.Duration, now time.Time) error {
	n, err := strconv.Atoi(string(c))
	if err != nil {
		return vendorhttp.ByStatus(vendors.Vivo, status, string(c), desc, retryAfter, flowControlBackoff)
	}
	e := &vendors.Error{Vendor: vendors.Vivo, Status: status, Code: string(c), Message: desc, RetryAfter: retryAfter}
	switch n {
	case codeOK:
		return nil
	case codeDailyTotal, codePerUserLimit, codeListDaily, codeAllDaily:
		return vendors.QuotaError(vendors.Vivo, status, string(c), desc, now)
	case codeTooFast, codeAuthLimit:
		e.Kind, e.RetryAfter = vendors.RateLimited, max(retryAfter, flowControlBackoff)
	case codeTimeWindow:
		e.Kind, e.RetryAfter = vendors.RateLimited, nextChinaHour(now, windowOpens).Sub(now)
	default:
		e.Kind = kindOf(n, status)
	}
	return e
}

// kindOf classifies the codes that carry no wait.
func kindOf(n, status int) vendors.Kind {
	switch n {
	case codeAuthFailed:
		return vendors.Auth
	case codeRegIDInvalid:
		return vendors.InvalidToken
	case codeAppIDMismatch, codeTargetsEmpty, codeTaskIDEmpty, codeRegIDCount, codeAliasCount,
		codeAuthParams, codeAuthSign, codeAuthTimestamp, codeAliasTooLong, codeCallbackTooLong,
		codeCallbackParam, codeRequestIDEmpty, codeRequestIDLong, codeTaskIDsTooMany, codeTaskIDsEmpty:
		return vendors.Rejected
	}
	if n >= codePayloadFirst && n <= codePayloadLast {
		return vendors.Rejected
	}
	// An undocumented code (see vendorhttp.UndocumentedKind).
	return vendorhttp.UndocumentedKind(status)
}

// nextChinaHour returns the next time it is hour:00 in China (UTC+8).
func nextChinaHour(now time.Time, hour int) time.Time {
	cst := time.FixedZone("CST", 8*60*60)
	t := now.In(cst)
	next := time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, cst)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// invalidUser is a refused regId and why: 1 not found, 2 uninstalled or
// notifications off, 3 offline for 90 days, 4 not a test device.
type invalidUser struct {
	Status code   `json:"status"`
	UserID string `json:"userid"`
}

// response is the body of every vivo answer.
type response struct {
	Result       code          `json:"result"`
	Desc         string        `json:"desc"`
	TaskID       code          `json:"taskId"`
	InvalidUser  *invalidUser  `json:"invalidUser"`
	InvalidUsers []invalidUser `json:"invalidUsers"`
}

func decode(body []byte) response {
	var r response
	_ = json.Unmarshal(body, &r) // an undecodable body leaves Result "": the status decides (vendorhttp.ByStatus)
	return r
}

// parseSend turns a /message/send answer into token's Result.
func parseSend(status int, body []byte, retryAfter time.Duration, token string, now time.Time) vendors.Result {
	r := decode(body)
	err := classify(status, r.Result, r.Desc, retryAfter, now)
	if err != nil && r.Result.Is(codeRegIDInvalid) && r.InvalidUser != nil {
		err.(*vendors.Error).Message = invalidMessage(r.Desc, r.InvalidUser.Status)
	}
	if err != nil {
		return vendors.Result{Token: token, Err: err}
	}
	return vendors.Result{Token: token, MessageID: string(r.TaskID)}
}

// parseSave reads the taskId of a /message/saveListPayload answer.
func parseSave(status int, body []byte, retryAfter time.Duration, now time.Time) (string, error) {
	r := decode(body)
	if err := classify(status, r.Result, r.Desc, retryAfter, now); err != nil {
		return "", err
	}
	if r.TaskID == "" {
		return "", &vendors.Error{Vendor: vendors.Vivo, Kind: vendors.Retryable, Status: status,
			Message: "saveListPayload answered without a taskId"}
	}
	return string(r.TaskID), nil
}

// parseList turns a /message/pushToList answer into one Result per token:
// the tokens in invalidUsers are invalid (code 10302, vivo's code for an
// illegal regId), the others accepted under taskID.
func parseList(status int, body []byte, retryAfter time.Duration, tokens []string, taskID string, now time.Time) []vendors.Result {
	r := decode(body)
	if err := classify(status, r.Result, r.Desc, retryAfter, now); err != nil {
		return vendors.Fail(tokens, err)
	}
	invalid := make(map[string]code, len(r.InvalidUsers))
	for _, u := range r.InvalidUsers {
		invalid[u.UserID] = u.Status
	}
	out := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		out[i] = vendors.Result{Token: t, MessageID: taskID}
		if st, bad := invalid[t]; bad {
			out[i] = vendors.Result{Token: t, Err: &vendors.Error{Vendor: vendors.Vivo, Kind: vendors.InvalidToken,
				Status: status, Code: strconv.Itoa(codeRegIDInvalid), Message: invalidMessage("invalidUsers", st)}}
		}
	}
	return out
}

// invalidMessage explains an invalidUser status.
func invalidMessage(desc string, status code) string {
	why := map[code]string{"1": "regId does not exist", "2": "app uninstalled or notifications off",
		"3": "offline for 90 days", "4": "not a test device"}[status]
	if why == "" {
		why = "unknown status"
	}
	return fmt.Sprintf("%s: status %s, %s", desc, status, why)
}
