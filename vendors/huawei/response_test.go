package huawei

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/hms"

	"github.com/pushd/pushd/vendors"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// TestClassifyEveryDocumentedCode covers every row of vendor-protocols.md
// §4 "Error table", each with the HTTP status Huawei pairs it with.
func TestClassifyEveryDocumentedCode(t *testing.T) {
	cases := []struct {
		code   string
		status int
		want   vendors.Kind
	}{
		{"80000000", 200, vendors.OK},
		{"80100001", 400, vendors.Rejected},
		{"80100002", 400, vendors.Rejected},
		{"80100003", 400, vendors.Rejected},
		{"80100004", 400, vendors.Rejected},
		{"80100013", 400, vendors.Rejected},
		{"80100016", 400, vendors.Rejected},
		{"80200001", 401, vendors.Auth},
		{"80200003", 401, vendors.Auth},
		{"80300002", 403, vendors.Rejected},
		{"80300007", 400, vendors.InvalidToken},
		{"80300008", 413, vendors.Rejected},
		{"80300010", 400, vendors.Rejected},
		{"81000001", 500, vendors.Retryable},
		{"99999999", 400, vendors.Rejected},  // undocumented: the status decides
		{"99999999", 502, vendors.Retryable}, // undocumented: the status decides
	}
	for i := 82000001; i <= 82000013; i++ {
		cases = append(cases, struct {
			code   string
			status int
			want   vendors.Kind
		}{fmt.Sprint(i), 400, vendors.Rejected})
	}
	tokens := []string{"a", "b"}
	for _, c := range cases {
		body := fmt.Sprintf(`{"code":%q,"msg":"m","requestId":"r1"}`, c.code)
		rs := parseResponse(c.status, http.Header{}, []byte(body), tokens, testNow)
		checkAll(t, c.code, rs, tokens, c.want)
		if c.want == vendors.OK {
			if rs[0].MessageID != "r1" {
				t.Errorf("MessageID = %q", rs[0].MessageID)
			}
			continue
		}
		if e := rs[0].Err.(*vendors.Error); e.Code != c.code || e.Status != c.status {
			t.Errorf("%s: error %+v", c.code, e)
		}
	}
}

func TestPartialFailureInBothForms(t *testing.T) {
	tokens := []string{"a", "b", "c"}
	for _, body := range []string{
		`{"code":"80100000","msg":"{\"success\":1,\"failure\":2,\"illegal_tokens\":[\"a\",\"c\"]}","requestId":"r9"}`,
		`{"code":"80100000","msg":"{\"success\":1,\"failure\":2,\"illegalTokens\":{\"80300007\":[\"a\"],\"other\":[\"c\"]}}","requestId":"r9"}`,
		`{"code":"80100000","msg":"{\"success\":1,\"failure\":2}","illegalTokens":{"80300007":["a","c"]},"requestId":"r9"}`,
	} {
		rs := parseResponse(200, http.Header{}, []byte(body), tokens, testNow)
		want := []vendors.Kind{vendors.InvalidToken, vendors.OK, vendors.InvalidToken}
		for i, r := range rs {
			if r.Token != tokens[i] || r.Kind() != want[i] {
				t.Fatalf("%s\nresult %d = %s %s", body, i, r.Token, r.Kind())
			}
		}
		if rs[1].MessageID != "r9" {
			t.Errorf("MessageID = %q", rs[1].MessageID)
		}
	}
	rs := parseResponse(200, http.Header{}, []byte(`{"code":"80100000","msg":"garbled"}`), tokens, testNow)
	checkAll(t, "unreadable partial", rs, tokens, vendors.Retryable)
}

func TestClassifyByStatusWhenThereIsNoHuaweiBody(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   vendors.Kind
	}{
		{503, "", vendors.Retryable},
		{502, "<html>bad gateway</html>", vendors.Retryable},
		{500, "", vendors.Retryable},
		{401, "", vendors.Auth},
		{429, "", vendors.RateLimited},
		{404, "not found", vendors.Rejected},
		{200, "", vendors.Retryable},
	}
	for _, c := range cases {
		rs := parseResponse(c.status, http.Header{}, []byte(c.body), []string{"a"}, testNow)
		checkAll(t, fmt.Sprint(c.status), rs, []string{"a"}, c.want)
	}
	rs := parseResponse(429, http.Header{"Retry-After": {"7"}}, nil, []string{"a"}, testNow)
	if got := vendors.RetryAfterOf(rs[0].Err); got != 7*time.Second {
		t.Errorf("RetryAfter = %s, want 7s", got)
	}
}

