package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/dispatcher"
)

func (s *Server) jobRoutes() []route {
	if s.Inspector == nil {
		return nil
	}
	return []route{
		{pattern: "GET /v1/jobs/failed", role: RoleAdmin, h: s.failedJobs},
		{pattern: "POST /v1/jobs/replay", role: RoleAdmin, json: true, h: s.replayJobs},
		{pattern: "GET /v1/apps/{app}/events", role: RoleAdmin, h: s.pathApp(s.events)},
	}
}

// FailedJob is an archived task: a job that could not be decoded, or
// devices that exhausted their retries.
type FailedJob struct {
	TaskID     string    `json:"task_id"`
	Type       string    `json:"type"`
	AppID      string    `json:"app_id,omitempty"`
	MsgID      string    `json:"msg_id,omitempty"`
	Devices    int       `json:"devices,omitempty"`
	Reason     string    `json:"reason"`
	Retried    int       `json:"retried"`
	ArchivedAt time.Time `json:"archived_at"`
}

func failedJob(t *asynq.TaskInfo) FailedJob {
	f := FailedJob{TaskID: t.ID, Type: t.Type, Reason: t.LastErr, Retried: t.Retried, ArchivedAt: t.LastFailedAt}
	var head struct {
		AppID      string            `json:"app_id"`
		MsgID      string            `json:"msg_id"`
		Devices    []json.RawMessage `json:"devices"`
		Deliveries []json.RawMessage `json:"deliveries"`
	}
	if json.Unmarshal(t.Payload, &head) == nil {
		f.AppID, f.MsgID, f.Devices = head.AppID, head.MsgID, len(head.Devices)+len(head.Deliveries)
	}
	return f
}

// archived lists every archived task of the queue, of one app when app is
// set, and only of the apps r's token serves.
func (s *Server) archived(r *http.Request, app string) ([]FailedJob, error) {
	var out []FailedJob
	for page := 1; ; page++ {
		ts, err := s.Inspector.ListArchivedTasks(dispatcher.Queue, asynq.PageSize(500), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if f := failedJob(t); (app == "" || f.AppID == app) && s.allowApp(r, f.AppID) {
				out = append(out, f)
			}
		}
		if len(ts) < 500 {
			return out, nil
		}
	}
}

func (s *Server) failedJobs(w http.ResponseWriter, r *http.Request) {
	app := r.URL.Query().Get("app")
	if app != "" && s.denyApp(w, r, app) {
		return
	}
	jobs, err := s.archived(r, app)
	if err != nil {
		writeError(w, err)
		return
	}
	if jobs == nil {
		jobs = []FailedJob{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": jobs})
}

// ReplayRequest is the body of POST /v1/jobs/replay: one task id, or all
// archived tasks (of one app when AppID is set).
type ReplayRequest struct {
	TaskID string `json:"task_id,omitempty"`
	All    bool   `json:"all,omitempty"`
	AppID  string `json:"app_id,omitempty"`
}

func (s *Server) replayJobs(w http.ResponseWriter, r *http.Request) {
	var req ReplayRequest
	if err := decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if (req.TaskID == "") == !req.All {
		writeError(w, badRequest("task_id", "give a task_id or all=true"))
		return
	}
	if req.AppID != "" && s.denyApp(w, r, req.AppID) {
		return
	}
	if req.TaskID != "" && !s.replayable(w, r, req.TaskID) {
		return
	}
	ids := []string{req.TaskID}
	if req.All {
		jobs, err := s.archived(r, req.AppID)
		if err != nil {
			writeError(w, err)
			return
		}
		ids = ids[:0]
		for _, j := range jobs {
			ids = append(ids, j.TaskID)
		}
	}
	replayed := 0
	for _, id := range ids {
		err := s.Inspector.RunTask(dispatcher.Queue, id)
		if errors.Is(err, asynq.ErrTaskNotFound) && !req.All {
			writeError(w, notFound("no archived task %q", id))
			return
		}
		if err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			writeError(w, err)
			return
		}
		if err == nil {
			replayed++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"replayed": replayed})
}

// replayable checks that the token may replay task id: the task must be of
// one of its apps (403), and exist (404). It answers the error itself.
func (s *Server) replayable(w http.ResponseWriter, r *http.Request, id string) bool {
	t, err := s.Inspector.GetTaskInfo(dispatcher.Queue, id)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		writeError(w, notFound("no archived task %q", id))
		return false
	case err != nil:
		writeError(w, err)
		return false
	}
	if principalOf(r).AllApps() {
		return true
	}
	return !s.denyApp(w, r, failedJob(t).AppID)
}

// events streams an app's delivery events as JSON lines. ?since=<stream id>
// starts after that entry ("0" for the whole retained stream, default: only
// new ones); ?follow=false returns what is there and stops.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app")
	key := dispatcher.StreamKey("pushd:", app)
	follow := r.URL.Query().Get("follow") != "false"
	last := r.URL.Query().Get("since")
	switch {
	case last == "" && follow:
		last = "$"
	case last == "":
		last = "0"
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	// The stream outlives the server's WriteTimeout: lift it for this
	// response only (each write still fails on a dead connection).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	sent := 0
	for {
		block := time.Duration(-1)
		if follow {
			block = 5 * time.Second
		}
		res, err := s.Redis.XRead(r.Context(), &redis.XReadArgs{Streams: []string{key, last}, Count: 500, Block: block}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return
		}
		for _, st := range res {
			for _, m := range st.Messages {
				last = m.ID
				if ev, ok := dispatcher.DecodeEvent(app, m.ID, m.Values); ok {
					b, _ := json.Marshal(ev)
					w.Write(append(b, '\n'))
					sent++
				}
				if limit > 0 && sent >= limit {
					return
				}
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
		if !follow && len(res) == 0 {
			return
		}
		if r.Context().Err() != nil {
			return
		}
	}
}
