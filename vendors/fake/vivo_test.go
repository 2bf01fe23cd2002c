package fake

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	vivoTestID     = "10004"
	vivoTestKey    = "vivo-key"
	vivoTestSecret = "vivo-secret"
)

func newVivoFixture(t *testing.T) (*Vivo, *ovClock) {
	t.Helper()
	clk := &ovClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	f := NewVivo(VivoOptions{Now: clk.Now})
	t.Cleanup(f.Close)
	f.AddApp(vivoTestID, vivoTestKey, vivoTestSecret)
	return f, clk
}

// vivoAnswer is a decoded vivo answer.
type vivoAnswer struct {
	Status       int
	Raw          string
	Result       int    `json:"result"`
	Desc         string `json:"desc"`
	AuthToken    string `json:"authToken"`
	TaskID       string `json:"taskId"`
	InvalidUser  *struct{ Userid string }
	InvalidUsers []struct {
		Status int
		Userid string
	}
}

func vivoPost(t *testing.T, f *Vivo, path, token string, body any) vivoAnswer {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, f.URL()+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("authToken", token)
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := vivoAnswer{Status: resp.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &a)
	return a
}

func vivoAuthBody(id, key, secret string, at time.Time) map[string]any {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	sum := md5.Sum([]byte(id + key + ts + secret))
	n, _ := strconv.Atoi(id)
	return map[string]any{"appId": n, "appKey": key, "timestamp": at.UnixMilli(), "sign": hex.EncodeToString(sum[:])}
}

func vivoLogin(t *testing.T, f *Vivo, clk *ovClock) string {
	t.Helper()
	a := vivoPost(t, f, "/message/auth", "", vivoAuthBody(vivoTestID, vivoTestKey, vivoTestSecret, clk.Now()))
	if a.Result != 0 || a.AuthToken == "" {
		t.Fatalf("auth: %+v", a)
	}
	return a.AuthToken
}

