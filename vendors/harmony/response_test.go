package harmony

import (
	"net/http"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

var testNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestResponseClassification(t *testing.T) {
	tokens := []string{"a", "b"}
	retry := http.Header{"Retry-After": {"7"}}
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		kinds  []vendors.Kind
		code   string
		wait   time.Duration
	}{
		{"success", 200, nil, `{"code":"80000000","msg":"Success","requestId":"1574000000006"}`, []vendors.Kind{vendors.OK, vendors.OK}, "", 0},
		{"partial by reason", 200, nil, `{"code":"80100000","msg":"{\"illegalTokens\":{\"tokenFormatError\":[\"b\"]},\"success\":1,\"failure\":1}","requestId":"1"}`,
			[]vendors.Kind{vendors.OK, vendors.InvalidToken}, "", 0},
		{"partial, a right missing keeps the binding", 200, nil, `{"code":"80100000","msg":"{\"illegalTokens\":{\"noPushTypeRight\":[\"a\"]},\"success\":1,\"failure\":1}","requestId":"1"}`,
			[]vendors.Kind{vendors.Rejected, vendors.OK}, "", 0},
		{"partial unreadable is retried", 200, nil, `{"code":"80100000","msg":"oops","requestId":"1"}`,
			[]vendors.Kind{vendors.Retryable, vendors.Retryable}, "80100000", 0},
		{"all invalid", 400, nil, `{"code":"80300007","msg":"{\"illegalTokens\":{\"noRight\":[\"a\",\"b\"]},\"failure\":2}","requestId":"1"}`,
			[]vendors.Kind{vendors.InvalidToken, vendors.InvalidToken}, "noRight", 0},
		{"all invalid, list unreadable", 400, nil, `{"code":"80300007","msg":"All the tokens are invalid.","requestId":"1"}`,
			[]vendors.Kind{vendors.InvalidToken, vendors.InvalidToken}, "80300007", 0},
		{"parameter error", 400, nil, `{"code":"80100001","msg":"Check Parameter Error.","requestId":"1"}`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "80100001", 0},
		{"illegal payload", 400, nil, `{"code":"80100003","msg":"Illegal payload, badge addNum value ranges from 1 to 99","requestId":"1690*******1701"}`,
			[]vendors.Kind{vendors.Rejected, vendors.Rejected}, "80100003", 0},
		{"expire time", 400, nil, `{"code":"80100004","msg":"Illegal expire time."}`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "80100004", 0},
		{"image spam", 400, nil, `{"code":"80100022","msg":"Anti-Spam: image not verify."}`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "80100022", 0},
		{"auth", 401, nil, `{"code":"80200001","msg":"Authentication Error."}`, []vendors.Kind{vendors.Auth, vendors.Auth}, "80200001", 0},
		{"jwt expired", 401, nil, `{"code":"80200005","msg":"Jwt token expired."}`, []vendors.Kind{vendors.Auth, vendors.Auth}, "80200005", 0},
		{"jwt lifetime", 401, nil, `{"code":"80300036","msg":"JWT expire period over threshold."}`, []vendors.Kind{vendors.Auth, vendors.Auth}, "80300036", 0},
		{"no permission", 400, nil, `{"code":"80300002","msg":"No permission to send message to these tmIDs."}`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "80300002", 0},
		{"too large", 400, nil, `{"code":"80300008","msg":"Push message size is too long."}`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "80300008", 0},
		{"token count", 400, nil, `{"code":"80300010","msg":"token count should within 1 and 1000."}`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "80300010", 0},
		{"test rate", 503, retry, `{"code":"80300029","msg":"When send test message, the api request exceed limit."}`,
			[]vendors.Kind{vendors.RateLimited, vendors.RateLimited}, "80300029", 7 * time.Second},
		{"test tokens", 400, nil, `{"code":"80300030","msg":"When send test message, token count exceed limit."}`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "80300030", 0},
		{"penalty", 400, nil, `{"code":"80300037","msg":"Disable send huawei msg because of penalty."}`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "80300037", 0},
		{"inner error", 500, nil, `{"code":"81000001","msg":"Inner Error."}`, []vendors.Kind{vendors.Retryable, vendors.Retryable}, "81000001", 0},
		{"unknown code on 503 is flow control", 503, nil, `{"code":"89999999","msg":"?"}`, []vendors.Kind{vendors.RateLimited, vendors.RateLimited}, "89999999", rateLimitWait},
		{"bare 503 is flow control", 503, retry, ``, []vendors.Kind{vendors.RateLimited, vendors.RateLimited}, "", 7 * time.Second},
		{"bare 502", 502, nil, `<html>bad gateway</html>`, []vendors.Kind{vendors.Retryable, vendors.Retryable}, "", 0},
		{"bare 429", 429, nil, ``, []vendors.Kind{vendors.RateLimited, vendors.RateLimited}, "", rateLimitWait},
		{"bare 401", 401, nil, ``, []vendors.Kind{vendors.Auth, vendors.Auth}, "", 0},
		{"bare 404 (wrong URL)", 404, nil, `not found`, []vendors.Kind{vendors.Rejected, vendors.Rejected}, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := parseResponse(c.status, c.header, []byte(c.body), tokens, testNow)
			if len(rs) != len(tokens) {
				t.Fatalf("%d results", len(rs))
			}
			for i, r := range rs {
				if r.Token != tokens[i] || r.Kind() != c.kinds[i] {
					t.Errorf("%s: %s (%v), want %s", r.Token, r.Kind(), r.Err, c.kinds[i])
				}
			}
			last := rs[len(rs)-1].Err
			if c.code != "" && vendors.CodeOf(last) != c.code {
				t.Errorf("code %q, want %q", vendors.CodeOf(last), c.code)
			}
			if got := vendors.RetryAfterOf(last); got != c.wait {
				t.Errorf("retry after %v, want %v", got, c.wait)
			}
		})
	}
}

func TestSuccessCarriesTheRequestID(t *testing.T) {
	rs := parseResponse(200, nil, []byte(`{"code":"80100000","msg":"{\"illegalTokens\":{\"tokenFormatError\":[\"b\"]},\"success\":1,\"failure\":1}","requestId":"17000000000000000001"}`),
		[]string{"a", "b"}, testNow)
	if rs[0].MessageID != "17000000000000000001" || rs[1].MessageID != "" || vendors.CodeOf(rs[1].Err) != "tokenFormatError" {
		t.Fatalf("results %+v", rs)
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add(200, []byte(`{"code":"80100000","msg":"{\"illegalTokens\":{\"x\":[\"a\"]}}"}`))
	f.Add(400, []byte(`{"code":80300007}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if rs := parseResponse(status, http.Header{}, body, []string{"a", "b"}, testNow); len(rs) != 2 {
			t.Fatalf("%d results", len(rs))
		}
	})
}
