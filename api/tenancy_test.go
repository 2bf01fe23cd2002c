package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pushd/pushd/configs"
)

// tokenCase is one caller of the matrix.
type tokenCase struct {
	name, token string
	role        Role
	apps        []string // nil = every app
}

var matrixTokens = []tokenCase{
	{name: "none"},
	{name: "enqueue-A", token: "tok-enqueue-app-a-000001", role: RoleEnqueue, apps: []string{appA}},
	{name: "admin-A", token: "tok-admin-app-a-00000001", role: RoleAdmin, apps: []string{appA}},
	{name: "enqueue-B", token: "tok-enqueue-app-b-000001", role: RoleEnqueue, apps: []string{appB}},
	{name: "admin-B", token: "tok-admin-app-b-00000001", role: RoleAdmin, apps: []string{appB}},
	{name: "admin-all", token: "tok-admin-all-apps-00001", role: RoleAdmin},
}

func configTokens() []configs.Token {
	var out []configs.Token
	for _, tc := range matrixTokens[1:] {
		role := configs.RoleEnqueue
		if tc.role == RoleAdmin {
			role = configs.RoleAdmin
		}
		out = append(out, configs.Token{Name: tc.name, Token: tc.token, Role: role, Apps: tc.apps})
	}
	return out
}

// cell builds the request of one route against app, with whatever state
// it needs created first, and says which status means success.
type cell struct {
	ok  int
	req func(f *fixture, app, token string) *http.Request
}

