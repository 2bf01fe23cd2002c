package honor

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/hms"

	"github.com/pushd/pushd/vendors"
)

var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// TestClassifyEveryDocumentedSignal covers every row of vendor-protocols.md
// §8's proposed classification table.
func TestClassifyEveryDocumentedSignal(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   vendors.Kind
		code   string
	}{
		{200, `{"code":200,"message":"success","data":{"sendResult":true,"requestId":"r1"}}`, vendors.OK, ""},
		{200, `{"code":"80000000","message":"Success","data":{"requestId":"r1"}}`, vendors.OK, ""},
		{401, ``, vendors.Auth, ""},
		{401, `{"code":80200001,"message":"Oauth authentication error"}`, vendors.Auth, "80200001"},
		{401, `{"code":80200003,"message":"Oauth Token expired"}`, vendors.Auth, "80200003"},
		{503, ``, vendors.Retryable, ""},
		{500, `<html>internal</html>`, vendors.Retryable, ""},
		{502, ``, vendors.Retryable, ""},
		{500, `{"code":81000001,"message":"internal"}`, vendors.Retryable, "81000001"},
		{400, `{"code":80100001,"message":"bad param"}`, vendors.Rejected, "80100001"},
		{400, `{"code":80100003,"message":"bad structure"}`, vendors.Rejected, "80100003"},
		{400, `{"code":80100016,"message":"sensitive"}`, vendors.Rejected, "80100016"},
		{413, `{"code":80300008,"message":"too large"}`, vendors.Rejected, "80300008"},
		{400, `{"code":80300010,"message":"too many tokens"}`, vendors.Rejected, "80300010"},
		{400, `{"code":80300007,"message":"invalid token"}`, vendors.InvalidToken, "80300007"},
		{429, ``, vendors.RateLimited, ""},
		{400, `{"code":12345,"message":"undocumented"}`, vendors.Rejected, "12345"},
		{503, `{"code":12345,"message":"undocumented"}`, vendors.Retryable, "12345"},
		{200, `{"code":200,"data":{"sendResult":false}}`, vendors.Retryable, "200"},
	}
	tokens := []string{"a", "b"}
	for _, c := range cases {
		rs := parseResponse(c.status, http.Header{}, []byte(c.body), tokens, testNow)
		checkAll(t, c.body, rs, tokens, c.want)
		if c.want == vendors.OK {
			if rs[0].MessageID != "r1" {
				t.Errorf("MessageID = %q", rs[0].MessageID)
			}
			continue
		}
		if e := rs[0].Err.(*vendors.Error); e.Code != c.code || e.Status != c.status {
			t.Errorf("%d %s: error %+v", c.status, c.body, e)
		}
	}
}

func TestExpireAndFailTokensInASuccessAnswer(t *testing.T) {
	tokens := []string{"a", "b", "c", "d"}
	body := `{"code":200,"message":"success","data":{"sendResult":true,"requestId":"r7","failTokens":["b"],"expireTokens":["d"]}}`
	rs := parseResponse(200, http.Header{}, []byte(body), tokens, testNow)
	want := []vendors.Kind{vendors.OK, vendors.Retryable, vendors.OK, vendors.InvalidToken}
	for i, r := range rs {
		if r.Token != tokens[i] || r.Kind() != want[i] {
			t.Fatalf("result %d = %s %s, want %s", i, r.Token, r.Kind(), want[i])
		}
	}
	if rs[0].MessageID != "r7" || vendors.CodeOf(rs[3].Err) != codeExpireToken {
		t.Errorf("MessageID %q, expired code %q", rs[0].MessageID, vendors.CodeOf(rs[3].Err))
	}
}

func TestParseToken(t *testing.T) {
	tok, ttl, err := hms.ParseToken(vendors.Honor, 200, http.Header{}, []byte(`{"access_token":"AT","expires_in":1800,"token_type":"Bearer"}`), testNow)
	if err != nil || tok != "AT" || ttl != 30*time.Minute {
		t.Fatalf("got %q %s %v", tok, ttl, err)
	}
	if _, ttl, _ := hms.ParseToken(vendors.Honor, 200, http.Header{}, []byte(`{"access_token":"AT"}`), testNow); ttl != time.Hour {
		t.Errorf("default ttl %s", ttl)
	}
	_, _, err = hms.ParseToken(vendors.Honor, 401, http.Header{}, []byte(`{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}`), testNow)
	if vendors.KindOf(err) != vendors.Auth || vendors.CodeOf(err) != "unauthorized_client" {
		t.Errorf("refusal: %v", err)
	}
	if _, _, err = hms.ParseToken(vendors.Honor, 503, http.Header{}, nil, testNow); vendors.KindOf(err) != vendors.Retryable {
		t.Errorf("503: %v", err)
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
	f.Add(200, []byte(`{"code":200,"data":{"sendResult":true,"requestId":"r","failTokens":["t1"],"expireTokens":["t2"]}}`), uint8(3))
	f.Add(200, []byte(`{"code":"80000000","data":null}`), uint8(1))
	f.Add(401, []byte(`{"code":80200003}`), uint8(2))
	f.Add(503, []byte(``), uint8(4))
	f.Add(200, []byte(`{"code":200,"data":{"sendResult":false,"requestId":5}}`), uint8(2))
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
	f.Add(401, []byte(`{"error":"unauthorized_client"}`))
	f.Add(200, []byte(`{"access_token":"AT","expires_in":"abc"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		tok, ttl, err := hms.ParseToken(vendors.Honor, status, http.Header{}, body, testNow)
		if err == nil && (tok == "" || ttl <= 0) {
			t.Fatalf("no error but token %q ttl %s", tok, ttl)
		}
		if err != nil && tok != "" {
			t.Fatalf("error %v with token %q", err, tok)
		}
	})
}
