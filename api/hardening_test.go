package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
)

// Open mode (no tokens) refuses what a web page could send to the loopback
// API, /monitoring included, and serves the same requests from the
// server's own origin.
func TestOpenModeRefusesBrowsers(t *testing.T) {
	f := newFixture(t, nil, nil)
	job := func() map[string]any { return jobBody(appA, fmt.Sprintf("m-%d", f.next())) }
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		header map[string]string
		host   string
		want   int
	}{
		{"own origin", "POST", "/v1/messages", job(), map[string]string{"Origin": "http://127.0.0.1:8080"}, "", 202},
		{"foreign origin", "POST", "/v1/messages", job(), map[string]string{"Origin": "https://evil.example"}, "", 403},
		{"null origin", "POST", "/v1/messages", job(), map[string]string{"Origin": "null"}, "", 403},
		{"origin on another port", "POST", "/v1/messages", job(), map[string]string{"Origin": "http://127.0.0.1:9999"}, "", 403},
		{"cross-site fetch", "POST", "/v1/messages", job(), map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 403},
		{"same-origin fetch", "POST", "/v1/messages", job(), map[string]string{"Sec-Fetch-Site": "same-origin"}, "", 202},
		{"text/plain", "POST", "/v1/messages", job(), map[string]string{"Content-Type": "text/plain"}, "", 415},
		{"form", "POST", "/v1/messages", job(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "", 415},
		{"multipart", "PUT", "/v1/apps/" + appA + "/users/u/settings", map[string]any{}, map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, "", 415},
		{"json with charset", "POST", "/v1/messages", job(), map[string]string{"Content-Type": "application/json; charset=utf-8"}, "", 202},
		{"rebinding host", "POST", "/v1/messages", job(), nil, "evil.example:8080", 421},
		{"rebinding host without port", "GET", "/v1/config", nil, nil, "evil.example", 421},
		{"loopback on another port", "GET", "/v1/config", nil, nil, "127.0.0.1:9999", 421},
		{"localhost", "GET", "/v1/config", nil, nil, "localhost:8080", 200},
		{"ipv6 loopback", "GET", "/v1/config", nil, nil, "[::1]:8080", 200},
		{"monitoring, rebinding host", "GET", "/monitoring/", nil, nil, "evil.example:8080", 421},
		{"monitoring, foreign origin", "POST", "/monitoring/api/queues/push:pause", nil, map[string]string{"Origin": "https://evil.example"}, "", 403},
		{"monitoring, own host", "GET", "/monitoring/", nil, nil, "", 200},
		{"healthz, rebinding host", "GET", "/healthz", nil, nil, "evil.example", 421},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := request(c.method, c.path, "", c.body)
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			if c.host != "" {
				r.Host = c.host
			}
			rec := f.do(r)
			if rec.Code != c.want {
				t.Fatalf("%d, want %d: %s", rec.Code, c.want, rec.Body.String())
			}
		})
	}
}

// With tokens, Host and Origin are not judged: a browser cannot attach the
// bearer token, and a proxy may use any name.
func TestTokenModeServesAnyHost(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	r := request("POST", "/v1/messages", matrixTokens[1].token, jobBody(appA, "m-host"))
	r.Host = "push.internal.example"
	r.Header.Set("Origin", "https://console.example")
	if rec := f.do(r); rec.Code != 202 {
		t.Fatalf("%d: %s", rec.Code, rec.Body.String())
	}
}

// The CLI's own client (api.Client) passes the open-mode checks over real
// HTTP.
func TestClientPassesOpenModeChecks(t *testing.T) {
	var srv *Server
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { srv.ServeHTTP(w, r) }))
	addr := ts.Listener.Addr().String()
	f := newFixture(t, nil, func(d *Deps) { d.Listen = addr })
	srv = f.srv
	ts.Start()
	defer ts.Close()
	for _, base := range []string{"http://" + addr, "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:]} {
		c := NewClient(base, "")
		var out EnqueueResponse
		if err := c.Do(context.Background(), http.MethodPost, "/v1/messages", jobBody(appA, fmt.Sprintf("cli-%d", f.next())), &out); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		var cfg map[string]any
		if err := c.Do(context.Background(), http.MethodGet, "/v1/config", nil, &cfg); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		if err := c.Do(context.Background(), http.MethodPut, fmt.Sprintf("/v1/apps/%s/users/u/devices/%d/xm-tok-cli", appA, f.addCert(appA)), nil, nil); err != nil {
			t.Fatalf("%s: bind: %v", base, err)
		}
	}
}

