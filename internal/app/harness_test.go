package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/harmony"
)

// harness is a whole pushd (worker + API) on a real Redis, with every
// vendor pointed at a loopback fake through the configuration
// (vendors.<name>.endpoint and auth_endpoint) and the fakes' TLS clients.
// The fakes trust only the credentials the harness registers with them.
type harness struct {
	t      testing.TB
	app    *App
	client *api.Client
	base   string
	sb     *fake.Sandbox
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

func testConfig(t testing.TB, db *testredis.DB) *configs.Config {
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

// setup is what a test may change before the harness starts pushd.
type setup struct {
	cfg  *configs.Config
	opts Options
	// level is the level of the captured log (debug by default).
	level slog.Level
}

// newHarness starts pushd on a leased Redis database; tune, when given,
// adjusts the configuration and options first.
func newHarness(t testing.TB, tune ...func(*setup)) *harness {
	t.Helper()
	db := testredis.New(t)
	sb := fake.StartSandbox()
	t.Cleanup(sb.Close)
	h := &harness{t: t, sb: sb, apns: sb.APNs, fcm: sb.FCM, logs: &syncBuffer{}}
	st := &setup{cfg: testConfig(t, db), level: slog.LevelDebug, opts: Options{Clients: map[vendors.Vendor]*http.Client{}}}
	st.cfg.Vendors = map[string]configs.VendorEndpoint{}
	for _, v := range vendors.All() {
		ep := sb.Endpoint(v)
		st.cfg.Vendors[string(v)] = configs.VendorEndpoint{Endpoint: ep.URL, AuthEndpoint: ep.AuthURL}
		st.opts.Clients[v] = ep.Client
	}
	for _, f := range tune {
		f(st)
	}
	st.opts.Log = slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: st.level}))
	h.start(st.cfg, st.opts)
	return h
}

// start assembles and runs the app until the test ends.
func (h *harness) start(cfg *configs.Config, opts Options) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, opts)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	h.app = a
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
		a.Close()
	})
	select {
	case s := <-addr:
		h.base = "http://" + s
	case err := <-done:
		h.t.Fatalf("Run: %v", err)
	}
	h.client = api.NewClient(h.base, "")
}

// Test credentials of the Android vendors, registered with the fakes by
// addVendor.
const (
	testApp       = "1400000001"
	testBundle    = "com.example.chat"
	testPackage   = "com.example.chat"
	testBadge     = "com.example.chat.MainActivity"
	xmSecret      = "xm-e2e-secret-0123456789"
	hwAppID       = "104000001"
	hwSecret      = "hw-e2e-secret-0123456789"
	hnAppID       = "104000002"
	hnClientID    = "honor-e2e-client"
	hnSecret      = "honor-e2e-secret-0123456789"
	oppoKey       = "oppo-e2e-key"
	oppoSecret    = "oppo-e2e-master"
	oppoChannel   = "im"
	vivoAppID     = "10004"
	vivoKey       = "vivo-e2e-key"
	vivoSecret    = "vivo-e2e-secret"
	meizuAppID    = "100999"
	meizuSecret   = "meizu-e2e-secret"
	testFCMProjID = "pushd-e2e"
)

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