// matrix has an entry for every route the API registers; the test fails
// when a route has none, so a new route cannot escape the tenancy check.
var matrix = map[string]cell{
	"GET /healthz": {200, func(f *fixture, app, tok string) *http.Request { return request("GET", "/healthz", tok, nil) }},
	"GET /readyz":  {200, func(f *fixture, app, tok string) *http.Request { return request("GET", "/readyz", tok, nil) }},
	"GET /v1/version": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/v1/version", tok, nil)
	}},
	"GET /metrics": {200, func(f *fixture, app, tok string) *http.Request { return request("GET", "/metrics", tok, nil) }},
	"GET /v1/config": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/v1/config", tok, nil)
	}},
	"POST /v1/messages": {202, func(f *fixture, app, tok string) *http.Request {
		return request("POST", "/v1/messages", tok, jobBody(app, fmt.Sprintf("m-%d", f.next())))
	}},
	"POST /v1/messages:batch": {200, func(f *fixture, app, tok string) *http.Request {
		return request("POST", "/v1/messages:batch", tok, map[string]any{"jobs": []any{
			jobBody(app, fmt.Sprintf("b-%d", f.next())), jobBody(app, fmt.Sprintf("b-%d", f.next()))}})
	}},
	// The /v4 routes take the app from Tencent's sdkappid query parameter.
	"POST /v4/openim/sendmsg": {200, func(f *fixture, app, tok string) *http.Request {
		return request("POST", timPath(pathSendMsg, app), tok, timTextBody(f.next()))
	}},
	"POST /v4/openim/batchsendmsg": {200, func(f *fixture, app, tok string) *http.Request {
		b := timTextBody(f.next())
		b["To_Account"] = []string{"peter", "leckie"}
		return request("POST", timPath(pathBatchSend, app), tok, b)
	}},
	"POST /v4/group_open_http_svc/send_group_msg": {200, func(f *fixture, app, tok string) *http.Request {
		b := timTextBody(0)
		delete(b, "MsgRandom")
		b["GroupId"], b["Random"], b["To_Account"] = "@TGS#2C5SZEAEF", f.next(), []string{"peter"}
		return request("POST", timPath(pathGroupMsg, app), tok, b)
	}},
	"POST /v1/certs:rekey": {200, func(f *fixture, app, tok string) *http.Request {
		return request("POST", "/v1/certs:rekey", tok, nil)
	}},
	"POST /v1/push": {200, func(f *fixture, app, tok string) *http.Request {
		return request("POST", "/v1/push", tok, PushRequest{CertID: f.addCert(app), Token: "xm-reg-token-0001", Desc: "hi", DryRun: true})
	}},
	"POST /v1/certs": {201, func(f *fixture, app, tok string) *http.Request {
		return request("POST", "/v1/certs", tok, xiaomiCertBody(app, "xm-secret-new-0123"))
	}},
	"GET /v1/certs": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/v1/certs?app="+app, tok, nil)
	}},
	"GET /v1/certs/{id}": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", fmt.Sprintf("/v1/certs/%d", f.addCert(app)), tok, nil)
	}},
	"PUT /v1/certs/{id}": {200, func(f *fixture, app, tok string) *http.Request {
		return request("PUT", fmt.Sprintf("/v1/certs/%d", f.addCert(app)), tok, xiaomiCertBody("", "xm-secret-rotated-01"))
	}},
	"DELETE /v1/certs/{id}": {200, func(f *fixture, app, tok string) *http.Request {
		return request("DELETE", fmt.Sprintf("/v1/certs/%d", f.addCert(app)), tok, nil)
	}},
	"GET /v1/apps/{app}/users/{user}/devices": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/v1/apps/"+app+"/users/vinson/devices", tok, nil)
	}},
	"DELETE /v1/apps/{app}/users/{user}/devices": {200, func(f *fixture, app, tok string) *http.Request {
		f.bind(app, "vinson", f.addCert(app), "xm-reg-token-0002")
		return request("DELETE", "/v1/apps/"+app+"/users/vinson/devices", tok, nil)
	}},
	"PUT /v1/apps/{app}/users/{user}/devices/{cert}/{token}": {200, func(f *fixture, app, tok string) *http.Request {
		return request("PUT", fmt.Sprintf("/v1/apps/%s/users/vinson/devices/%d/xm-reg-token-0003", app, f.addCert(app)), tok, BindRequest{Platform: "android"})
	}},
	"DELETE /v1/apps/{app}/users/{user}/devices/{cert}/{token}": {200, func(f *fixture, app, tok string) *http.Request {
		return request("DELETE", deviceURL(f, app), tok, nil)
	}},
	"POST /v1/apps/{app}/users/{user}/devices/{cert}/{token}/background": {200, func(f *fixture, app, tok string) *http.Request {
		return request("POST", deviceURL(f, app)+"/background", tok, BackgroundRequest{Unread: 3})
	}},
	"POST /v1/apps/{app}/users/{user}/devices/{cert}/{token}/foreground": {200, func(f *fixture, app, tok string) *http.Request {
		return request("POST", deviceURL(f, app)+"/foreground", tok, nil)
	}},
	"GET /v1/apps/{app}/users/{user}/settings": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/v1/apps/"+app+"/users/vinson/settings", tok, nil)
	}},
	"PUT /v1/apps/{app}/users/{user}/settings": {200, func(f *fixture, app, tok string) *http.Request {
		loc := "zh-Hans"
		return request("PUT", "/v1/apps/"+app+"/users/vinson/settings", tok, map[string]any{"locale": loc})
	}},
	"GET /v1/apps/{app}/users/{user}/receive-options": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/v1/apps/"+app+"/users/vinson/receive-options", tok, nil)
	}},
	"PUT /v1/apps/{app}/users/{user}/receive-options/{kind}/{id}": {200, func(f *fixture, app, tok string) *http.Request {
		return request("PUT", "/v1/apps/"+app+"/users/vinson/receive-options/group/g1", tok, ReceiveOptionRequest{Opt: "not_receive"})
	}},
	"GET /v1/jobs/failed": {200, func(f *fixture, app, tok string) *http.Request {
		f.archivedTask(app)
		return request("GET", "/v1/jobs/failed?app="+app, tok, nil)
	}},
	"POST /v1/jobs/replay": {200, func(f *fixture, app, tok string) *http.Request {
		return request("POST", "/v1/jobs/replay", tok, ReplayRequest{TaskID: f.archivedTask(app)})
	}},
	"GET /v1/apps/{app}/events": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/v1/apps/"+app+"/events?follow=false", tok, nil)
	}},
	"/monitoring/": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/monitoring/", tok, nil)
	}},
	"GET /v1/openapi.json": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/v1/openapi.json", tok, nil)
	}},
	"GET /console": {303, func(f *fixture, app, tok string) *http.Request { return request("GET", "/console", tok, nil) }},
	"GET /console/login": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/console/login", tok, nil)
	}},
	"POST /console/login": {303, func(f *fixture, app, tok string) *http.Request {
		r := formRequest("POST", "/console/login", "", url.Values{"csrf": {"login-csrf-1"}, "token": {matrixTokens[5].token}})
		r.AddCookie(&http.Cookie{Name: loginCookie, Value: "login-csrf-1"})
		return r
	}},
	"GET /console/static/{file}": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/console/static/console.css", tok, nil)
	}},
	"GET /console/{$}": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/console/?app="+app, tok, nil)
	}},
	"POST /console/logout": {303, func(f *fixture, app, tok string) *http.Request {
		return formRequest("POST", "/console/logout", tok, url.Values{"app": {app}})
	}},
	"GET /console/certs": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/console/certs?app="+app, tok, nil)
	}},
	"POST /console/certs": {303, func(f *fixture, app, tok string) *http.Request {
		return formRequest("POST", "/console/certs", tok, url.Values{"vendor": {"xiaomi"}, "app_id": {app},
			"package": {"com.example.chat"}, "app_secret": {"xm-secret-console-01"}})
	}},
	"GET /console/certs/{id}/delete": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", fmt.Sprintf("/console/certs/%d/delete", f.addCert(app)), tok, nil)
	}},
	"POST /console/certs/{id}/delete": {303, func(f *fixture, app, tok string) *http.Request {
		id := f.addCert(app)
		return formRequest("POST", fmt.Sprintf("/console/certs/%d/delete", id), tok, url.Values{"confirm": {fmt.Sprint(id)}})
	}},
	"GET /console/push": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/console/push?app="+app, tok, nil)
	}},
	"POST /console/push": {200, func(f *fixture, app, tok string) *http.Request {
		return formRequest("POST", "/console/push", tok, url.Values{"app": {app}, "cert_id": {fmt.Sprint(f.addCert(app))},
			"token": {"xm-reg-token-0001"}, "desc": {"hi"}, "action": {"dry"}})
	}},
	"GET /console/events": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/console/events?app="+app, tok, nil)
	}},
	"GET /console/events/stream": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/console/events/stream?follow=false&since=0&app="+app, tok, nil)
	}},
	"GET /console/jobs": {200, func(f *fixture, app, tok string) *http.Request {
		f.archivedTask(app)
		return request("GET", "/console/jobs?app="+app, tok, nil)
	}},
	"POST /console/jobs/replay": {303, func(f *fixture, app, tok string) *http.Request {
		return formRequest("POST", "/console/jobs/replay", tok, url.Values{"app": {app}, "task_id": {f.archivedTask(app)}})
	}},
	"GET /console/devices": {200, func(f *fixture, app, tok string) *http.Request {
		f.bind(app, "vinson", f.addCert(app), "xm-reg-token-0009")
		return request("GET", "/console/devices?user=vinson&app="+app, tok, nil)
	}},
	"GET /console/inbox": {200, func(f *fixture, app, tok string) *http.Request {
		return request("GET", "/console/inbox?app="+app, tok, nil)
	}},
}

