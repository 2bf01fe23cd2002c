package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// harness is a whole pushd (worker + API) on a real Redis, with every
// vendor pointed at loopback fakes.
type harness struct {
	t      *testing.T
	app    *App
	client *api.Client
	apns   *fake.APNs
	fcm    *fake.FCM
	logs   *syncBuffer
}

// syncBuffer collects log output for the secret scan.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testConfig(t *testing.T, db *testredis.DB) *configs.Config {
	t.Helper()
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
	cfg.Redis.URL = db.URL
	cfg.Listen = "127.0.0.1:0"
	cfg.Worker.RetryBase = 100 * time.Millisecond
	cfg.Worker.RetryMax = 400 * time.Millisecond
	cfg.Worker.ShutdownTimeout = 2 * time.Second
	cfg.Worker.CertCacheTTL = 100 * time.Millisecond
	return cfg
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db := testredis.New(t)
	h := &harness{t: t, apns: fake.NewAPNs(fake.APNsOptions{}), fcm: fake.NewFCM(fake.FCMOptions{}), logs: &syncBuffer{}}
	t.Cleanup(h.apns.Close)
	t.Cleanup(h.fcm.Close)
	cfg := testConfig(t, db)
	cfg.Vendors = map[string]configs.VendorEndpoint{
		"apns": {Endpoint: h.apns.URL()},
		"fcm":  {Endpoint: h.fcm.URL()},
	}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, Options{Log: log, Clients: map[vendors.Vendor]*http.Client{
		vendors.APNs: h.apns.Client(), vendors.FCM: h.fcm.Client(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	h.app = a
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		a.Close()
	})
	h.client = api.NewClient("http://"+<-addr, "")
	return h
}

// addAPNs uploads a token-auth APNs certificate trusted by the fake.
func (h *harness) addAPNs(app, bundle string) int64 {
	h.t.Helper()
	p8, err := testcreds.NewP8()
	if err != nil {
		h.t.Fatal(err)
	}
	h.apns.AddKey("KEY0000001", "TEAM000001", &p8.Key.PublicKey)
	h.apns.AddTopic(bundle)
	return h.addCert(api.CertRequest{AppID: app, Vendor: "apns",
		Fields:  map[string]string{"bundle_id": bundle, "env": "development", "key_id": "KEY0000001", "team_id": "TEAM000001"},
		Secrets: map[string]string{"p8": base64.StdEncoding.EncodeToString(p8.PEM)}})
}

// addFCM uploads a service account the fake FCM knows.
func (h *harness) addFCM(app, project string) int64 {
	h.t.Helper()
	sa, err := h.fcm.NewServiceAccount(project)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.addCert(api.CertRequest{AppID: app, Vendor: "fcm",
		Secrets: map[string]string{"service_account": base64.StdEncoding.EncodeToString(sa.JSON)}})
}

func (h *harness) addCert(req api.CertRequest) int64 {
	h.t.Helper()
	var info certs.Info
	if err := h.client.Do(context.Background(), http.MethodPost, "/v1/certs", req, &info); err != nil {
		h.t.Fatalf("add %s certificate: %v", req.Vendor, err)
	}
	return info.ID
}

func (h *harness) enqueue(job any) api.EnqueueResponse {
	h.t.Helper()
	var res api.EnqueueResponse
	if err := h.client.Do(context.Background(), http.MethodPost, "/v1/messages", job, &res); err != nil {
		h.t.Fatalf("enqueue: %v", err)
	}
	return res
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", d, what)
}

const (
	tokA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	tokB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	tokF = "fcm-token-0001:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ-hQMRKRrZuJAEcl7B338qju59zJMjw2DeLuzEBqR"
)

// okPerToken counts the 200 answers each token got.
func okPerToken(reqs []fake.Recorded) map[string]int {
	m := map[string]int{}
	for _, r := range reqs {
		if r.Status == http.StatusOK {
			for _, t := range r.Tokens {
				m[t]++
			}
		}
	}
	return m
}

