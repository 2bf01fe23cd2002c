package meizu

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Meizu top-level codes, classified as in vendor-protocols.md §7 (MZAPI
// returnCode table, official SDK ErrorCode). "code" is a JSON string.
const (
	codeOK          = 200    // OK; per-target failures are in "value": ok.
	codeOther       = 500    // Other exception: retryable.
	codeSystem      = 1001   // System error: retryable.
	codeBusy        = 1003   // Server busy: retryable.
	codeParam       = 1005   // Parameter error: rejected.
	codeSign        = 1006   // Signature authentication failed: rejected (secret or signing bug).
	codeAppID       = 110000 // appId illegal: rejected.
	codeAppKey      = 110001 // appKey illegal: rejected.
	codeEmpty       = 110004 // Parameter empty: rejected.
	codeBlacklisted = 110009 // App blacklisted: rejected.
	codeRateLimit   = 110010 // App request rate too fast (top level): rate limited, back off.
	codeDailyLimit  = 110019 // App daily push count exceeded: quota, until China midnight.
	codePackage     = 110031 // packageName illegal: rejected.
	codeTaskID      = 110032 // Illegal taskId: rejected.
	codeAppSecret   = 110033 // appSecret illegal: rejected.
	codeAppCount    = 110051 // App count limit exceeded: quota, until China midnight.
	codePassThrough = 110053 // Pass-through limit exceeded: quota, until China midnight.
)

// Codes inside "value", one per refused pushId (MZAPI "map部分code定义",
// official SDK PushResponseCode). 110010 means something else here than at
// the top level.
const (
	targetNoPermission = 201    // No permission, refused: rejected.
	targetDBError      = 501    // Push failed (db_error): retryable.
	targetFailed       = 513    // Push failed: retryable.
	targetTooFast      = 518    // Over the configured speed: retryable.
	targetOverloaded   = 519    // Service overloaded: retryable.
	targetFolded       = 520    // Folded, over 5 to one device in a minute: rejected (drop, never retried).
	targetUnsubscribed = 110002 // pushId invalid or not subscribed: invalid token.
	targetIllegal      = 110003 // pushId illegal: invalid token.
	targetAliasOff     = 110005 // Alias not subscribed or switch off: invalid token.
	targetSwitchOff    = 110010 // Notification switch off on the device: invalid token.
	targetPublicLimit  = 110011 // Daily public-message limit of this device: quota, until China midnight.
)

// flowControlBackoff is the wait after a top-level 110010 without
// Retry-After; Meizu documents none.
const flowControlBackoff = 10 * time.Second

// code is a Meizu code: a JSON string, read leniently so a number or null
// never fails decoding.
type code = vendorhttp.FlexString

// classifyTop turns the top-level code into nil or a classified error.
func classifyTop(status int, c code, msg string, retryAfter time.Duration, now time.Time) error {
	n, err := strconv.Atoi(string(c))
	if err != nil {
		return vendorhttp.ByStatus(vendors.Meizu, status, string(c), msg, retryAfter, flowControlBackoff)
	}
	e := &vendors.Error{Vendor: vendors.Meizu, Status: status, Code: string(c), Message: msg, RetryAfter: retryAfter}
	switch n {
	case codeOK:
		return nil
	case codeDailyLimit, codeAppCount, codePassThrough:
		return vendors.QuotaError(vendors.Meizu, status, string(c), msg, now)
	case codeRateLimit:
		e.Kind, e.RetryAfter = vendors.RateLimited, max(retryAfter, flowControlBackoff)
	case codeOther, codeSystem, codeBusy:
		e.Kind = vendors.Retryable
	case codeParam, codeSign, codeAppID, codeAppKey, codeEmpty, codeBlacklisted, codePackage, codeTaskID, codeAppSecret:
		e.Kind = vendors.Rejected
	default:
		e.Kind = vendorhttp.UndocumentedKind(status)
	}
	return e
}

// classifyTarget classifies a code of the value map for one pushId.
func classifyTarget(status int, c code, now time.Time) error {
	n, _ := strconv.Atoi(string(c))
	e := &vendors.Error{Vendor: vendors.Meizu, Status: status, Code: string(c), Message: targetMessage(n)}
	switch n {
	case targetPublicLimit:
		return vendors.QuotaError(vendors.Meizu, status, string(c), e.Message, now)
	case targetUnsubscribed, targetIllegal, targetAliasOff, targetSwitchOff:
		e.Kind = vendors.InvalidToken
	case targetDBError, targetFailed, targetTooFast, targetOverloaded:
		e.Kind = vendors.Retryable
	default: // 201, 520 and undocumented codes: never retried blindly.
		e.Kind = vendors.Rejected
	}
	return e
}

func targetMessage(n int) string {
	return map[int]string{
		targetNoPermission: "no permission", targetDBError: "push failed (db_error)", targetFailed: "push failed",
		targetTooFast: "over the configured speed", targetOverloaded: "service overloaded",
		targetFolded: "message folded", targetUnsubscribed: "pushId not subscribed", targetIllegal: "pushId illegal",
		targetAliasOff: "alias not subscribed", targetSwitchOff: "notification switch off",
		targetPublicLimit: "daily public-message limit of this device",
	}[n]
}

// response is the body of every Meizu answer.
type response struct {
	Code    code            `json:"code"`
	Message string          `json:"message"`
	Value   json.RawMessage `json:"value"`
	MsgID   code            `json:"msgId"`
}

// parse turns a pushByPushId answer into one Result per token, in order:
// a token listed under a code in "value" failed with that code, the others
// were accepted under msgId.
func parse(status int, body []byte, retryAfter time.Duration, tokens []string, now time.Time) []vendors.Result {
	var r response
	_ = json.Unmarshal(body, &r) // an undecodable body leaves Code "": the status decides (vendorhttp.ByStatus)
	if err := classifyTop(status, r.Code, r.Message, retryAfter, now); err != nil {
		return vendors.Fail(tokens, err)
	}
	failed := targets(r.Value)
	out := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		out[i] = vendors.Result{Token: t, MessageID: string(r.MsgID)}
		if c, bad := failed[t]; bad {
			out[i] = vendors.Result{Token: t, Err: classifyTarget(status, c, now)}
		}
	}
	return out
}

// targets reads the value map {"<code>": ["pushId", …]} into pushId →
// code. value may also be "", {} or null; a list given as a comma-separated
// string is accepted too.
func targets(value json.RawMessage) map[string]code {
	var m map[string]json.RawMessage
	if json.Unmarshal(value, &m) != nil {
		return nil
	}
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	// Sorted, so a pushId listed under two codes always gets the same one.
	sort.Strings(codes)
	out := map[string]code{}
	for _, c := range codes {
		raw := m[c]
		var ids []string
		if json.Unmarshal(raw, &ids) != nil {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				continue
			}
			ids = strings.Split(s, ",")
		}
		for _, id := range ids {
			if _, dup := out[id]; !dup {
				out[id] = code(c)
			}
		}
	}
	return out
}
