package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
)

// The /v4 paths with Tencent's query parameters (identifier, usersig,
// random and contenttype are accepted and ignored).
func timPath(route, app string) string {
	return route + "?sdkappid=" + app + "&identifier=administrator&usersig=eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1Pz&random=99999999&contenttype=json"
}

const (
	pathSendMsg   = "/v4/openim/sendmsg"
	pathBatchSend = "/v4/openim/batchsendmsg"
	pathGroupMsg  = "/v4/group_open_http_svc/send_group_msg"
)

// timTextBody is a one-recipient sendmsg body with its own MsgRandom.
func timTextBody(random int64) map[string]any {
	return map[string]any{"From_Account": "leckie", "To_Account": "peter", "MsgRandom": random,
		"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "hi"}}}}
}

// timRequest is a raw-body request to a /v4 route.
func timRequest(path, token, body string) *http.Request {
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Host = "127.0.0.1:8080"
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func timAnswer(t *testing.T, rec *httptest.ResponseRecorder) TencentAnswer {
	t.Helper()
	var a TencentAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %d is not Tencent's shape: %s", rec.Code, rec.Body)
	}
	return a
}

// streamJobs returns the jobs waiting on the fixture's job stream.
func (f *fixture) streamJobs() []dispatcher.Job {
	f.t.Helper()
	var out []dispatcher.Job
	for _, key := range dispatcher.NewJobStream(f.db.Client, time.Minute).Keys() {
		msgs, err := f.db.Client.XRange(f.t.Context(), key, "-", "+").Result()
		if err != nil {
			f.t.Fatal(err)
		}
		for _, m := range msgs {
			var j dispatcher.Job
			if s, ok := m.Values["j"].(string); ok && json.Unmarshal([]byte(s), &j) == nil && j.MsgID != "" {
				out = append(out, j)
			}
		}
	}
	return out
}

// Each documented body is answered OK in Tencent's shape and queued once;
// the same body posted again is answered with the same MsgKey and not
// queued again.
func TestTencentRoutesQueueEachBodyOnce(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	tok := matrixTokens[1].token
	cases := []struct {
		path, body string
		seq        bool
	}{
		{pathSendMsg, docSendMsg, false},
		{pathBatchSend, docBatchSendMsg, false},
		{pathGroupMsg, docGroupMsg, true},
	}
	keys := map[string]bool{}
	for _, c := range cases {
		var first TencentAnswer
		for i := range 2 {
			rec := f.do(timRequest(timPath(c.path, appA), tok, c.body))
			a := timAnswer(t, rec)
			if rec.Code != http.StatusOK || a.ActionStatus != "OK" || a.ErrorCode != 0 || a.ErrorInfo != "" || a.MsgTime == 0 || a.MsgKey == "" {
				t.Fatalf("%s (post %d): %d %s", c.path, i+1, rec.Code, rec.Body)
			}
			if (a.MsgSeq != nil) != c.seq {
				t.Errorf("%s: MsgSeq %v", c.path, a.MsgSeq)
			}
			if i == 0 {
				first = a
			} else if a.MsgKey != first.MsgKey || (c.seq && *a.MsgSeq != *first.MsgSeq) {
				t.Errorf("%s posted twice: %+v then %+v", c.path, first, a)
			}
		}
		keys[first.MsgKey] = true
	}
	jobs := f.streamJobs()
	if len(jobs) != 3 || len(keys) != 3 {
		t.Fatalf("%d jobs queued (%d keys), want 3", len(jobs), len(keys))
	}
	for _, j := range jobs {
		if !keys[j.MsgID] || j.AppID != appA || j.ExpireAt == nil {
			t.Errorf("queued job %+v", j)
		}
	}
}

// The app is sdkappid, authorised as POST /v1/messages' app_id is; a
// refusal is still in Tencent's shape.
func TestTencentAppFromSdkappid(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	body := `{"To_Account": "peter", "MsgRandom": 7, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]}`
	cases := []struct {
		name, path, token string
		status, code      int
	}{
		{"app A's token on app A", timPath(pathSendMsg, appA), matrixTokens[1].token, 200, 0},
		{"app A's token on app B", timPath(pathSendMsg, appB), matrixTokens[1].token, 403, 70014},
		{"no sdkappid", pathSendMsg + "?identifier=admin", matrixTokens[5].token, 200, 60012},
		{"an invalid sdkappid", timPath(pathSendMsg, "app%20one"), matrixTokens[5].token, 200, 90010},
	}
	for _, c := range cases {
		rec := f.do(timRequest(c.path, c.token, body))
		a := timAnswer(t, rec)
		if rec.Code != c.status || a.ErrorCode != c.code || (c.code != 0) != (a.ActionStatus == "FAIL") {
			t.Errorf("%s: %d %s; want %d with ErrorCode %d", c.name, rec.Code, rec.Body, c.status, c.code)
		}
	}
	if jobs := f.streamJobs(); len(jobs) != 1 || jobs[0].AppID != appA {
		t.Fatalf("queued %+v, want app A's job only", jobs)
	}
}

// Refusals are HTTP 200 with FAIL and Tencent's code, as Tencent answers
// them; nothing is queued.
func TestTencentRefusalsAnswered(t *testing.T) {
	f := newFixture(t, nil, nil)
	cases := []struct {
		path, body string
		code       int
	}{
		{pathSendMsg, `{"To_Account": "peter"`, 90001},
		{pathSendMsg, `{"To_Account": "peter", "MsgBody": []}`, 90005},
		{pathBatchSend, `{"To_Account": "peter", "MsgRandom": 1, "MsgBody": []}`, 90028},
		{pathGroupMsg, `{"GroupId": "g1", "Random": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}]}`, 10004},
		{pathGroupMsg, `not json`, 10011},
	}
	for _, c := range cases {
		rec := f.do(timRequest(timPath(c.path, appA), "", c.body))
		a := timAnswer(t, rec)
		if rec.Code != 200 || a.ActionStatus != "FAIL" || a.ErrorCode != c.code || a.ErrorInfo == "" {
			t.Errorf("%s %s: %d %s; want 200 FAIL %d", c.path, c.body, rec.Code, rec.Body, c.code)
		}
	}
	if jobs := f.streamJobs(); len(jobs) != 0 {
		t.Fatalf("refused bodies queued %d jobs", len(jobs))
	}
}

// batchsendmsg answers SomeError with the refused accounts, as Tencent's
// example does, and FAIL 90012 when none is valid.
func TestTencentBatchErrorList(t *testing.T) {
	f := newFixture(t, nil, nil)
	some := strings.Replace(docBatchSendMsg, `"rong"`, `"rong", " "`, 1)
	a := timAnswer(t, f.do(timRequest(timPath(pathBatchSend, appA), "", some)))
	if a.ActionStatus != "SomeError" || a.ErrorCode != 0 || len(a.ErrorList) != 1 || a.ErrorList[0].ErrorCode != 20003 || a.MsgKey == "" {
		t.Errorf("some refused: %+v", a)
	}
	none := strings.NewReplacer(`"bonnie"`, `" "`, `"rong"`, `"\t"`).Replace(docBatchSendMsg)
	a = timAnswer(t, f.do(timRequest(timPath(pathBatchSend, appA), "", none)))
	if a.ActionStatus != "FAIL" || a.ErrorCode != 90012 || len(a.ErrorList) != 2 || a.MsgKey != "" {
		t.Errorf("all refused: %+v", a)
	}
	if jobs := f.streamJobs(); len(jobs) != 1 || len(jobs[0].Recipients) != 2 {
		t.Fatalf("queued %+v, want one job to bonnie and rong", jobs)
	}
}

// The app's rate applies to /v4 as to POST /v1/messages: over it, FAIL
// 60007 with Retry-After.
func TestTencentRateLimited(t *testing.T) {
	f := newFixture(t, nil, func(d *Deps) {
		d.Limits = configs.Limits{JobsPerSecond: 0.01, Burst: 1}
	})
	b, _ := json.Marshal(timTextBody(1))
	first := f.do(timRequest(timPath(pathSendMsg, appA), "", string(b)))
	b, _ = json.Marshal(timTextBody(2))
	second := f.do(timRequest(timPath(pathSendMsg, appA), "", string(b)))
	if a := timAnswer(t, first); a.ActionStatus != "OK" {
		t.Fatalf("first: %s", first.Body)
	}
	a := timAnswer(t, second)
	if second.Code != 200 || a.ErrorCode != 60007 || second.Header().Get("Retry-After") == "" {
		t.Fatalf("second: %d %v %s", second.Code, second.Header(), second.Body)
	}
}
