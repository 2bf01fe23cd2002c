package api

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/pushd/pushd/dispatcher"
)

// Tencent Cloud IM's REST message APIs, accepted as Tencent documents them
// (issue 14, docs/tencent.md): a message service that already speaks
// Tencent's JSON points its base URL at pushd and keeps its bodies. The
// app is Tencent's sdkappid query parameter, authorised exactly as the
// app_id of POST /v1/messages; identifier, usersig, random and contenttype
// are accepted and ignored (pushd's bearer token is the credential). Each
// body becomes one job on the same path as POST /v1/messages.

// tencentRoutes are the /v4 routes.
func (s *Server) tencentRoutes() []route {
	return []route{
		{pattern: "POST /v4/openim/sendmsg", role: RoleEnqueue, json: true, h: s.postTencentSendMsg},
		{pattern: "POST /v4/openim/batchsendmsg", role: RoleEnqueue, json: true, h: s.postTencentBatchSendMsg},
		{pattern: "POST /v4/group_open_http_svc/send_group_msg", role: RoleEnqueue, json: true, h: s.postTencentGroupMsg},
	}
}

// tencentRequest reads a /v4 request: the app from sdkappid, authorised
// for the token, and the body. It answers the refusal itself and returns
// ok false then.
func (s *Server) tencentRequest(w http.ResponseWriter, r *http.Request, codes map[timFault]int) (app string, body []byte, ok bool) {
	app = r.URL.Query().Get("sdkappid")
	if app == "" {
		writeTencentError(w, codes, timErr(faultNoApp, "sdkappid: the query parameter naming the app is required"))
		return "", nil, false
	}
	if !s.allowApp(r, app) {
		writeTencentError(w, codes, timErr(faultApp, "sdkappid: this token may not act on that app"))
		return "", nil, false
	}
	b, err := readBody(w, r)
	if err != nil {
		writeTencentError(w, codes, timErr(faultTooLong, "%v", err))
		return "", nil, false
	}
	return app, b, true
}

func (s *Server) postTencentSendMsg(w http.ResponseWriter, r *http.Request) {
	codes := timC2CCodes
	app, b, ok := s.tencentRequest(w, r, codes)
	if !ok {
		return
	}
	var body timC2CBody
	if err := decodeTencent(b, &body); err != nil {
		writeTencentError(w, codes, err)
		return
	}
	to, err := sendMsgTarget(body.ToAccount)
	if err != nil {
		writeTencentError(w, codes, err)
		return
	}
	now := s.Now()
	conv, err := c2cJob(app, kindSendMsg, &body, []string{to}, now)
	if err != nil {
		writeTencentError(w, codes, err)
		return
	}
	if ans, ok := s.enqueueTencent(w, r, codes, conv, now); ok {
		writeJSON(w, http.StatusOK, ans)
	}
}

