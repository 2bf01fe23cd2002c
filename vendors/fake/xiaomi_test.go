package fake_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors/fake"
)

const (
	xmPkg    = "com.example.chat"
	xmSecret = "xm-secret"
)

type xmAnswer struct {
	status     int
	retryAfter string
	Code       json.Number `json:"code"`
	Result     string      `json:"result"`
	Reason     string      `json:"reason"`
	Data       struct {
		ID        string `json:"id"`
		BadRegIDs string `json:"bad_regids"`
	} `json:"data"`
}

func newXMFixture(t *testing.T) *fake.Xiaomi {
	t.Helper()
	f := fake.NewXiaomi(fake.XiaomiOptions{})
	t.Cleanup(f.Close)
	f.AddApp(xmPkg, xmSecret)
	return f
}

func xmForm(regIDs ...string) url.Values {
	return url.Values{"registration_id": {strings.Join(regIDs, ",")}, "restricted_package_name": {xmPkg},
		"pass_through": {"0"}, "title": {"Denny"}, "description": {"See you at 8"}, "notify_type": {"-1"},
		"extra.notify_effect": {"1"}, "payload": {url.QueryEscape(`{"k":1}`)}}
}

func xmPost(t *testing.T, f *fake.Xiaomi, auth string, form url.Values) xmAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/v3/message/regid", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.Header.Set("Authorization", auth)
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := xmAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("answer %s: %v", b, err)
		}
	}
	return a
}

func TestXiaomiChecksTheSecretAndTheForm(t *testing.T) {
	f := newXMFixture(t)
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprint("r", i)
	}
	cases := []struct {
		name string
		auth string
		mod  func(url.Values)
		code string
	}{
		{"valid", "key=" + xmSecret, nil, "0"},
		{"wrong secret", "key=nope", nil, fake.XiaomiBadSecret},
		{"upper-case Key", "Key=" + xmSecret, nil, fake.XiaomiBadSecret},
		{"blank title", "key=" + xmSecret, func(v url.Values) { v.Set("title", "  ") }, fake.XiaomiEmptyText},
		{"no description", "key=" + xmSecret, func(v url.Values) { v.Del("description") }, fake.XiaomiEmptyText},
		{"title of 50", "key=" + xmSecret, func(v url.Values) { v.Set("title", strings.Repeat("题", 50)) }, fake.XiaomiTooLong},
		{"title of 49", "key=" + xmSecret, func(v url.Values) { v.Set("title", strings.Repeat("题", 49)) }, "0"},
		{"description of 128", "key=" + xmSecret, func(v url.Values) { v.Set("description", strings.Repeat("d", 128)) }, fake.XiaomiTooLong},
		{"1001 ids", "key=" + xmSecret, func(v url.Values) { v.Set("registration_id", strings.Join(many, ",")) }, fake.XiaomiBadParam},
		{"other package", "key=" + xmSecret, func(v url.Values) { v.Set("restricted_package_name", "com.other") }, fake.XiaomiBadPackage},
		{"pass_through 2", "key=" + xmSecret, func(v url.Values) { v.Set("pass_through", "2") }, fake.XiaomiBadParam},
		{"pass-through without text", "key=" + xmSecret, passThrough(url.QueryEscape(`{"msg_id":"m1"}`)), "0"},
		{"pass-through without payload", "key=" + xmSecret, passThrough(""), fake.XiaomiBadParam},
		{"web uri not http", "key=" + xmSecret, func(v url.Values) { v.Set("extra.notify_effect", "3"); v.Set("extra.web_uri", "ftp://x") }, fake.XiaomiBadParam},
		{"intent without uri", "key=" + xmSecret, func(v url.Values) { v.Set("extra.notify_effect", "2") }, fake.XiaomiBadParam},
		{"payload not encoded", "key=" + xmSecret, func(v url.Values) { v.Set("payload", "%zz") }, fake.XiaomiBadParam},
	}
	for _, c := range cases {
		form := xmForm("r1", "r2")
		if c.mod != nil {
			c.mod(form)
		}
		a := xmPost(t, f, c.auth, form)
		if a.status != http.StatusOK || a.Code.String() != c.code {
			t.Errorf("%s: status %d code %s (%s), want 200 %s", c.name, a.status, a.Code, a.Reason, c.code)
		}
		if c.code == "0" && (a.Result != "ok" || !strings.HasPrefix(a.Data.ID, "scm")) {
			t.Errorf("%s: success body %+v", c.name, a)
		}
	}
	if reqs := f.Requests(); len(reqs) != len(cases) || len(reqs[0].Tokens) != 2 {
		t.Fatalf("%d recorded, first with %d tokens", len(reqs), len(reqs[0].Tokens))
	}
}

// passThrough makes a form a pass-through message of payload, as pushd
// sends an id_only push: no title, description or click.
func passThrough(payload string) func(url.Values) {
	return func(v url.Values) {
		v.Set("pass_through", "1")
		for _, k := range []string{"title", "description", "notify_type", "payload"} {
			v.Del(k)
		}
		if payload != "" {
			v.Set("payload", payload)
		}
	}
}

func TestXiaomiInjectedFailures(t *testing.T) {
	f := newXMFixture(t)
	f.FailToken("r2", fake.Failure{Code: "bad"})
	a := xmPost(t, f, "key="+xmSecret, xmForm("r1", "r2", "r3"))
	if a.Code.String() != "0" || a.Data.BadRegIDs != "r2" {
		t.Fatalf("partial: %+v", a)
	}
	if a = xmPost(t, f, "key="+xmSecret, xmForm("r2")); a.Code.String() != fake.XiaomiNoValidTargets || a.Reason != "No valid targets!" {
		t.Fatalf("all bad: %+v", a)
	}
	f.FailNext(1, fake.Failure{Status: http.StatusServiceUnavailable, RetryAfter: 3 * time.Second})
	f.FailNext(1, fake.Failure{Code: fake.XiaomiDailyQuota})
	if a = xmPost(t, f, "key="+xmSecret, xmForm("r1")); a.status != 503 || a.retryAfter != "3" {
		t.Fatalf("503: %+v", a)
	}
	if a = xmPost(t, f, "key="+xmSecret, xmForm("r1")); a.Code.String() != fake.XiaomiDailyQuota {
		t.Fatalf("quota: %+v", a)
	}
	if a = xmPost(t, f, "key="+xmSecret, xmForm("r1")); a.Code.String() != "0" {
		t.Fatalf("after the faults: %+v", a)
	}
}