func TestEndToEndAPNsAndFCM(t *testing.T) {
	h := newHarness(t)
	apnsCert := h.addAPNs("1400000001", "com.example.chat")
	fcmCert := h.addFCM("1400000001", "pushd-e2e")

	// Device B answers 503 twice, then 200.
	h.apns.FailTokenTimes(tokB, 2, fake.Failure{Status: 503, Code: "ServiceUnavailable"})
	job := map[string]any{
		"app_id": "1400000001", "msg_id": "e2e-1",
		"sender": map[string]any{"user_id": "denny", "nickname": "Denny"},
		"devices": []map[string]any{
			{"cert_id": apnsCert, "token": tokA}, {"cert_id": apnsCert, "token": tokB}, {"cert_id": fcmCert, "token": tokF},
		},
		"offline_push": map[string]any{"title": "Hiking", "desc": "Denny: See you at 8", "ext": `{"conv":"c2c_denny"}`, "badge": 3},
	}
	res := h.enqueue(job)
	if res.TaskID != "msg:1400000001:e2e-1" || res.Duplicate {
		t.Fatalf("enqueue answer %+v", res)
	}
	if again := h.enqueue(job); !again.Duplicate || again.TaskID != res.TaskID {
		t.Fatalf("second enqueue of the same msg_id: %+v", again)
	}
	waitFor(t, "every device delivered", 15*time.Second, func() bool {
		ok := okPerToken(append(h.apns.Requests(), h.fcm.Requests()...))
		return ok[tokA] == 1 && ok[tokB] == 1 && ok[tokF] == 1
	})
	time.Sleep(600 * time.Millisecond) // a late duplicate would show up here
	apnsReqs := h.apns.Requests()
	perToken := map[string]int{}
	for _, r := range apnsReqs {
		perToken[r.Tokens[0]]++
	}
	if perToken[tokA] != 1 || perToken[tokB] != 3 {
		t.Fatalf("APNs requests per token = %v; want A once, B 503, 503, 200", perToken)
	}
	if ok := okPerToken(append(apnsReqs, h.fcm.Requests()...)); ok[tokA] != 1 || ok[tokB] != 1 || ok[tokF] != 1 {
		t.Fatalf("deliveries per token = %v, want exactly one each", ok)
	}
	var aps struct {
		Aps struct {
			Alert struct{ Title, Body string }
			Badge int
			Sound string
		}
		Ext string
	}
	r := apnsReqs[0]
	if err := json.Unmarshal(r.Body, &aps); err != nil {
		t.Fatal(err)
	}
	if aps.Aps.Alert.Title != "Hiking" || aps.Aps.Alert.Body != "Denny: See you at 8" || aps.Aps.Badge != 3 ||
		aps.Ext != `{"conv":"c2c_denny"}` || r.Header.Get("apns-topic") != "com.example.chat" ||
		r.Header.Get("apns-collapse-id") == "" {
		t.Fatalf("APNs request: headers %v body %s", r.Header, r.Body)
	}
	fr := h.fcm.Requests()
	var fm struct {
		Message struct {
			Token        string
			Notification struct{ Title, Body string }
			Data         map[string]string
		}
	}
	if err := json.Unmarshal(fr[len(fr)-1].Body, &fm); err != nil {
		t.Fatal(err)
	}
	if fm.Message.Token != tokF || fm.Message.Notification.Body != "Denny: See you at 8" || fm.Message.Data["ext"] != `{"conv":"c2c_denny"}` {
		t.Fatalf("FCM request: %s", fr[len(fr)-1].Body)
	}
	assertNoSecrets(t, h.logs.String(), tokA, tokB, tokF)
}

func TestUndecodableJobIsArchivedWithReason(t *testing.T) {
	h := newHarness(t)
	_, err := h.app.Queue.Enqueue(asynq.NewTask(dispatcher.TypeMessage, []byte(`{"app_id": 7, "msg_id": "m"}`)),
		asynq.Queue(dispatcher.Queue), asynq.TaskID("broken-1"))
	if err != nil {
		t.Fatal(err)
	}
	var info *asynq.TaskInfo
	waitFor(t, "the broken task archived", 10*time.Second, func() bool {
		info, err = h.app.Inspector.GetTaskInfo(dispatcher.Queue, "broken-1")
		return err == nil && info.State == asynq.TaskStateArchived
	})
	if !strings.Contains(info.LastErr, "invalid job") || !strings.Contains(info.LastErr, "app_id") || info.Retried != 0 {
		t.Fatalf("archived with %q after %d retries", info.LastErr, info.Retried)
	}
	// The worker keeps running: a good job after it is delivered.
	cert := h.addAPNs("1400000001", "com.example.chat")
	h.enqueue(map[string]any{"app_id": "1400000001", "msg_id": "after-broken",
		"devices":      []map[string]any{{"cert_id": cert, "token": tokA}},
		"offline_push": map[string]any{"desc": "still alive"}})
	waitFor(t, "the next job delivered", 10*time.Second, func() bool { return okPerToken(h.apns.Requests())[tokA] == 1 })
}

func TestBadJobAnswered400NamingTheField(t *testing.T) {
	h := newHarness(t)
	err := h.client.DoRaw(context.Background(), http.MethodPost, "/v1/messages",
		strings.NewReader(`{"app_id":"1","msg_id":"m","devices":[{"cert_id":0,"token":"t"}]}`), nil)
	se, ok := err.(*api.StatusError)
	if !ok || se.Status != 400 || se.Body.Field != "devices[0].cert_id" {
		t.Fatalf("got %v", err)
	}
}

// assertNoSecrets fails if a full device token (or other secret) appears in
// the captured logs.
func assertNoSecrets(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain a secret or full device token %.12s…", s)
		}
	}
}