// Every JSON body the API decodes refuses duplicate and case-variant keys
// and trailing data, naming the key.
func TestStrictBodies(t *testing.T) {
	f := newFixture(t, nil, nil)
	id := f.addCert(appA)
	u := "/v1/apps/" + appA + "/users/u"
	cases := []struct {
		name, method, path, body, field string
	}{
		{"job duplicate app_id", "POST", "/v1/messages", `{"app_id":"` + appA + `","app_id":"` + appB + `","msg_id":"m","recipients":["u"]}`, "app_id"},
		{"job case-variant", "POST", "/v1/messages", `{"App_ID":"` + appB + `","msg_id":"m","recipients":["u"]}`, "App_ID"},
		{"cert duplicate", "POST", "/v1/certs", `{"app_id":"` + appA + `","vendor":"xiaomi","vendor":"apns"}`, "vendor"},
		{"cert case-variant", "POST", "/v1/certs", `{"APP_ID":"` + appB + `","vendor":"xiaomi"}`, "APP_ID"},
		{"cert map duplicate", "PUT", fmt.Sprintf("/v1/certs/%d", id), `{"fields":{"package":"a.b","package":"c.d"}}`, "fields.package"},
		{"push case-variant", "POST", "/v1/push", `{"Cert_ID":1,"token":"t","desc":"x"}`, "Cert_ID"},
		{"settings duplicate", "PUT", u + "/settings", `{"locale":"en","locale":"zh-Hans"}`, "locale"},
		{"settings trailing", "PUT", u + "/settings", `{"locale":"en"} {"locale":"zh-Hans"}`, "body"},
		{"receive option case", "PUT", u + "/receive-options/group/g1", `{"Opt":"receive"}`, "Opt"},
		{"background duplicate", "POST", fmt.Sprintf("%s/devices/%d/tok1/background", u, id), `{"unread":1,"unread":2}`, "unread"},
		{"bind case", "PUT", fmt.Sprintf("%s/devices/%d/tok1", u, id), `{"Platform":"ios"}`, "Platform"},
		{"replay duplicate", "POST", "/v1/jobs/replay", `{"all":true,"app_id":"a","app_id":"b"}`, "app_id"},
		{"bind comma token", "PUT", fmt.Sprintf("%s/devices/%d/regA,regB", u, id), ``, "token"},
		{"zero-width user", "GET", "/v1/apps/" + appA + "/users/u%E2%80%8B/devices", ``, "user"},
		{"bad app in path", "GET", "/v1/apps/a%00b/users/u/devices", ``, "app"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			r.Host = "127.0.0.1:8080"
			rec := f.do(r)
			var eb ErrorBody
			decode(t, rec, &eb)
			if rec.Code != http.StatusBadRequest || eb.Field != c.field {
				t.Fatalf("%d %+v, want 400 naming %s", rec.Code, eb, c.field)
			}
		})
	}
}