func TestParseToken(t *testing.T) {
	tok, ttl, err := hms.ParseToken(vendors.Huawei, 200, http.Header{}, []byte(`{"access_token":"AT","expires_in":3600,"token_type":"Bearer"}`), testNow)
	if err != nil || tok != "AT" || ttl != time.Hour {
		t.Fatalf("got %q %s %v", tok, ttl, err)
	}
	cases := []struct {
		status int
		body   string
		kind   vendors.Kind
		code   string
	}{
		{400, `{"error":1101,"sub_error":20002,"error_description":"invalid client"}`, vendors.Auth, "1101"},
		{401, ``, vendors.Auth, ""},
		{503, ``, vendors.Retryable, ""},
		{429, ``, vendors.RateLimited, ""},
		{200, `{"token_type":"Bearer"}`, vendors.Retryable, ""},
	}
	for _, c := range cases {
		_, _, err := hms.ParseToken(vendors.Huawei, c.status, http.Header{}, []byte(c.body), testNow)
		if vendors.KindOf(err) != c.kind || vendors.CodeOf(err) != c.code {
			t.Errorf("%d %s: %v, want %s %q", c.status, c.body, err, c.kind, c.code)
		}
	}
}

func checkAll(t *testing.T, name string, rs []vendors.Result, tokens []string, want vendors.Kind) {
	t.Helper()
	if len(rs) != len(tokens) {
		t.Fatalf("%s: %d results for %d tokens", name, len(rs), len(tokens))
	}
	for i, r := range rs {
		if r.Token != tokens[i] || r.Kind() != want {
			t.Fatalf("%s: result %d = %q %s (%v), want %s", name, i, r.Token, r.Kind(), r.Err, want)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add(200, []byte(`{"code":"80000000","msg":"Success","requestId":"1"}`), uint8(2))
	f.Add(200, []byte(`{"code":"80100000","msg":"{\"illegal_tokens\":[\"t1\"]}"}`), uint8(3))
	f.Add(200, []byte(`{"code":"80100000","msg":"{\"illegalTokens\":{\"x\":[\"t0\"]}}"}`), uint8(3))
	f.Add(401, []byte(`{"code":"80200003","msg":"expired"}`), uint8(1))
	f.Add(503, []byte(``), uint8(4))
	f.Add(200, []byte(`{"code":80000000,"requestId":7}`), uint8(1))
	f.Fuzz(func(t *testing.T, status int, body []byte, n uint8) {
		tokens := make([]string, n%50)
		for i := range tokens {
			tokens[i] = fmt.Sprintf("t%d", i%7)
		}
		rs := parseResponse(status, http.Header{}, body, tokens, testNow)
		if len(rs) != len(tokens) {
			t.Fatalf("%d results for %d tokens", len(rs), len(tokens))
		}
		for i, r := range rs {
			if r.Token != tokens[i] || r.Kind() > vendors.Rejected {
				t.Fatalf("result %d = %+v", i, r)
			}
		}
	})
}

func FuzzParseToken(f *testing.F) {
	f.Add(200, []byte(`{"access_token":"AT","expires_in":3600}`))
	f.Add(400, []byte(`{"error":1101,"sub_error":20002}`))
	f.Add(200, []byte(`{"access_token":"AT","expires_in":"-5"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		tok, ttl, err := hms.ParseToken(vendors.Huawei, status, http.Header{}, body, testNow)
		if err == nil && (tok == "" || ttl <= 0) {
			t.Fatalf("no error but token %q ttl %s", tok, ttl)
		}
		if err != nil && tok != "" {
			t.Fatalf("error %v with token %q", err, tok)
		}
	})
}
