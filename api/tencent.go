package api

import (
	"encoding/binary"
	"encoding/hex"
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
		{pattern: "POST /v4/openim/sendmsg", role: RoleEnqueue, json: true, h: s.tencentHandler(timSendMsgRoute)},
		{pattern: "POST /v4/openim/batchsendmsg", role: RoleEnqueue, json: true, h: s.tencentHandler(timBatchSendRoute)},
		{pattern: "POST /v4/group_open_http_svc/send_group_msg", role: RoleEnqueue, json: true, h: s.tencentHandler(timGroupRoute)},
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

// timRoute is one /v4 route: its error codes and how its body becomes a
// job.
type timRoute struct {
	codes   map[timFault]int
	convert func(app string, b []byte, now time.Time) (*timConversion, *timError)
}

var (
	timSendMsgRoute   = timRoute{codes: timC2CCodes, convert: convertSendMsg}
	timBatchSendRoute = timRoute{codes: timC2CCodes, convert: convertBatchSendMsg}
	timGroupRoute     = timRoute{codes: timGroupCodes, convert: convertGroupMsg}
)

// tencentHandler serves one /v4 route: the app, the body converted to a
// job, the job queued, the answer in Tencent's shape.
func (s *Server) tencentHandler(rt timRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		app, b, ok := s.tencentRequest(w, r, rt.codes)
		if !ok {
			return
		}
		now := s.Now()
		conv, err := rt.convert(app, b, now)
		if err != nil {
			writeTencentError(w, rt.codes, err)
			return
		}
		if conv.job == nil {
			// batchsendmsg with no valid recipient: Tencent answers FAIL
			// 90012 "invalid To_Account" (S11).
			writeJSON(w, http.StatusOK, TencentAnswer{ActionStatus: timFail, ErrorCode: 90012,
				ErrorInfo: "invalid To_Account: no recipient is a valid UserID", ErrorList: conv.refused})
			return
		}
		ans, ok := s.enqueueTencent(w, r, rt.codes, conv, now)
		if !ok {
			return
		}
		if len(conv.refused) > 0 {
			// As Tencent answers it (S11): SomeError, ErrorCode 0, the
			// refused accounts listed; the others are queued.
			ans.ActionStatus, ans.ErrorList = timSomeError, conv.refused
		}
		if conv.job.IsGroup() {
			ans.MsgSeq = groupSeq(conv.job.MsgID)
		}
		writeJSON(w, http.StatusOK, ans)
	}
}

// enqueueTencent validates the converted job as POST /v1/messages does
// (dispatcher.DecodeJob on its JSON, the app's limits and rate) and queues
// it. It answers refusals itself (ok false); otherwise it returns the OK
// answer, the same for a duplicate: the body was already queued and is
// pushed once.
func (s *Server) enqueueTencent(w http.ResponseWriter, r *http.Request, codes map[timFault]int, conv *timConversion, now time.Time) (TencentAnswer, bool) {
	job, b, terr := conv.validate(now)
	if terr != nil {
		writeTencentError(w, codes, terr)
		return TencentAnswer{}, false
	}
	if err := s.admitJobs(job); err != nil {
		writeTencentError(w, codes, admitTimError(err, conv.origin))
		return TencentAnswer{}, false
	}
	res := s.Intake.Enqueue(r.Context(), []dispatcher.EncodedJob{dispatcher.Encoded(job, b)})[0]
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
