package fake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ovClock is a settable clock shared by the OPPO and vivo fake tests.
type ovClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *ovClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *ovClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	oppoTestKey    = "oppo-key"
	oppoTestSecret = "oppo-master"
)

func newOPPOFixture(t *testing.T, channels ...string) (*OPPO, *ovClock) {
	t.Helper()
	clk := &ovClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	f := NewOPPO(OPPOOptions{Now: clk.Now})
	t.Cleanup(f.Close)
	f.AddApp(oppoTestKey, oppoTestSecret, channels...)
	return f, clk
}

// oppoAnswer is a decoded OPPO answer.
type oppoAnswer struct {
	Status  int
	Header  http.Header
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func oppoPost(t *testing.T, f *OPPO, path string, form url.Values) oppoAnswer {
	t.Helper()
	resp, err := f.Client().PostForm(f.URL()+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := oppoAnswer{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return a
}

func oppoAuthForm(key, secret string, at time.Time) url.Values {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	sum := sha256.Sum256([]byte(key + ts + secret))
	return url.Values{"app_key": {key}, "timestamp": {ts}, "sign": {hex.EncodeToString(sum[:])}}
}

func oppoLogin(t *testing.T, f *OPPO, clk *ovClock) string {
	t.Helper()
	a := oppoPost(t, f, "/server/v1/auth", oppoAuthForm(oppoTestKey, oppoTestSecret, clk.Now()))
	var d struct {
		AuthToken string `json:"auth_token"`
	}
	if a.Code != 0 || json.Unmarshal(a.Data, &d) != nil || d.AuthToken == "" {
		t.Fatalf("auth: %+v", a)
	}
	return d.AuthToken
}

func oppoMsg(token string, notif map[string]any) map[string]any {
	n := map[string]any{"title": "Denny", "content": "See you at 8", "click_action_type": 0, "channel_id": "im"}
	for k, v := range notif {
		n[k] = v
	}
	return map[string]any{"target_type": 2, "target_value": token, "notification": n}
}

func oppoJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestOPPOAuthChecksSignatureAndClock(t *testing.T) {
	f, clk := newOPPOFixture(t)
	now := clk.Now()
	bad := oppoAuthForm(oppoTestKey, "wrong-secret", now)
	noSign := oppoAuthForm(oppoTestKey, oppoTestSecret, now)
	noSign.Del("sign")
	cases := []struct {
		name string
		form url.Values
		want int
	}{
		{"valid", oppoAuthForm(oppoTestKey, oppoTestSecret, now), 0},
		{"wrong secret", bad, 16},
		{"no sign", noSign, 17},
		{"skew 11 min", oppoAuthForm(oppoTestKey, oppoTestSecret, now.Add(-11*time.Minute)), 19},
		{"skew 9 min ahead", oppoAuthForm(oppoTestKey, oppoTestSecret, now.Add(9*time.Minute)), 0},
		{"unknown app", oppoAuthForm("other", oppoTestSecret, now), 14},
		{"no app key", url.Values{"timestamp": {"1"}}, 15},
		{"no timestamp", url.Values{"app_key": {oppoTestKey}}, 18},
	}
	for _, c := range cases {
		if got := oppoPost(t, f, "/server/v1/auth", c.form); got.Code != c.want {
			t.Errorf("%s: code %d (%s), want %d", c.name, got.Code, got.Message, c.want)
		}
	}
	if got := f.TokenRequests(); got != len(cases) {
		t.Errorf("TokenRequests = %d, want %d", got, len(cases))
	}
}

func TestOPPOUnicastChecksAuthToken(t *testing.T) {
	f, clk := newOPPOFixture(t)
	tok := oppoLogin(t, f, clk)
	msg := oppoJSON(oppoMsg(OPPOToken(1), nil))
	path := "/server/v1/message/notification/unicast"
	if a := oppoPost(t, f, path, url.Values{"message": {msg}}); a.Code != 29 {
		t.Errorf("without token: code %d, want 29", a.Code)
	}
	if a := oppoPost(t, f, path, url.Values{"auth_token": {"forged"}, "message": {msg}}); a.Code != 11 {
		t.Errorf("forged token: code %d, want 11", a.Code)
	}
	a := oppoPost(t, f, path, url.Values{"auth_token": {tok}, "message": {msg}})
	var d struct {
		MessageID string `json:"messageId"`
	}
	if a.Code != 0 || json.Unmarshal(a.Data, &d) != nil || !strings.Contains(d.MessageID, "-1-1-") {
		t.Errorf("valid: %+v", a)
	}
	clk.Add(24*time.Hour + time.Second)
	if a := oppoPost(t, f, path, url.Values{"auth_token": {tok}, "message": {msg}}); a.Code != 11 {
		t.Errorf("expired token: code %d, want 11", a.Code)
	}
	reqs := f.Requests()
	if last := reqs[len(reqs)-1]; len(last.Tokens) != 1 || last.Tokens[0] != OPPOToken(1) {
		t.Errorf("recorded tokens %v", last.Tokens)
	}
}

func TestOPPOFieldRules(t *testing.T) {
	f, clk := newOPPOFixture(t, "im", "calls")
	tok := oppoLogin(t, f, clk)
	cases := []struct {
		name  string
		token string
		notif map[string]any
		want  int
	}{
		{"ok", OPPOToken(1), nil, 0},
		{"title 51", OPPOToken(1), map[string]any{"title": strings.Repeat("标", 51)}, 41},
		{"title 50", OPPOToken(1), map[string]any{"title": strings.Repeat("标", 50)}, 0},
		{"empty content", OPPOToken(1), map[string]any{"content": ""}, 41},
		{"content 201", OPPOToken(1), map[string]any{"content": strings.Repeat("x", 201)}, 41},
		{"params not object", OPPOToken(1), map[string]any{"action_parameters": `"hi"`}, 41},
		{"params object", OPPOToken(1), map[string]any{"action_parameters": `{"ext":"hi"}`}, 0},
		{"url click without url", OPPOToken(1), map[string]any{"click_action_type": 2}, 41},
		{"activity click", OPPOToken(1), map[string]any{"click_action_type": 4, "click_action_activity": "com.x.Main"}, 0},
		{"unknown click", OPPOToken(1), map[string]any{"click_action_type": 3}, 41},
		{"unregistered channel", OPPOToken(1), map[string]any{"channel_id": "promo"}, 41},
		{"no channel", OPPOToken(1), map[string]any{"channel_id": ""}, 0},
		{"ttl 10 days+1", OPPOToken(1), map[string]any{"off_line_ttl": 864001}, 41},
		{"notify_id", OPPOToken(1), map[string]any{"notify_id": 808284232}, 0},
		{"notify_id 0", OPPOToken(1), map[string]any{"notify_id": 0}, 41},
		{"notify_id over 32 bits", OPPOToken(1), map[string]any{"notify_id": int64(1) << 31}, 41},
		{"notify_id a string", OPPOToken(1), map[string]any{"notify_id": "m1"}, 41},
		{"bad regid", "not-a-regid", nil, 10000},
	}
	for _, c := range cases {
		form := url.Values{"auth_token": {tok}, "message": {oppoJSON(oppoMsg(c.token, c.notif))}}
		if a := oppoPost(t, f, "/server/v1/message/notification/unicast", form); a.Code != c.want {
			t.Errorf("%s: code %d (%s), want %d", c.name, a.Code, a.Message, c.want)
		}
	}
	if f.NoChannel() != 1 {
		t.Errorf("NoChannel = %d, want 1", f.NoChannel())
	}
}

func TestOPPOBatch(t *testing.T) {
	f, clk := newOPPOFixture(t)
	tok := oppoLogin(t, f, clk)
	path := "/server/v1/message/notification/unicast_batch"
	f.FailToken(OPPOToken(2), Failure{Code: "10000"})
	msgs := []any{oppoMsg(OPPOToken(1), nil), oppoMsg(OPPOToken(2), nil), oppoMsg("bogus", nil)}
	a := oppoPost(t, f, path, url.Values{"auth_token": {tok}, "messages": {oppoJSON(msgs)}})
	var items []struct {
		MessageID      string `json:"messageId"`
		RegistrationID string `json:"registrationId"`
		ErrorCode      int    `json:"errorCode"`
	}
	if a.Code != 0 || json.Unmarshal(a.Data, &items) != nil || len(items) != 3 {
		t.Fatalf("batch: %+v", a)
	}
	if items[0].MessageID == "" || items[0].ErrorCode != 0 || items[1].ErrorCode != 10000 || items[2].ErrorCode != 10000 {
		t.Errorf("items %+v", items)
	}
	big := make([]any, 1001)
	for i := range big {
		big[i] = oppoMsg(OPPOToken(i), nil)
	}
	if a := oppoPost(t, f, path, url.Values{"auth_token": {tok}, "messages": {oppoJSON(big)}}); a.Code != 41 {
		t.Errorf("1001 messages: code %d, want 41", a.Code)
	}
	if got := f.Requests()[1].Tokens; len(got) != 3 || got[2] != "bogus" {
		t.Errorf("recorded tokens %v", got)
	}
}

func TestOPPOFailNext(t *testing.T) {
	f, clk := newOPPOFixture(t)
	tok := oppoLogin(t, f, clk)
	f.FailNext(1, Failure{Code: "-2", RetryAfter: 3 * time.Second})
	form := url.Values{"auth_token": {tok}, "message": {oppoJSON(oppoMsg(OPPOToken(1), nil))}}
	path := "/server/v1/message/notification/unicast"
	a := oppoPost(t, f, path, form)
	if a.Code != -2 || a.Header.Get("Retry-After") != "3" || a.Message != "Service in Flow Control" {
		t.Errorf("injected: %+v", a)
	}
	for _, code := range []string{"33", "11", "13", "55", "-1"} {
		f.FailNext(1, Failure{Code: code})
		if a := oppoPost(t, f, path, form); fmt.Sprint(a.Code) != code {
			t.Errorf("FailNext %s: got %d", code, a.Code)
		}
	}
	if a := oppoPost(t, f, path, form); a.Code != 0 {
		t.Errorf("after the faults: %+v", a)
	}
}
