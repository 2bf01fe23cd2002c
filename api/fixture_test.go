package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/xiaomi"
)

// The two apps of the tenancy tests.
const (
	appA = "1400000001"
	appB = "1400000002"
)

// fixture is a whole API on a real Redis: certificate and device stores,
// the asynq queue and inspector, a vendor pool (Xiaomi, for dry-run test
// pushes), metrics and asynqmon.
type fixture struct {
	t      *testing.T
	db     *testredis.DB
	srv    *Server
	certs  *certs.Store
	devs   *devices.Store
	queue  *asynq.Client
	insp   *asynq.Inspector
	logs   *bytes.Buffer
	serial atomic.Int64
}

// newFixture builds the API with deps adjusted by tune (nil for none).
func newFixture(t *testing.T, tokens []configs.Token, tune func(*Deps)) *fixture {
	t.Helper()
	db := testredis.New(t)
	key := make([]byte, 32)
	rand.Read(key)
	cs, err := certs.NewStore(db.Client, key)
	if err != nil {
		t.Fatal(err)
	}
	opt := asynq.RedisClientOpt{Addr: db.Addr, DB: db.Num}
	q, insp := asynq.NewClient(opt), asynq.NewInspector(opt)
	t.Cleanup(func() { q.Close(); insp.Close() })
	reg := vendors.NewRegistry()
	reg.Register(vendors.Xiaomi, xiaomi.New, vendors.Endpoint{})
	pool := dispatcher.NewPool(cs, reg, time.Second)
	pool.IsNotFound = func(err error) bool { return errors.Is(err, certs.ErrNotFound) }
	f := &fixture{t: t, db: db, certs: cs, devs: devices.New(db.Client, devices.Options{}), queue: q, insp: insp, logs: &bytes.Buffer{}}
	intake := dispatcher.NewIntake(dispatcher.NewJobStream(db.Client, time.Minute), dispatcher.IntakeConfig{})
	t.Cleanup(intake.Close)
	d := Deps{
		Intake: intake,
		Queue:  q, Certs: cs, Devices: f.devs, Pool: pool, Redis: db.Client, Inspector: insp,
		Gatherer: prometheus.NewRegistry(), Tokens: tokens, Retention: time.Minute,
		Config: map[string]any{"listen": "127.0.0.1:8080"}, Listen: "127.0.0.1:8080",
		Monitoring: asynqmon.New(asynqmon.Options{RootPath: "/monitoring", RedisConnOpt: opt}),
		Log:        slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tune != nil {
		tune(&d)
	}
	f.srv = New(d)
	return f
}

// next returns a number unique within the fixture, for msg ids and users.
func (f *fixture) next() int64 { return f.serial.Add(1) }

// addCert uploads a Xiaomi certificate of app straight to the store.
func (f *fixture) addCert(app string) int64 {
	f.t.Helper()
	in, err := f.certs.Add(context.Background(), certs.Upload{AppID: app, Vendor: vendors.Xiaomi,
		Fields: map[string]string{"package": "com.example.chat"}, Secrets: map[string][]byte{"app_secret": []byte("xm-secret-0123456789")}})
	if err != nil {
		f.t.Fatal(err)
	}
	return in.ID
}

// bind binds a device of user under cert straight in the store.
func (f *fixture) bind(app, user string, cert int64, token string) {
	f.t.Helper()
	if err := f.devs.Bind(context.Background(), devices.Binding{AppID: app, UserID: user, CertID: cert, Token: token}); err != nil {
		f.t.Fatal(err)
	}
}

// archivedTask queues a push:message task of app and archives it, as the
// worker does with a job that failed for good; it returns the task id.
func (f *fixture) archivedTask(app string) string {
	f.t.Helper()
	msg := fmt.Sprintf("m-%d", f.next())
	payload, _ := json.Marshal(map[string]any{"app_id": app, "msg_id": msg, "recipients": []string{"u"}})
	id := dispatcher.TaskID(app, msg)
	if _, err := f.queue.Enqueue(asynq.NewTask(dispatcher.TypeMessage, payload), asynq.TaskID(id), asynq.Queue(dispatcher.Queue)); err != nil {
		f.t.Fatal(err)
	}
	if err := f.insp.ArchiveTask(dispatcher.Queue, id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// request builds a request; body, when not nil, is sent as JSON.
func request(method, path, token string, body any) *http.Request {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Host = "127.0.0.1:8080"
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// do serves r and returns the recorded answer.
func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, r)
	return rec
}

// xiaomiCertBody is a certificate upload of app through the API.
func xiaomiCertBody(app, secret string) CertRequest {
	return CertRequest{AppID: app, Vendor: "xiaomi", Fields: map[string]string{"package": "com.example.chat"},
		Secrets: map[string]string{"app_secret": base64.StdEncoding.EncodeToString([]byte(secret))}}
}

// jobBody is a one-recipient text job of app.
func jobBody(app, msg string) map[string]any {
	return map[string]any{"app_id": app, "msg_id": msg, "recipients": []string{"vinson"},
		"elems": []map[string]string{{"type": "text", "text": "hi"}}}
}