func (s *Server) postTencentBatchSendMsg(w http.ResponseWriter, r *http.Request) {
	codes := timC2CCodes
	app, b, ok := s.tencentRequest(w, r, codes)
	if !ok {
		return
	}
	var body timC2CBody
	if err := decodeTencent(b, &body); err != nil {
		writeTencentError(w, codes, err)
		return
	}
	to, refused, err := batchTargets(body.ToAccount)
	if err != nil {
		writeTencentError(w, codes, err)
		return
	}
	if len(to) == 0 {
		// Tencent answers FAIL 90012 "invalid To_Account" then (S11).
		writeJSON(w, http.StatusOK, TencentAnswer{ActionStatus: timFail, ErrorCode: 90012,
			ErrorInfo: "invalid To_Account: no recipient is a valid UserID", ErrorList: refused})
		return
	}
	now := s.Now()
	conv, err := c2cJob(app, kindBatchSend, &body, to, now)
	if err != nil {
		writeTencentError(w, codes, err)
		return
	}
	ans, ok := s.enqueueTencent(w, r, codes, conv, now)
	if !ok {
		return
	}
	if len(refused) > 0 {
		// As Tencent answers it (S11): SomeError, ErrorCode 0, the
		// refused accounts listed; the others are queued.
		ans.ActionStatus, ans.ErrorList = timSomeError, refused
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) postTencentGroupMsg(w http.ResponseWriter, r *http.Request) {
	codes := timGroupCodes
	app, b, ok := s.tencentRequest(w, r, codes)
	if !ok {
		return
	}
	var body timGroupBody
	if err := decodeTencent(b, &body); err != nil {
		writeTencentError(w, codes, err)
		return
	}
	conv, err := groupJob(app, &body)
	if err != nil {
		writeTencentError(w, codes, err)
		return
	}
	ans, ok := s.enqueueTencent(w, r, codes, conv, s.Now())
	if !ok {
		return
	}
	ans.MsgSeq = groupSeq(conv.job.MsgID)
	writeJSON(w, http.StatusOK, ans)
}

// enqueueTencent validates the converted job as POST /v1/messages does
// (dispatcher.DecodeJob on its JSON, the app's limits and rate) and queues
// it. It answers refusals itself (ok false); otherwise it returns the OK
// answer, the same for a duplicate: the body was already queued and is
// pushed once.
func (s *Server) enqueueTencent(w http.ResponseWriter, r *http.Request, codes map[timFault]int, conv *timConversion, now time.Time) (TencentAnswer, bool) {
	b, err := json.Marshal(conv.job)
	if err != nil {
		writeTencentError(w, codes, timErr(faultInternal, "internal error; retry"))
		return TencentAnswer{}, false
	}
	job, err := dispatcher.DecodeJob(b, now)
	if err != nil {
		writeTencentError(w, codes, jobTimError(err, conv.origin))
		return TencentAnswer{}, false
	}
	if err := s.admitJobs(job); err != nil {
		writeTencentError(w, codes, admitTimError(err, conv.origin))
		return TencentAnswer{}, false
	}
	// The stream keeps the job as decoded, with its default expiry.
	b, _ = json.Marshal(job)
	res := s.Intake.Enqueue(r.Context(), []dispatcher.EncodedJob{{AppID: job.AppID, MsgID: job.MsgID, JSON: b}})[0]
	if res.Err != nil {
		writeTencentError(w, codes, queueTimError(w, res.Err))
		return TencentAnswer{}, false
	}
	return TencentAnswer{ActionStatus: timOK, MsgTime: now.Unix(), MsgKey: job.MsgID}, true
}

// admitTimError translates admitJobs' refusal: a rate limit keeps its
// Retry-After, a job limit names the Tencent field.
func admitTimError(err error, origin map[string]string) *timError {
	var he *httpError
	if !errors.As(err, &he) {
		return timErr(faultInternal, "internal error; retry")
	}
	if he.status == http.StatusTooManyRequests {
		return &timError{fault: faultRate, info: he.msg, retryAfter: he.retryAfter}
	}
	f := tencentField(he.field, origin)
	return timErr(faultOf(f), "%s: %s", f, he.msg)
}

// queueTimError answers a job the queue did not take: full (retry after a
// second) or unreachable; the cause of the latter goes to the log.
func queueTimError(w http.ResponseWriter, err error) *timError {
	if errors.Is(err, dispatcher.ErrQueueFull) {
		return &timError{fault: faultInternal, info: "the queue is full; retry later", retryAfter: "1"}
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.internal = err
	}
	return &timError{fault: faultInternal, info: "the queue is unavailable; retry later", retryAfter: "5"}
}

// sendMsgTarget reads sendmsg's To_Account: one UserID (S9).
func sendMsgTarget(raw json.RawMessage) (string, *timError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", timErr(faultTo, "To_Account: required")
	}
	var to string
	if err := json.Unmarshal(raw, &to); err != nil {
		return "", timErr(faultTo, "To_Account: must be one UserID (a string); batchsendmsg takes a list")
	}
	if to == "" {
		return "", timErr(faultTo, "To_Account: required")
	}
	if err := dispatcher.CheckUserID("To_Account", to); err != nil {
		return "", timErr(faultAccount, "%v", err)
	}
	return to, nil
}

// batchTargets reads batchsendmsg's To_Account: 1 to 500 UserIDs (S11).
// Invalid ones are refused one by one in the ErrorList (20003: the UserID
// is invalid); repeated ones are pushed once.
func batchTargets(raw json.RawMessage) (to []string, refused []TencentAccountError, err *timError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, timErr(faultTo, "To_Account: required")
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return nil, nil, timErr(faultToType, "To_Account: must be an array of UserIDs")
	}
	switch {
	case len(list) == 0:
		return nil, nil, timErr(faultToEmpty, "To_Account: the array is empty")
	case len(list) > timMaxBatch:
		return nil, nil, timErr(faultTooMany, "To_Account: %d accounts; at most %d", len(list), timMaxBatch)
	}
	for _, id := range uniqueIDs(list) {
		if dispatcher.CheckUserID("To_Account", id) != nil {
			refused = append(refused, TencentAccountError{ToAccount: id, ErrorCode: timC2CCodes[faultAccount]})
			continue
		}
		to = append(to, id)
	}
	return to, refused, nil
}

// groupSeq derives send_group_msg's MsgSeq from the msg_id: stable for a
// body posted twice, not an order (pushd keeps no group sequence).
func groupSeq(msgID string) *uint32 {
	b, err := hex.DecodeString(msgID[len(msgID)-8:])
	if err != nil || len(b) != 4 {
		return nil
	}
	v := binary.BigEndian.Uint32(b)
	return &v
}
