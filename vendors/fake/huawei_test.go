package fake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors/fake"
)

const (
	hwApp    = "104000001"
	hwSecret = "hw-secret"
)

type hwClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *hwClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *hwClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newHWFixture(t *testing.T, opts fake.HuaweiOptions) *fake.Huawei {
	t.Helper()
	f := fake.NewHuawei(opts)
	t.Cleanup(f.Close)
	f.AddApp(hwApp, hwSecret)
	f.AddApp("other-app", "other-secret")
	return f
}

// hwPostForm posts a form and decodes the JSON answer.
func hwPostForm(t *testing.T, c *http.Client, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return hwDecode(t, resp)
}

func hwDecode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("answer %s: %v", b, err)
		}
	}
	return resp.StatusCode, m
}

func hwLogin(t *testing.T, f *fake.Huawei, app, secret string) string {
	t.Helper()
	st, m := hwPostForm(t, f.Client(), f.URL()+"/oauth2/v3/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {app}, "client_secret": {secret}})
	if st != http.StatusOK || m["expires_in"] != float64(3600) {
		t.Fatalf("token: %d %v", st, m)
	}
	return m["access_token"].(string)
}

func hwBody(tokens []string, notif map[string]any) string {
	msg := map[string]any{"android": map[string]any{"notification": notif}}
	if tokens != nil {
		msg["token"] = tokens
	}
	b, _ := json.Marshal(map[string]any{"validate_only": false, "message": msg})
	return string(b)
}

func hwNotif() map[string]any {
	return map[string]any{"title": "t", "body": "b", "default_sound": true, "click_action": map[string]any{"type": 3}}
}

func hwSend(t *testing.T, f *fake.Huawei, app, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/v1/"+app+"/messages:send", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return hwDecode(t, resp)
}

func TestHuaweiTokenEndpoint(t *testing.T) {
	f := newHWFixture(t, fake.HuaweiOptions{})
	hwLogin(t, f, hwApp, hwSecret)
	st, m := hwPostForm(t, f.Client(), f.URL()+"/oauth2/v3/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {hwApp}, "client_secret": {"wrong"}})
	if st != http.StatusBadRequest || m["error"] != float64(1101) || m["sub_error"] != float64(20002) {
		t.Fatalf("wrong secret: %d %v", st, m)
	}
	st, _ = hwPostForm(t, f.Client(), f.URL()+"/oauth2/v3/token", url.Values{"grant_type": {"password"}})
	if st != http.StatusBadRequest || f.TokenRequests() != 3 {
		t.Fatalf("bad grant: %d, %d token requests", st, f.TokenRequests())
	}
}

func TestHuaweiSendChecksTokenAndMessage(t *testing.T) {
	clk := &hwClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f := newHWFixture(t, fake.HuaweiOptions{Now: clk.Now})
	tok := hwLogin(t, f, hwApp, hwSecret)
	other := hwLogin(t, f, "other-app", "other-secret")
	notif := func(mod func(map[string]any)) string {
		n := hwNotif()
		mod(n)
		return hwBody([]string{"a"}, n)
	}
	many := make([]string, 1001)
	long := make([]string, 1000)
	for i := range many {
		many[i] = fmt.Sprint("t", i)
	}
	for i := range long {
		long[i] = strings.Repeat("x", 130)
	}
	cases := []struct {
		name, token, body, code string
		status                  int
	}{
		{"valid", tok, hwBody([]string{"a"}, hwNotif()), fake.HuaweiSuccess, 200},
		{"1000 long tokens", tok, hwBody(long, hwNotif()), fake.HuaweiSuccess, 200},
		{"no bearer", "", hwBody([]string{"a"}, hwNotif()), fake.HuaweiAuthError, 401},
		{"unknown token", "forged", hwBody([]string{"a"}, hwNotif()), fake.HuaweiAuthError, 401},
		{"token of another app", other, hwBody([]string{"a"}, hwNotif()), fake.HuaweiAuthError, 401},
		{"not json", tok, "{", fake.HuaweiBadStructure, 400},
		{"no token", tok, hwBody(nil, hwNotif()), fake.HuaweiTooManyTokens, 400},
		{"1001 tokens", tok, hwBody(many, hwNotif()), fake.HuaweiTooManyTokens, 400},
		{"body over 4096", tok, notif(func(n map[string]any) { n["body"] = strings.Repeat("b", 4096) }), fake.HuaweiBodyTooLarge, 413},
		{"no click_action", tok, notif(func(n map[string]any) { delete(n, "click_action") }), fake.HuaweiBadParam, 400},
		{"http url", tok, notif(func(n map[string]any) { n["click_action"] = map[string]any{"type": 2, "url": "http://x"} }), fake.HuaweiBadParam, 400},
		{"badge 100", tok, notif(func(n map[string]any) { n["badge"] = map[string]any{"set_num": 100, "class": "A"} }), fake.HuaweiBadParam, 400},
		{"badge without class", tok, notif(func(n map[string]any) { n["badge"] = map[string]any{"set_num": 1} }), fake.HuaweiBadParam, 400},
		{"no title", tok, notif(func(n map[string]any) { delete(n, "title") }), fake.HuaweiBadParam, 400},
		{"no sound", tok, notif(func(n map[string]any) { delete(n, "default_sound") }), fake.HuaweiBadParam, 400},
	}
	for _, c := range cases {
		st, m := hwSend(t, f, hwApp, c.token, c.body)
		if st != c.status || m["code"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, st, m, c.status, c.code)
		}
	}
	clk.Add(time.Hour)
	if st, m := hwSend(t, f, hwApp, tok, hwBody([]string{"a"}, hwNotif())); st != 401 || m["code"] != fake.HuaweiTokenExpired {
		t.Fatalf("after an hour: %d %v", st, m)
	}
	fresh := hwLogin(t, f, hwApp, hwSecret)
	f.ExpireTokens()
	if _, m := hwSend(t, f, hwApp, fresh, hwBody([]string{"a"}, hwNotif())); m["code"] != fake.HuaweiTokenExpired {
		t.Fatalf("after ExpireTokens: %v", m)
	}
}

func TestHuaweiInjectedFailures(t *testing.T) {
	for _, mapForm := range []bool{false, true} {
		f := newHWFixture(t, fake.HuaweiOptions{IllegalTokensMap: mapForm})
		tok := hwLogin(t, f, hwApp, hwSecret)
		f.FailToken("b", fake.Failure{Code: fake.HuaweiAllInvalid})
		st, m := hwSend(t, f, hwApp, tok, hwBody([]string{"a", "b"}, hwNotif()))
		var detail map[string]any
		_ = json.Unmarshal([]byte(fmt.Sprint(m["msg"])), &detail)
		listed := fmt.Sprint(detail["illegal_tokens"])
		if mapForm {
			listed = fmt.Sprint(detail["illegalTokens"].(map[string]any)[fake.HuaweiAllInvalid])
		}
		if st != 200 || m["code"] != fake.HuaweiPartial || listed != "[b]" || detail["success"] != float64(1) {
			t.Fatalf("map form %v: %d %v", mapForm, st, m)
		}
		if _, m = hwSend(t, f, hwApp, tok, hwBody([]string{"b"}, hwNotif())); m["code"] != fake.HuaweiAllInvalid {
			t.Fatalf("all invalid: %v", m)
		}
		f.FailNext(1, fake.Failure{Status: http.StatusServiceUnavailable})
		if st, _ = hwSend(t, f, hwApp, tok, hwBody([]string{"a"}, hwNotif())); st != 503 {
			t.Fatalf("503: %d", st)
		}
		if f.Len() != 3 || f.Requests()[0].Tokens[1] != "b" {
			t.Fatalf("recorded %d", f.Len())
		}
	}
}