// Per-app limits: over the rate is a 429 with Retry-After for that app
// only; too many recipients or devices is a 400 naming the limit.
func TestAppLimits(t *testing.T) {
	clock := time.Now()
	f := newFixture(t, nil, func(d *Deps) {
		d.Limits = configs.Limits{JobsPerSecond: 10, Burst: 2, MaxRecipients: 3, MaxDevices: 2,
			Apps: map[string]configs.AppLimits{appB: {JobsPerSecond: 100, Burst: 5}}}
		d.Now = func() time.Time { return clock }
	})
	post := func(body map[string]any) *httptest.ResponseRecorder {
		return f.do(request("POST", "/v1/messages", "", body))
	}
	for i := 0; i < 2; i++ {
		if rec := post(jobBody(appA, fmt.Sprintf("a-%d", i))); rec.Code != 202 {
			t.Fatalf("job %d within the burst: %d %s", i, rec.Code, rec.Body.String())
		}
	}
	rec := post(jobBody(appA, "a-over"))
	ra, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
	if rec.Code != http.StatusTooManyRequests || ra < 1 || !strings.Contains(rec.Body.String(), "jobs_per_second") {
		t.Fatalf("over the rate: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	for i := 0; i < 5; i++ {
		if rec := post(jobBody(appB, fmt.Sprintf("b-%d", i))); rec.Code != 202 {
			t.Fatalf("app B is limited by app A's traffic: %d", rec.Code)
		}
	}
	clock = clock.Add(200 * time.Millisecond) // two jobs' worth at 10/s
	if rec := post(jobBody(appA, "a-later")); rec.Code != 202 {
		t.Fatalf("after refilling: %d %s", rec.Code, rec.Body.String())
	}
	clock = clock.Add(time.Second)
	big := jobBody(appA, "a-big")
	big["recipients"] = []string{"u1", "u2", "u3", "u4"}
	many := map[string]any{"app_id": appA, "msg_id": "a-dev", "offline_push": map[string]any{"desc": "x"},
		"devices": []map[string]any{{"cert_id": 1, "token": "t1"}, {"cert_id": 1, "token": "t2"}, {"cert_id": 1, "token": "t3"}}}
	for body, want := range map[string]map[string]any{"limits.max_recipients": big, "limits.max_devices": many} {
		rec := post(want)
		var eb ErrorBody
		decode(t, rec, &eb)
		if rec.Code != 400 || !strings.Contains(eb.Error, body) {
			t.Errorf("%s: %d %+v", body, rec.Code, eb)
		}
	}
}

// failingIntake is an intake whose enqueue fails with err: the API's
// answer to a store failure is the point of the test.
type failingIntake struct{ err error }

func (q failingIntake) Enqueue(_ context.Context, jobs []dispatcher.EncodedJob) []dispatcher.Enqueued {
	out := make([]dispatcher.Enqueued, len(jobs))
	for i := range out {
		out[i].Err = q.err
	}
	return out
}

// A server error answers a generic message with the request id; the
// detail is only in the log, under that id.
func TestInternalErrorsAreGeneric(t *testing.T) {
	f := newFixture(t, nil, func(d *Deps) { d.Intake = failingIntake{errors.New("lua script failed at pushd:secret-key-name")} })
	rec := f.do(request("POST", "/v1/messages", "", jobBody(appA, "m-500")))
	var eb ErrorBody
	decode(t, rec, &eb)
	id := rec.Header().Get(RequestIDHeader)
	switch {
	case rec.Code != 500 || eb.Error != "internal error":
		t.Fatalf("%d %+v", rec.Code, eb)
	case id == "" || eb.RequestID != id:
		t.Fatalf("request id: header %q body %q", id, eb.RequestID)
	case strings.Contains(rec.Body.String(), "secret-key-name"):
		t.Fatalf("500 carries the detail: %s", rec.Body.String())
	case !strings.Contains(f.logs.String(), "secret-key-name") || !strings.Contains(f.logs.String(), id):
		t.Fatalf("the log lacks the detail or the request id: %s", f.logs.String())
	}
}

// Redis unreachable: enqueue answers 503 with Retry-After, /readyz says
// "not ready" and nothing of the address or the error.
func TestRedisUnreachable(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	intake := dispatcher.NewIntake(dispatcher.NewJobStream(rdb, time.Minute), dispatcher.IntakeConfig{})
	defer intake.Close()
	f := newFixture(t, nil, func(d *Deps) { d.Intake, d.Redis = intake, rdb })
	rec := f.do(request("POST", "/v1/messages", "", jobBody(appA, "m-503")))
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" || strings.Contains(rec.Body.String(), "127.0.0.1") {
		t.Fatalf("enqueue with Redis down: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	rec = f.do(request("GET", "/readyz", "", nil))
	if rec.Code != 503 || strings.TrimSpace(rec.Body.String()) != "{\n  \"status\": \"not ready\"\n}" {
		t.Fatalf("readyz: %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(f.logs.String(), "127.0.0.1:1") {
		t.Fatalf("the cause is not in the log: %s", f.logs.String())
	}
}

// metrics_token protects /metrics.
func TestMetricsToken(t *testing.T) {
	f := newFixture(t, configTokens(), func(d *Deps) { d.MetricsToken = "metrics-token-0123456789" })
	for tok, want := range map[string]int{"": 401, "wrong-token-000000000000": 401, matrixTokens[5].token: 401, "metrics-token-0123456789": 200} {
		if rec := f.do(request("GET", "/metrics", tok, nil)); rec.Code != want {
			t.Errorf("/metrics with %q: %d, want %d", tok, rec.Code, want)
		}
	}
}

// The events stream outlives the server's WriteTimeout.
func TestEventsStreamOutlivesWriteTimeout(t *testing.T) {
	f := newFixture(t, nil, nil)
	ts := httptest.NewUnstartedServer(f.srv)
	ts.Config.WriteTimeout = 300 * time.Millisecond
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/v1/apps/"+appA+"/events?limit=1", nil)
	req.Host = "127.0.0.1:8080"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	go func() {
		time.Sleep(700 * time.Millisecond)
		f.db.Client.XAdd(context.Background(), &redis.XAddArgs{Stream: dispatcher.StreamKey("pushd:", appA), Values: map[string]any{"event": `{"type":"sent"}`}})
	}()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, `"sent"`) {
		t.Fatalf("event after the write timeout: %q %v", line, err)
	}
}
