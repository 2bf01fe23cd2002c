package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors/fake"
)

// badJob is a malformed job and the field its refusal must name.
type badJob struct {
	name, body, field string
}

// badJobs are the malformed jobs (wrong types, a 10 MB body,
// invalid UTF-8, an unknown vendor, a negative badge, an expired
// expire_at) and a few more, each one fault in an otherwise good job.
func badJobs(cert int64) []badJob {
	dev := fmt.Sprintf(`"devices":[{"cert_id":%d,"token":"%064x"}]`, cert, 1)
	job := func(id, rest string) string {
		return `{"app_id":"` + appID + `","msg_id":"` + id + `",` + rest + `}`
	}
	return []badJob{
		{"wrong type app_id", `{"app_id":7,"msg_id":"bad-1",` + dev + `}`, "app_id"},
		{"wrong type badge", job("bad-2", dev+`,"offline_push":{"desc":"x","badge":"three"}`), "offline_push.badge"},
		{"10 MB body", job("bad-3", dev+`,"offline_push":{"desc":"`+strings.Repeat("a", 10<<20)+`"}`), "body"},
		{"invalid UTF-8", job("bad-4", dev+`,"offline_push":{"desc":"caf`+"\xe9"+`"}`), "offline_push.desc"},
		{"unknown vendor", job("bad-5", fmt.Sprintf(`"devices":[{"cert_id":%d,"token":"%064x","vendor":"nokia"}]`, cert, 1)), "devices[0].vendor"},
		{"negative badge", job("bad-6", dev+`,"offline_push":{"desc":"x","badge":-1}`), "offline_push.badge"},
		{"expired expire_at", job("bad-7", dev+`,"offline_push":{"desc":"x"},"expire_at":"2020-01-01T00:00:00Z"`), "expire_at"},
		{"unparseable expire_at", job("bad-8", dev+`,"expire_at":"tomorrow"`), "expire_at"},
		{"unknown field", job("bad-9", dev+`,"colour":"red"`), "colour"},
		{"no targets", job("bad-10", `"offline_push":{"desc":"x"}`), "recipients"},
		{"not an object", `[1,2,3]`, "body"},
	}
}

// TestMalformedJobs sends every bad job over HTTP (each is answered 400
// naming the field) and straight into asynq (each is archived at once with
// a reason naming the field, except the expired one, which was valid when
// it was enqueued and is dropped with the rule "expired"). The worker keeps
// running: a good job afterwards is delivered.
func TestMalformedJobs(t *testing.T) {
	t.Parallel()
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{})
	n := e.start(e.config(db.URL), app.Options{})
	cert := e.addCert(n.client)
	cases := badJobs(cert)
	start := time.Now()
	answered := 0
	for _, c := range cases {
		err := n.client.DoRaw(context.Background(), http.MethodPost, "/v1/messages", strings.NewReader(c.body), nil)
		var se *api.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusBadRequest || se.Body.Field != c.field {
			t.Errorf("%s over HTTP: %v, want 400 naming %s", c.name, err, c.field)
		} else {
			answered++
		}
		_, err = n.app.Queue.Enqueue(asynq.NewTask(dispatcher.TypeMessage, []byte(c.body)), asynq.Queue(dispatcher.Queue),
			asynq.TaskID("bad:"+c.name), asynq.MaxRetry(5), asynq.Retention(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every bad task settled", 20*time.Second, func() bool {
		for _, c := range cases {
			info, err := n.app.Inspector.GetTaskInfo(dispatcher.Queue, "bad:"+c.name)
			if err != nil || (info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted) {
				return false
			}
		}
		return true
	})
	archivedN := 0
	for _, c := range cases {
		info, _ := n.app.Inspector.GetTaskInfo(dispatcher.Queue, "bad:"+c.name)
		switch {
		case c.name == "expired expire_at":
			if info.State != asynq.TaskStateCompleted {
				t.Errorf("the expired job is %s (%q), want dropped (completed)", info.State, info.LastErr)
			}
		case info.State != asynq.TaskStateArchived || info.Retried != 0 || !strings.Contains(info.LastErr, c.field):
			t.Errorf("%s in asynq: %s after %d retries with %q, want archived at once naming %s", c.name, info.State, info.Retried, info.LastErr, c.field)
		default:
			archivedN++
		}
	}
	if !droppedExpired(t, db.Client, "bad-7") {
		t.Error("no dropped event with the rule expired for the expired job")
	}
	good := tokens(0xb0, 1)[0]
	enqueueDirect(t, db.URL, []*dispatcher.Job{deviceJob("after-bad", cert, good)})
	waitFor(t, "a good job after the bad ones delivered", 10*time.Second, func() bool {
		return okByToken(e.apns.Requests())[good] == 1
	})
	report(t, map[string]any{
		"malformed_jobs":          len(cases),
		"answered_400_with_field": answered,
		"archived_with_field":     archivedN,
		"expired_dropped":         1,
		"worker_alive_after":      true,
		"seconds":                 seconds(time.Since(start)),
	})
}