// formRequest builds an HTML form post.
func formRequest(method, path, token string, form url.Values) *http.Request {
	r := request(method, path, token, nil)
	r.Body = io.NopCloser(strings.NewReader(form.Encode()))
	r.ContentLength = int64(len(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// deviceURL binds a fresh device of app and returns its route.
func deviceURL(f *fixture, app string) string {
	cert := f.addCert(app)
	tok := fmt.Sprintf("xm-reg-token-%d", f.next())
	f.bind(app, "vinson", cert, tok)
	return fmt.Sprintf("/v1/apps/%s/users/vinson/devices/%d/%s", app, cert, tok)
}

// expected is the status a caller gets from route rt on app: public routes
// serve everyone; others need a token (401), its role (403), a token not
// limited to apps when the route shows every app (403), and the app among
// the token's (403).
func expected(rt route, tc tokenCase, app string, ok int) int {
	switch {
	case rt.role == RoleNone:
		return ok
	case tc.token == "" && rt.session && strings.HasPrefix(rt.pattern, "GET /console/"):
		// A browser without a session is sent to sign in.
		return http.StatusSeeOther
	case tc.token == "":
		return http.StatusUnauthorized
	case tc.role < rt.role:
		return http.StatusForbidden
	case rt.allApps && tc.apps != nil:
		return http.StatusForbidden
	case tc.apps != nil && !slices.Contains(tc.apps, app):
		return http.StatusForbidden
	}
	return ok
}

// TestTenancyMatrix walks every registered route × every token × {app A,
// app B} and checks the status: an app's token reaches only its app, and
// the positive paths succeed.
func TestTenancyMatrix(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	for _, rt := range f.srv.table {
		if _, ok := matrix[rt.pattern]; !ok {
			t.Errorf("route %q has no tenancy matrix entry: add one", rt.pattern)
		}
	}
	for pattern := range matrix {
		if !slices.ContainsFunc(f.srv.table, func(rt route) bool { return rt.pattern == pattern }) {
			t.Errorf("matrix entry %q is not a registered route", pattern)
		}
	}
	seen := map[int]int{}
	cells := 0
	for _, rt := range f.srv.table {
		c, ok := matrix[rt.pattern]
		if !ok {
			continue
		}
		for _, tc := range matrixTokens {
			for _, app := range []string{appA, appB} {
				want := expected(rt, tc, app, c.ok)
				rec := f.do(c.req(f, app, tc.token))
				cells++
				seen[rec.Code]++
				if rec.Code != want {
					t.Errorf("%s as %s on app %s: %d, want %d: %s", rt.pattern, tc.name, app, rec.Code, want, strings.TrimSpace(rec.Body.String()))
				}
			}
		}
	}
	t.Logf("tenancy matrix: %d routes, %d cells, statuses %v", len(f.srv.table), cells, seen)
}

// An app-scoped token's lists show only its apps.
func TestListsShowOnlyTheTokensApps(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	a, b := f.addCert(appA), f.addCert(appB)
	f.archivedTask(appA)
	f.archivedTask(appB)
	cases := []struct {
		token string
		certs []int64
		apps  []string
	}{
		{matrixTokens[2].token, []int64{a}, []string{appA}},
		{matrixTokens[4].token, []int64{b}, []string{appB}},
		{matrixTokens[5].token, []int64{a, b}, []string{appA, appB}},
	}
	for _, c := range cases {
		var cl struct {
			Certs []struct {
				ID int64 `json:"cert_id"`
			} `json:"certs"`
		}
		decode(t, f.do(request("GET", "/v1/certs", c.token, nil)), &cl)
		var ids []int64
		for _, in := range cl.Certs {
			ids = append(ids, in.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, c.certs) {
			t.Errorf("GET /v1/certs: %v, want %v", ids, c.certs)
		}
		var jl struct {
			Jobs []FailedJob `json:"jobs"`
		}
		decode(t, f.do(request("GET", "/v1/jobs/failed", c.token, nil)), &jl)
		var apps []string
		for _, j := range jl.Jobs {
			apps = append(apps, j.AppID)
		}
		slices.Sort(apps)
		if !slices.Equal(apps, c.apps) {
			t.Errorf("GET /v1/jobs/failed: apps %v, want %v", apps, c.apps)
		}
	}
	// Replaying "all" with app A's token replays app A's task only.
	var out struct {
		Replayed int `json:"replayed"`
	}
	decode(t, f.do(request("POST", "/v1/jobs/replay", matrixTokens[2].token, ReplayRequest{All: true})), &out)
	if out.Replayed != 1 {
		t.Errorf("replay all with app A's token replayed %d, want 1", out.Replayed)
	}
}

// A device is never bound to another app's certificate, whatever the
// token: a 400 naming cert_id.
func TestBindToAnotherAppsCertificate(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	other := f.addCert(appB)
	for _, tok := range []string{matrixTokens[1].token, matrixTokens[5].token} {
		rec := f.do(request("PUT", fmt.Sprintf("/v1/apps/%s/users/vinson/devices/%d/xm-reg-token-9", appA, other), tok, nil))
		var eb ErrorBody
		decode(t, rec, &eb)
		if rec.Code != http.StatusBadRequest || eb.Field != "cert_id" {
			t.Errorf("bind to app B's certificate under app A: %d %+v, want 400 naming cert_id", rec.Code, eb)
		}
	}
	bs, _ := f.devs.List(t.Context(), appA, "vinson")
	if len(bs) != 0 {
		t.Fatalf("bindings after refused binds: %+v", bs)
	}
}

// Rotating app A's certificate into app B is refused for app A's token.
func TestRotateIntoAnotherApp(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	id := f.addCert(appA)
	rec := f.do(request("PUT", fmt.Sprintf("/v1/certs/%d", id), matrixTokens[2].token, xiaomiCertBody(appB, "xm-secret-rotated-02")))
	if rec.Code != http.StatusForbidden {
		t.Fatalf("rotate into app B: %d, want 403: %s", rec.Code, rec.Body.String())
	}
}

func decode(t *testing.T, rec interface{ Result() *http.Response }, v any) {
	t.Helper()
	resp := rec.Result()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("answer %d is not JSON: %v", resp.StatusCode, err)
	}
}