// addVendor registers the test credentials of v with its fake and uploads
// them as a certificate of app. Huawei and Honor get a badge class.
func (h *harness) addVendor(app string, v vendors.Vendor) int64 {
	h.t.Helper()
	up := func(fields, secrets map[string]string) int64 {
		for k, s := range secrets {
			secrets[k] = base64.StdEncoding.EncodeToString([]byte(s))
		}
		return h.addCert(api.CertRequest{AppID: app, Vendor: string(v), Fields: fields, Secrets: secrets})
	}
	sb := h.sb
	switch v {
	case vendors.APNs:
		return h.addAPNs(app, testBundle)
	case vendors.FCM:
		return h.addFCM(app, testFCMProjID)
	case vendors.Xiaomi:
		sb.Xiaomi.AddApp(testPackage, xmSecret)
		return up(map[string]string{"package": testPackage}, map[string]string{"app_secret": xmSecret})
	case vendors.Huawei:
		sb.Huawei.AddApp(hwAppID, hwSecret)
		return up(map[string]string{"app_id": hwAppID, "badge_class": testBadge}, map[string]string{"app_secret": hwSecret})
	case vendors.Honor:
		sb.Honor.AddApp(hnAppID, hnClientID, hnSecret)
		return up(map[string]string{"app_id": hnAppID, "client_id": hnClientID, "badge_class": testBadge},
			map[string]string{"client_secret": hnSecret})
	case vendors.OPPO:
		sb.OPPO.AddApp(oppoKey, oppoSecret, oppoChannel)
		return up(map[string]string{"app_key": oppoKey, "channel_id": oppoChannel}, map[string]string{"master_secret": oppoSecret})
	case vendors.Vivo:
		sb.Vivo.AddApp(vivoAppID, vivoKey, vivoSecret)
		return up(map[string]string{"app_id": vivoAppID, "app_key": vivoKey}, map[string]string{"app_secret": vivoSecret})
	case vendors.Meizu:
		sb.Meizu.AddApp(meizuAppID, meizuSecret)
		return up(map[string]string{"app_id": meizuAppID, "package": testPackage}, map[string]string{"app_secret": meizuSecret})
	case harmony.Harmony:
		return h.addHarmony(app)
	}
	h.t.Fatalf("no test credentials for %s", v)
	return 0
}

// deviceToken returns the i-th valid-looking device token of v.
func deviceToken(v vendors.Vendor, i int) string {
	switch v {
	case vendors.APNs:
		return fmt.Sprintf("%064x", i+1)
	case vendors.FCM:
		return fmt.Sprintf("fcm-%06d:APA91bE2eToken", i)
	case vendors.OPPO:
		return fake.OPPOToken(i)
	case vendors.Vivo:
		return fake.VivoToken(i)
	case vendors.Meizu:
		return fake.MeizuToken(i)
	}
	return fmt.Sprintf("%s%08d", v, i)
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

// do calls the API and fails the test on an error answer.
func (h *harness) do(method, path string, body, out any) {
	h.t.Helper()
	if err := h.client.Do(context.Background(), method, path, body, out); err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
}

func devicePath(app, user string, cert int64, token string) string {
	return fmt.Sprintf("/v1/apps/%s/users/%s/devices/%d/%s", app, user, cert, url.PathEscape(token))
}

// bind reports a device through the API, as a client does after login.
func (h *harness) bind(app, user string, cert int64, token, platform string) {
	h.t.Helper()
	h.do(http.MethodPut, devicePath(app, user, cert, token), api.BindRequest{Platform: platform}, nil)
}

// background reports that the app went to the background with unread
// messages.
func (h *harness) background(app, user string, cert int64, token string, unread int) {
	h.t.Helper()
	h.do(http.MethodPost, devicePath(app, user, cert, token)+"/background", api.BackgroundRequest{Unread: unread}, nil)
}

func (h *harness) foreground(app, user string, cert int64, token string) {
	h.t.Helper()
	h.do(http.MethodPost, devicePath(app, user, cert, token)+"/foreground", nil, nil)
}

// listDevices returns the user's bindings as GET …/devices shows them.
func (h *harness) listDevices(app, user string) []api.DeviceView {
	h.t.Helper()
	var out struct{ Devices []api.DeviceView }
	h.do(http.MethodGet, fmt.Sprintf("/v1/apps/%s/users/%s/devices", app, user), nil, &out)
	return out.Devices
}

// bindMany binds one device of cert per user straight in the store, on a
// few goroutines: the setup of the batch tests, not what they test.
func (h *harness) bindMany(app string, cert int64, users, tokens []string) {
	h.t.Helper()
	const workers = 8
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for i := w; i < len(users) && err == nil; i += workers {
				err = h.app.Devices.Bind(context.Background(), devices.Binding{AppID: app, UserID: users[i], CertID: cert, Token: tokens[i]})
			}
			errs <- err
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			h.t.Fatal(err)
		}
	}
}