func vivoMsg(fields map[string]any) map[string]any {
	m := map[string]any{"appId": 10004, "regId": VivoToken(1), "notifyType": 4, "title": "Denny",
		"content": "See you at 8", "timeToLive": 86400, "skipType": 1, "networkType": -1,
		"requestId": "c2c-1:abc", "classification": 1, "pushMode": 0}
	for k, v := range fields {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

func TestVivoAuthChecksSignatureAndClock(t *testing.T) {
	f, clk := newVivoFixture(t)
	now := clk.Now()
	asString := vivoAuthBody(vivoTestID, vivoTestKey, vivoTestSecret, now)
	asString["appId"] = vivoTestID
	cases := []struct {
		name string
		body map[string]any
		want int
	}{
		{"valid", vivoAuthBody(vivoTestID, vivoTestKey, vivoTestSecret, now), 0},
		{"appId as string", asString, 0},
		{"wrong secret", vivoAuthBody(vivoTestID, vivoTestKey, "nope", now), 10206},
		{"wrong key", vivoAuthBody(vivoTestID, "other", vivoTestSecret, now), 10200},
		{"unknown app", vivoAuthBody("999", vivoTestKey, vivoTestSecret, now), 10200},
		{"skew 11 min", vivoAuthBody(vivoTestID, vivoTestKey, vivoTestSecret, now.Add(11*time.Minute)), 10207},
		{"no sign", map[string]any{"appId": 10004, "appKey": vivoTestKey, "timestamp": now.UnixMilli()}, 10200},
	}
	for _, c := range cases {
		if a := vivoPost(t, f, "/message/auth", "", c.body); a.Result != c.want {
			t.Errorf("%s: result %d (%s), want %d", c.name, a.Result, a.Desc, c.want)
		}
	}
	if f.TokenRequests() != len(cases) {
		t.Errorf("TokenRequests %d", f.TokenRequests())
	}
}

func TestVivoSendChecks(t *testing.T) {
	f, clk := newVivoFixture(t)
	tok := vivoLogin(t, f, clk)
	cases := []struct {
		name   string
		fields map[string]any
		want   int
	}{
		{"ok", nil, 0},
		{"title 21 Chinese", map[string]any{"title": strings.Repeat("标", 21)}, 10056},
		{"title 20 Chinese", map[string]any{"title": strings.Repeat("标", 20)}, 0},
		{"title 41 latin", map[string]any{"title": strings.Repeat("a", 41)}, 10056},
		{"content 51 Chinese", map[string]any{"content": strings.Repeat("内", 51)}, 10058},
		{"no title", map[string]any{"title": ""}, 10055},
		{"notifyType 5", map[string]any{"notifyType": 5}, 10054},
		{"ttl 59", map[string]any{"timeToLive": 59}, 10059},
		{"ttl 8 days", map[string]any{"timeToLive": 691200}, 10059},
		{"skip url without url", map[string]any{"skipType": 2}, 10061},
		{"skip intent", map[string]any{"skipType": 4, "skipContent": "intent:#Intent;end"}, 0},
		{"custom map 11 pairs", map[string]any{"clientCustomMap": vivoPairs(11)}, 10066},
		{"custom map too long", map[string]any{"clientCustomMap": map[string]string{"ext": strings.Repeat("x", 1022)}}, 10067},
		{"no requestId", map[string]any{"requestId": nil}, 10352},
		{"requestId 65", map[string]any{"requestId": strings.Repeat("r", 65)}, 10353},
		{"other appId", map[string]any{"appId": 10005}, 10094},
		{"no regId", map[string]any{"regId": nil}, 10050},
		{"bad regId", map[string]any{"regId": "short"}, 10302},
	}
	for _, c := range cases {
		if a := vivoPost(t, f, "/message/send", tok, vivoMsg(c.fields)); a.Result != c.want {
			t.Errorf("%s: result %d (%s), want %d", c.name, a.Result, a.Desc, c.want)
		}
	}
	if a := vivoPost(t, f, "/message/send", "forged", vivoMsg(nil)); a.Result != 10000 {
		t.Errorf("forged token: %+v", a)
	}
	clk.Add(24 * time.Hour)
	if a := vivoPost(t, f, "/message/send", tok, vivoMsg(nil)); a.Result != 10000 {
		t.Errorf("expired token: %+v", a)
	}
}

func vivoPairs(n int) map[string]string {
	m := map[string]string{}
	for i := 0; i < n; i++ {
		m["k"+strconv.Itoa(i)] = "v"
	}
	return m
}

func TestVivoListFlow(t *testing.T) {
	f, clk := newVivoFixture(t)
	tok := vivoLogin(t, f, clk)
	save := vivoMsg(map[string]any{"regId": nil, "timeToLive": 900})
	if a := vivoPost(t, f, "/message/saveListPayload", tok, vivoMsg(map[string]any{"regId": nil, "timeToLive": 60})); a.Result != 10059 {
		t.Errorf("list ttl 60: %+v", a)
	}
	a := vivoPost(t, f, "/message/saveListPayload", tok, save)
	if a.Result != 0 || a.TaskID == "" {
		t.Fatalf("save: %+v", a)
	}
	f.FailToken(VivoToken(2), Failure{Code: "10302"})
	push := map[string]any{"appId": 10004, "taskId": a.TaskID, "requestId": "r1",
		"regIds": []string{VivoToken(1), VivoToken(2), "bad"}}
	got := vivoPost(t, f, "/message/pushToList", tok, push)
	if got.Result != 0 || len(got.InvalidUsers) != 2 || got.InvalidUsers[0].Userid != VivoToken(2) || got.InvalidUsers[1].Status != 1 {
		t.Errorf("push: %+v", got)
	}
	push["regIds"] = []string{VivoToken(1)}
	if got := vivoPost(t, f, "/message/pushToList", tok, push); got.Result != 10153 {
		t.Errorf("one regId: %+v", got)
	}
	push["regIds"], push["taskId"] = []string{VivoToken(1), VivoToken(3)}, "404"
	if got := vivoPost(t, f, "/message/pushToList", tok, push); got.Result != 10151 {
		t.Errorf("unknown task: %+v", got)
	}
	if rs := f.Requests(); len(rs[len(rs)-1].Tokens) != 2 {
		t.Errorf("recorded tokens %v", rs[len(rs)-1].Tokens)
	}
}

func TestVivoInjectedFailures(t *testing.T) {
	f, clk := newVivoFixture(t)
	tok := vivoLogin(t, f, clk)
	for _, code := range []string{"10070", "10072", "10000", "10252"} {
		f.FailNext(1, Failure{Code: code})
		if a := vivoPost(t, f, "/message/send", tok, vivoMsg(nil)); strconv.Itoa(a.Result) != code {
			t.Errorf("FailNext %s: %+v", code, a)
		}
	}
	f.FailNext(1, Failure{Status: 500})
	if a := vivoPost(t, f, "/message/send", tok, vivoMsg(nil)); a.Status != 500 || a.Raw != "Internet server error!" {
		t.Errorf("500: %+v", a)
	}
	f.FailToken(VivoToken(1), Failure{Code: "10302"})
	a := vivoPost(t, f, "/message/send", tok, vivoMsg(nil))
	if a.Result != 10302 || a.InvalidUser == nil || a.InvalidUser.Userid != VivoToken(1) {
		t.Errorf("FailToken: %+v", a)
	}
}
