package fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

const (
	meizuTestID     = "100999"
	meizuTestSecret = "meizu-secret"
)

func newMeizuFixture(t *testing.T) *Meizu {
	t.Helper()
	f := NewMeizu(MeizuOptions{})
	t.Cleanup(f.Close)
	f.AddApp(meizuTestID, meizuTestSecret)
	return f
}

// meizuSigned signs form as the test's own reading of the spec.
func meizuSigned(form url.Values, secret string) url.Values {
	keys := []string{}
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		s += k + "=" + form.Get(k)
	}
	sum := md5.Sum([]byte(s + secret))
	form.Set("sign", hex.EncodeToString(sum[:]))
	return form
}

type meizuAnswer struct {
	Status  int
	Header  map[string][]string
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Value   json.RawMessage `json:"value"`
	MsgID   string          `json:"msgId"`
}

func meizuPost(t *testing.T, f *Meizu, form url.Values) meizuAnswer {
	t.Helper()
	resp, err := f.Client().PostForm(f.URL()+meizuPushByPushPath, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := meizuAnswer{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return a
}

func meizuJSON(mut func(m map[string]any)) string {
	m := map[string]any{
		"noticeBarInfo": map[string]any{"noticeMsgType": 1, "noticeBarType": 0, "title": "Denny", "content": "See you at 8"},
		"clickTypeInfo": map[string]any{"clickType": 0, "parameters": map[string]string{"ext": "x"}},
		"pushTimeInfo":  map[string]any{"offLine": 1, "validTime": 24},
		"advanceInfo":   map[string]any{"suspend": 1, "clearNoticeBar": 1, "notifyKey": "abc_-123"},
	}
	if mut != nil {
		mut(m)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func meizuForm(ids []string, js string) url.Values {
	return url.Values{"appId": {meizuTestID}, "pushIds": {strings.Join(ids, ",")}, "messageJson": {js}}
}

func TestMeizuChecksSign(t *testing.T) {
	f := newMeizuFixture(t)
	ok := meizuSigned(meizuForm([]string{MeizuToken(1)}, meizuJSON(nil)), meizuTestSecret)
	if a := meizuPost(t, f, ok); a.Code != "200" || a.MsgID == "" || string(a.Value) != "{}" {
		t.Errorf("valid: %+v", a)
	}
	bad := meizuSigned(meizuForm([]string{MeizuToken(1)}, meizuJSON(nil)), "other")
	if a := meizuPost(t, f, bad); a.Code != "1006" {
		t.Errorf("wrong secret: %+v", a)
	}
	tampered := meizuSigned(meizuForm([]string{MeizuToken(1)}, meizuJSON(nil)), meizuTestSecret)
	tampered.Set("pushIds", MeizuToken(2))
	if a := meizuPost(t, f, tampered); a.Code != "1006" {
		t.Errorf("tampered: %+v", a)
	}
	unknown := meizuForm([]string{MeizuToken(1)}, meizuJSON(nil))
	unknown.Set("appId", "1")
	if a := meizuPost(t, f, meizuSigned(unknown, meizuTestSecret)); a.Code != "110000" {
		t.Errorf("unknown app: %+v", a)
	}
}

func TestMeizuFieldRules(t *testing.T) {
	f := newMeizuFixture(t)
	set := func(path ...any) func(m map[string]any) {
		return func(m map[string]any) { m[path[0].(string)].(map[string]any)[path[1].(string)] = path[2] }
	}
	cases := []struct {
		name string
		mut  func(m map[string]any)
		want string
	}{
		{"ok", nil, "200"},
		{"title 33", set("noticeBarInfo", "title", strings.Repeat("标", 33)), "1005"},
		{"title 32", set("noticeBarInfo", "title", strings.Repeat("标", 32)), "200"},
		{"empty content", set("noticeBarInfo", "content", ""), "1005"},
		{"content 101", set("noticeBarInfo", "content", strings.Repeat("x", 101)), "1005"},
		{"notifyKey 9", set("advanceInfo", "notifyKey", "123456789"), "1005"},
		{"notifyKey charset", set("advanceInfo", "notifyKey", "a.b"), "1005"},
		{"validTime 73", set("pushTimeInfo", "validTime", 73), "1005"},
		{"url click without url", set("clickTypeInfo", "clickType", 2), "1005"},
		{"activity click without activity", set("clickTypeInfo", "clickType", 1), "1005"},
		{"bad json", nil, "1005"},
	}
	for _, c := range cases {
		js := meizuJSON(c.mut)
		if c.name == "bad json" {
			js = "{"
		}
		if a := meizuPost(t, f, meizuSigned(meizuForm([]string{MeizuToken(1)}, js), meizuTestSecret)); a.Code != c.want {
			t.Errorf("%s: %s (%s), want %s", c.name, a.Code, a.Message, c.want)
		}
	}
}

func TestMeizuBatchAndValueMap(t *testing.T) {
	f := newMeizuFixture(t)
	f.FailToken(MeizuToken(2), Failure{Code: "110010"})
	f.FailToken(MeizuToken(3), Failure{Code: "110002"})
	ids := []string{MeizuToken(1), MeizuToken(2), MeizuToken(3), "bad id"}
	a := meizuPost(t, f, meizuSigned(meizuForm(ids, meizuJSON(nil)), meizuTestSecret))
	var value map[string][]string
	if a.Code != "200" || json.Unmarshal(a.Value, &value) != nil {
		t.Fatalf("batch: %+v", a)
	}
	if len(value["110010"]) != 1 || value["110002"][0] != MeizuToken(3) || value["110003"][0] != "bad id" || len(value) != 3 {
		t.Errorf("value %v", value)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = MeizuToken(i)
	}
	if a := meizuPost(t, f, meizuSigned(meizuForm(many, meizuJSON(nil)), meizuTestSecret)); a.Code != "1005" {
		t.Errorf("101 pushIds: %+v", a)
	}
	if got := f.Requests()[0].Tokens; len(got) != 4 || got[3] != "bad id" {
		t.Errorf("recorded %v", got)
	}
}

func TestMeizuFailNext(t *testing.T) {
	f := newMeizuFixture(t)
	form := meizuSigned(meizuForm([]string{MeizuToken(1)}, meizuJSON(nil)), meizuTestSecret)
	f.FailNext(1, Failure{Code: "110010", RetryAfter: 2 * time.Second})
	a := meizuPost(t, f, form)
	if a.Code != "110010" || a.Message != "应用请求频率超过限制" || string(a.Value) != `""` || a.Header["Retry-After"][0] != "2" {
		t.Errorf("rate limit: %+v", a)
	}
	f.FailNext(1, Failure{Code: "110019"})
	if a := meizuPost(t, f, form); a.Code != "110019" {
		t.Errorf("quota: %+v", a)
	}
	if a := meizuPost(t, f, form); a.Code != "200" {
		t.Errorf("after: %+v", a)
	}
}