// events reads the app's whole event stream through
// GET /v1/apps/{app}/events?follow=false&since=0.
func (h *harness) events(app string) []dispatcher.Event {
	h.t.Helper()
	resp, err := h.client.HTTP.Get(h.base + "/v1/apps/" + app + "/events?follow=false&since=0")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("events: HTTP %d", resp.StatusCode)
	}
	var out []dispatcher.Event
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var ev dispatcher.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			h.t.Fatalf("event %q: %v", sc.Bytes(), err)
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// eventsOf returns the events of one message.
func (h *harness) eventsOf(app, msg string) []dispatcher.Event {
	h.t.Helper()
	var out []dispatcher.Event
	for _, ev := range h.events(app) {
		if ev.MsgID == msg {
			out = append(out, ev)
		}
	}
	return out
}

// waitDone waits until the job of msg is done: the job stream has nothing
// waiting or in flight, and no asynq push:message task of msg (a job handed
// to the slow path) is still to run. It returns the message's events.
func (h *harness) waitDone(app, msg string, d time.Duration) []dispatcher.Event {
	h.t.Helper()
	id := dispatcher.TaskID(app, msg)
	var last string
	waitFor(h.t, "job "+id+" done", d, func() bool {
		waiting, inFlight, err := h.app.Stream.Depth(context.Background())
		if err != nil || waiting+inFlight > 0 {
			last = fmt.Sprintf("stream: %d waiting, %d in flight, %v", waiting, inFlight, err)
			return false
		}
		info, err := h.app.Inspector.GetTaskInfo(dispatcher.Queue, id)
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			return true
		}
		if err != nil {
			last = err.Error()
			return false
		}
		last = info.State.String() + " " + info.LastErr
		return info.State == asynq.TaskStateCompleted
	}, &last)
	return h.eventsOf(app, msg)
}

// noRetryScheduled fails the test if a push:retry task exists for msg,
// whatever its certificate and state.
func (h *harness) noRetryScheduled(app, msg string) {
	h.t.Helper()
	in := h.app.Inspector
	prefix := "retry:" + app + ":" + msg + ":"
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		in.ListPendingTasks, in.ListActiveTasks, in.ListScheduledTasks, in.ListRetryTasks,
		in.ListArchivedTasks, in.ListCompletedTasks,
	} {
		tasks, err := list(dispatcher.Queue)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			h.t.Fatal(err)
		}
		for _, ti := range tasks {
			if strings.HasPrefix(ti.ID, prefix) {
				h.t.Fatalf("a retry of %s exists: %s (%s)", msg, ti.ID, ti.State)
			}
		}
	}
}

// waitFor polls cond until it holds or the deadline passes; state, when
// given, is reported on timeout.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool, state ...*string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(state) > 0 {
		t.Fatalf("timed out after %s waiting for %s (last: %s)", d, what, *state[0])
	}
	t.Fatalf("timed out after %s waiting for %s", d, what)
}

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

// onPath returns the requests to path.
func onPath(reqs []fake.Recorded, path string) []fake.Recorded {
	var out []fake.Recorded
	for _, r := range reqs {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// countEvents counts events by type (and rule, for drops: "dropped:rule").
func countEvents(evs []dispatcher.Event) map[string]int {
	m := map[string]int{}
	for _, ev := range evs {
		k := ev.Type
		if ev.Rule != "" {
			k += ":" + ev.Rule
		}
		m[k]++
	}
	return m
}

// decodeJSON unmarshals b into v or fails the test.
func decodeJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// assertNoSecrets fails if a full device token (or other secret) appears in
// the captured logs.
func assertNoSecrets(t testing.TB, logs string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain a secret or full device token %.12s…", s)
		}
	}
}