// droppedExpired reports whether the app's event stream holds a dropped
// event with the rule expired for msg.
func droppedExpired(t *testing.T, rdb *redis.Client, msg string) bool {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), dispatcher.StreamKey("pushd:", appID), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		ev, ok := dispatcher.DecodeEvent(appID, m.ID, m.Values)
		if ok && ev.MsgID == msg && ev.Type == dispatcher.EventDropped && ev.Rule == dispatcher.RuleExpired {
			return true
		}
	}
	return false
}

// memIntake is an in-memory job intake that refuses a repeated msg_id.
type memIntake struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (q *memIntake) Enqueue(_ context.Context, jobs []dispatcher.EncodedJob) []dispatcher.Enqueued {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]dispatcher.Enqueued, len(jobs))
	for i, j := range jobs {
		id := dispatcher.TaskID(j.AppID, j.MsgID)
		out[i] = dispatcher.Enqueued{TaskID: id, Duplicate: q.ids[id]}
		q.ids[id] = true
	}
	return out
}

// FuzzMessagesAPI feeds arbitrary bodies to POST /v1/messages: the API
// answers 202 (queued), 200 (already queued) or 400 naming a field, never
// 500, and never panics.
func FuzzMessagesAPI(f *testing.F) {
	for _, c := range badJobs(1) {
		if len(c.body) < 1<<16 {
			f.Add([]byte(c.body))
		}
	}
	f.Add([]byte(`{"app_id":"1400000001","msg_id":"ok-1","recipients":["vinson"],"elems":[{"type":"text","text":"hi"}]}`))
	f.Add([]byte(`{"app_id":"1400000001","msg_id":"ok-2","devices":[{"cert_id":1,"token":"t"}],"offline_push":{"desc":"x","ext":"{}"}}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"app_id":"1","msg_id":"m","recipients":["u"]} {"x":1}`))
	srv := api.New(api.Deps{Intake: &memIntake{ids: map[string]bool{}}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(body))
		req.Host = "127.0.0.1:8080" // open mode refuses a foreign Host
		srv.ServeHTTP(rec, req)
		var out struct {
			TaskID string `json:"task_id"`
			Error  string `json:"error"`
			Field  string `json:"field"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer %d is not JSON: %q", rec.Code, rec.Body.String())
		}
		switch rec.Code {
		case http.StatusAccepted, http.StatusOK:
			if !strings.HasPrefix(out.TaskID, "msg:") {
				t.Fatalf("answer %d without a task id: %s", rec.Code, rec.Body.String())
			}
		case http.StatusBadRequest:
			if out.Field == "" || out.Error == "" {
				t.Fatalf("400 without the field at fault: %s", rec.Body.String())
			}
		default:
			t.Fatalf("answer %d to %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}
