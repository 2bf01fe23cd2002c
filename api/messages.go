package api

import (
	"errors"
	"net/http"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
)

// EnqueueResponse answers POST /v1/messages.
type EnqueueResponse struct {
	TaskID string `json:"task_id"`
	// Duplicate is true when the msg_id was already enqueued: nothing new
	// was queued and the job runs once.
	Duplicate bool `json:"duplicate,omitempty"`
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	job, err := dispatcher.DecodeJob(b, s.Now())
	if err != nil {
		writeError(w, fieldError(err))
		return
	}
	if s.denyApp(w, r, job.AppID) {
		return
	}
	// DecodeJob is strict (no unknown field, every value checked), so the
	// body as received is the job: it goes to the stream as is.
	res, status, ok := s.enqueueJob(w, r, job, b)
	if !ok {
		return
	}
	writeJSON(w, status, EnqueueResponse{TaskID: res.TaskID, Duplicate: res.Duplicate})
}

// enqueueJob admits one decoded job (b is its JSON) and hands it to the
// intake. It returns the intake's answer and its status, 202 when queued
// and 200 for a duplicate; on a refusal it has answered w and ok is false.
func (s *Server) enqueueJob(w http.ResponseWriter, r *http.Request, job *dispatcher.Job, b []byte) (res dispatcher.Enqueued, status int, ok bool) {
	if err := s.admitJobs(job); err != nil {
		writeError(w, err)
		return res, 0, false
	}
	res = s.Intake.Enqueue(r.Context(), []dispatcher.EncodedJob{dispatcher.Encoded(job, b)})[0]
	if res.Err != nil {
		writeEnqueueError(w, res.Err)
		return res, 0, false
	}
	if res.Duplicate {
		return res, http.StatusOK, true
	}
	return res, http.StatusAccepted, true
}

// writeEnqueueError answers a job the queue did not take: 503 with
// Retry-After when Redis is full or unreachable (the caller should come
// back), the error otherwise.
func writeEnqueueError(w http.ResponseWriter, err error) {
	if errors.Is(err, dispatcher.ErrQueueFull) {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: "the queue is full; retry later"})
		return
	}
	writeError(w, err)
}

func fieldError(err error) error {
	var fe *dispatcher.FieldError
	if errors.As(err, &fe) {
		return badRequest(fe.Field, "%s", fe.Error())
	}
	return err
}

// PushRequest is the body of POST /v1/push: a synchronous test push.
type PushRequest struct {
	CertID int64  `json:"cert_id"`
	Token  string `json:"token"`
	Title  string `json:"title,omitempty"`
	Desc   string `json:"desc,omitempty"`
	Ext    string `json:"ext,omitempty"`
	Sound  string `json:"sound,omitempty"`
	Badge  *int   `json:"badge,omitempty"`
	// MsgID feeds the collapse id; a random one is used when empty.
	MsgID  string `json:"msg_id,omitempty"`
	DryRun bool   `json:"dry_run,omitempty"`
	// ValidateOnly asks the vendor to check the credential, token and
	// payload without alerting the phone, where it can (FCM and Huawei
	// validate_only, vivo pushMode 1); Honor and OPPO only authenticate;
	// APNs, Xiaomi and Meizu answer validate_only_unsupported.
	ValidateOnly bool `json:"validate_only,omitempty"`
}

func (s *Server) postPush(w http.ResponseWriter, r *http.Request) {
	var req PushRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	n, err := req.notification()
	if err != nil {
		writeError(w, err)
		return
	}
	if _, ok := s.certOfApp(w, r, req.CertID); !ok {
		return
	}
	res, err := s.Pool.Push(r.Context(), &dispatcher.TestPush{CertID: req.CertID, Token: req.Token, Notif: n, DryRun: req.DryRun})
	switch {
	case errors.Is(err, dispatcher.ErrUnknownCert):
		writeError(w, notFound("certificate %d not found", req.CertID))
	case err != nil:
		writeError(w, badRequest("cert_id", "%v", err))
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

func (req *PushRequest) notification() (*vendors.Notification, error) {
	switch {
	case req.CertID <= 0:
		return nil, badRequest("cert_id", "a positive certificate id is required")
	case req.Token == "":
		return nil, badRequest("token", "required")
	case dispatcher.CheckDeviceToken("token", req.Token) != nil:
		return nil, fieldError(dispatcher.CheckDeviceToken("token", req.Token))
	case req.Title == "" && req.Desc == "":
		return nil, badRequest("desc", "title or desc is required")
	case len(req.Ext) > dispatcher.MaxExtBytes:
		return nil, badRequest("ext", "%d bytes; at most %d", len(req.Ext), dispatcher.MaxExtBytes)
	case req.Badge != nil && *req.Badge < 0:
		return nil, badRequest("badge", "must not be negative")
	}
	id := req.MsgID
	if id == "" {
		id = "test-" + randomID()
	}
	n := &vendors.Notification{ID: id, Title: req.Title, Body: req.Desc, Ext: req.Ext, Sound: req.Sound, Badge: req.Badge,
		ValidateOnly: req.ValidateOnly}
	if req.Sound == vendors.SoundSilent {
		n.Sound, n.Silent = "", true
	}
	return n, nil
}
