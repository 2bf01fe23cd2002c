package api

import (
	"fmt"
	"net/http"
)

// TencentAnswer is the answer of the /v4 routes, in Tencent's shape: HTTP
// 200 with ActionStatus OK, or FAIL with Tencent's ErrorCode and a message
// in ErrorInfo (Tencent answers 200 to a refused request; S9, S11, S12).
// pushd answers another status only where its own checks come first: 401
// and 403 for the bearer token, 403 for an sdkappid the token may not act
// on.
type TencentAnswer struct {
	// ActionStatus is OK, FAIL, or (batchsendmsg) SomeError when some
	// recipients were refused and the others queued.
	ActionStatus string `json:"ActionStatus"`
	ErrorInfo    string `json:"ErrorInfo"`
	ErrorCode    int    `json:"ErrorCode"`
	// MsgTime is when pushd took the message (Unix seconds).
	MsgTime int64 `json:"MsgTime,omitempty"`
	// MsgKey is the job's msg_id: the same body posted twice answers the
	// same key and is pushed once.
	MsgKey string `json:"MsgKey,omitempty"`
	// MsgSeq (send_group_msg) is a number derived from the msg_id, the
	// same for the same body; pushd keeps no group sequence.
	MsgSeq *uint32 `json:"MsgSeq,omitempty"`
	// ErrorList (batchsendmsg) names the recipients refused.
	ErrorList []TencentAccountError `json:"ErrorList,omitempty"`
}

// TencentAccountError is one refused recipient of batchsendmsg.
type TencentAccountError struct {
	ToAccount string `json:"To_Account"`
	ErrorCode int    `json:"ErrorCode"`
}

// Tencent's ActionStatus values.
const (
	timOK        = "OK"
	timFail      = "FAIL"
	timSomeError = "SomeError"
)

// timFault classifies why a /v4 request is refused; each route's dialect
// turns it into the ErrorCode Tencent uses for it.
type timFault int

const (
	faultFormat   timFault = iota // the request does not match the format
	faultJSON                     // the body is not JSON
	faultBody                     // MsgBody
	faultTo                       // To_Account
	faultToType                   // To_Account is not an array (batch)
	faultToEmpty                  // To_Account is an empty array (batch)
	faultTooMany                  // more than 500 recipients (batch)
	faultAccount                  // one recipient's UserID is invalid
	faultFrom                     // From_Account
	faultRandom                   // MsgRandom / Random
	faultLifeTime                 // MsgLifeTime out of range
	faultLifeType                 // MsgLifeTime is not an integer
	faultPush                     // OfflinePushInfo
	faultGroup                    // GroupId
	faultTooLong                  // the body is too large
	faultNoApp                    // sdkappid missing
	faultApp                      // the token may not act on sdkappid
	faultRate                     // the app is over its rate
	faultInternal                 // the queue is full or unavailable
)

// The error codes, from Tencent's error-code page (https://trtc.io/document/34348,
// "Common backend error codes", "Account error codes", "Message Error
// Codes" for C2C, "Group Error Codes"). Codes common to every route:
// 60012 the REST API needs the SDKAppID; 70014 the SDKAppID differs from
// the one the credential was made for; 60007 the REST API call frequency
// exceeds the limit.
var timCommonCodes = map[timFault]int{faultNoApp: 60012, faultApp: 70014, faultRate: 60007}

// timC2CCodes are sendmsg's and batchsendmsg's codes: 90001 JSON parsing
// failed, 90002 MsgBody does not match the message format, 90003
// To_Account missing, 90005 MsgRandom missing or not an integer, 90008
// From_Account, 90010 the request does not match the message format,
// 90011 more than 500 targets, 90026 MsgLifeTime too large, 90028
// batch To_Account not an array, 90029 batch To_Account empty, 90043
// OfflinePushInfo does not match its format, 90044 MsgLifeTime not an
// integer, 20003 sender or recipient UserID invalid, 93000 the JSON packet
// is too long, 90994 internal error, retry.
var timC2CCodes = map[timFault]int{
	faultFormat: 90010, faultJSON: 90001, faultBody: 90002, faultTo: 90003, faultToType: 90028,
	faultToEmpty: 90029, faultTooMany: 90011, faultAccount: 20003, faultFrom: 90008, faultRandom: 90005,
	faultLifeTime: 90026, faultLifeType: 90044, faultPush: 90043, faultGroup: 90010, faultTooLong: 93000,
	faultInternal: 90994,
}

// timGroupCodes are send_group_msg's: Tencent's group APIs answer 10004
// (invalid parameter) for most faults, 10011 JSON parsing failed, 10015
// invalid group id, 10005 too many accounts, 10002 internal error, retry.
var timGroupCodes = map[timFault]int{
	faultFormat: 10004, faultJSON: 10011, faultBody: 10004, faultTo: 10004, faultToType: 10004,
	faultToEmpty: 10004, faultTooMany: 10005, faultAccount: 10004, faultFrom: 10004, faultRandom: 10004,
	faultLifeTime: 10004, faultLifeType: 10004, faultPush: 10004, faultGroup: 10015, faultTooLong: 10004,
	faultInternal: 10002,
}

// timError is a refused /v4 request: the fault and the message for
// ErrorInfo (which names the Tencent field at fault).
type timError struct {
	fault timFault
	info  string
	// retryAfter, when set, is sent as Retry-After.
	retryAfter string
}

func (e *timError) Error() string { return e.info }

func timErr(f timFault, format string, args ...any) *timError {
	return &timError{fault: f, info: fmt.Sprintf(format, args...)}
}

// code is the ErrorCode of e on a route whose codes are codes.
func (e *timError) code(codes map[timFault]int) int {
	if c, ok := timCommonCodes[e.fault]; ok {
		return c
	}
	return codes[e.fault]
}

// writeTencentError answers e in Tencent's shape: HTTP 200 with FAIL, or
// 403 when the token may not act on the app.
func writeTencentError(w http.ResponseWriter, codes map[timFault]int, e *timError) {
	status := http.StatusOK
	if e.fault == faultApp {
		status = http.StatusForbidden
	}
	if e.retryAfter != "" {
		w.Header().Set("Retry-After", e.retryAfter)
	}
	writeJSON(w, status, TencentAnswer{ActionStatus: timFail, ErrorCode: e.code(codes), ErrorInfo: e.info})
}
