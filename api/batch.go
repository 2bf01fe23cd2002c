package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/pushd/pushd/dispatcher"
)

// MaxBatchJobs bounds the jobs of one POST /v1/messages:batch.
const MaxBatchJobs = 1000

// BatchRequest is the body of POST /v1/messages:batch.
type BatchRequest struct {
	Jobs []json.RawMessage `json:"jobs"`
}

// BatchResult is the outcome of one job of a batch: its task id (and
// whether it was a duplicate), or why it was refused.
type BatchResult struct {
	TaskID    string `json:"task_id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	// Status is the HTTP status the job would have got alone: 202, 200
	// (duplicate), 400 (invalid, Field names the field) or 503.
	Status int    `json:"status"`
	Field  string `json:"field,omitempty"`
	Error  string `json:"error,omitempty"`
}

// BatchResponse answers POST /v1/messages:batch: one result per job, in
// order.
type BatchResponse struct {
	Results []BatchResult `json:"results"`
	// Accepted counts the jobs queued (202) by this request.
	Accepted int `json:"accepted"`
}

// postBatch queues up to MaxBatchJobs jobs in one request and one Redis
// round trip. Each job is decoded and validated on its own: an invalid
// job is answered in its result and does not stop the others. The request
// is 200 whenever it was understood; each result carries its own status.
// A job of an app the token may not act on makes the whole request a 403,
// and the app's rate limit (limits.jobs_per_second) counts every job.
func (s *Server) postBatch(w http.ResponseWriter, r *http.Request) {
	var req BatchRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	switch {
	case len(req.Jobs) == 0:
		writeError(w, badRequest("jobs", "at least one job is required"))
		return
	case len(req.Jobs) > MaxBatchJobs:
		writeError(w, badRequest("jobs", "%d jobs; at most %d per request", len(req.Jobs), MaxBatchJobs))
		return
	}
	res := make([]BatchResult, len(req.Jobs))
	var jobs []*dispatcher.Job
	var enc []dispatcher.EncodedJob
	var at []int
	now := s.Now()
	for i, raw := range req.Jobs {
		job, err := dispatcher.DecodeJob(raw, now)
		if err != nil {
			res[i] = invalidResult(err)
			continue
		}
		// Authorization is all or nothing: a batch naming an app the
		// token may not act on queues none of its jobs.
		if s.denyApp(w, r, job.AppID) {
			return
		}
		jobs = append(jobs, job)
		enc = append(enc, dispatcher.Encoded(job, raw))
		at = append(at, i)
	}
	if err := s.admitJobs(jobs...); err != nil {
		writeError(w, err)
		return
	}
	out := BatchResponse{Results: res}
	if len(enc) > 0 {
		for k, e := range s.Intake.Enqueue(r.Context(), enc) {
			res[at[k]] = enqueuedResult(e)
			if res[at[k]].Status == http.StatusAccepted {
				out.Accepted++
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func invalidResult(err error) BatchResult {
	var fe *dispatcher.FieldError
	if errors.As(err, &fe) {
		return BatchResult{Status: http.StatusBadRequest, Field: fe.Field, Error: fe.Error()}
	}
	return BatchResult{Status: http.StatusBadRequest, Error: err.Error()}
}

func enqueuedResult(e dispatcher.Enqueued) BatchResult {
	switch {
	case errors.Is(e.Err, dispatcher.ErrQueueFull):
		return BatchResult{Status: http.StatusServiceUnavailable, Error: "the queue is full; retry later"}
	case e.Err != nil:
		return BatchResult{Status: http.StatusServiceUnavailable, Error: "the queue is unavailable; retry later"}
	case e.Duplicate:
		return BatchResult{TaskID: e.TaskID, Duplicate: true, Status: http.StatusOK}
	}
	return BatchResult{TaskID: e.TaskID, Status: http.StatusAccepted}
}
