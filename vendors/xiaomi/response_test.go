package xiaomi

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

// now is 2026-11-25 20:00 in China (UTC+8): the quota resets in 4 hours.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// TestClassifyEveryDocumentedCode covers every row of vendor-protocols.md
// §3 "Error table".
func TestClassifyEveryDocumentedCode(t *testing.T) {
	type row struct {
		codes  []int
		reason string
		want   vendors.Kind
	}
	rows := []row{
		{[]int{0, 65003}, "", vendors.OK},
		{[]int{20301}, "No valid targets!", vendors.InvalidToken},
		{[]int{20301}, "send failed", vendors.Retryable},
		{[]int{21301, 21302, 21303}, "Invalid application secret.", vendors.Rejected},
		{[]int{22000, 22006, 22007, 22022, 10031, 10036}, "illegal app", vendors.Rejected},
		{[]int{10008, 10012, 10016, 10017, 21305, 27001, 26006}, "bad parameter", vendors.Rejected},
		{[]int{65008, 65009, 65010, 65011, 65012, 65013, 65014, 65015, 65016, 65017, 65036, 65037, 65038}, "bad parameter", vendors.Rejected},
		{[]int{10027, 10030, 10039, 26004}, "too frequent", vendors.RateLimited},
		{[]int{10034}, "daily quota", vendors.RateLimited},
		{[]int{-1, 1, 10001, 10002, 10003, 26003, 65029}, "busy", vendors.Retryable},
		{[]int{99999}, "undocumented", vendors.Rejected},
	}
	tokens := []string{"a", "b"}
	for _, r := range rows {
		for _, code := range r.codes {
			t.Run(fmt.Sprintf("%d/%s", code, r.reason), func(t *testing.T) {
				body := fmt.Sprintf(`{"result":"error","code":%d,"reason":%q,"trace_id":"x"}`, code, r.reason)
				rs := parseResponse(http.StatusOK, http.Header{}, []byte(body), tokens, testNow)
				checkAll(t, rs, tokens, r.want)
				if r.want == vendors.OK {
					return
				}
				e := rs[0].Err.(*vendors.Error)
				if e.Code != fmt.Sprint(code) || e.Status != http.StatusOK || e.Vendor != vendors.Xiaomi {
					t.Errorf("error = %+v, want code %d status 200", e, code)
				}
			})
		}
	}
}

func TestQuotaWaitsUntilChinaMidnightAndRateLimitsBriefly(t *testing.T) {
	quota := parseResponse(200, http.Header{}, []byte(`{"code":10034,"reason":"quota"}`), []string{"a"}, testNow)
	if got := vendors.RetryAfterOf(quota[0].Err); got != 4*time.Hour {
		t.Errorf("quota RetryAfter = %s, want 4h", got)
	}
	rate := parseResponse(200, http.Header{}, []byte(`{"code":10027}`), []string{"a"}, testNow)
	if got := vendors.RetryAfterOf(rate[0].Err); got != rateLimitWait {
		t.Errorf("rate-limit RetryAfter = %s, want %s", got, rateLimitWait)
	}
	h := http.Header{"Retry-After": {"12"}}
	rate = parseResponse(200, h, []byte(`{"code":10027}`), []string{"a"}, testNow)
	if got := vendors.RetryAfterOf(rate[0].Err); got != 12*time.Second {
		t.Errorf("rate-limit RetryAfter with header = %s, want 12s", got)
	}
}

func TestClassifyByStatusWhenThereIsNoXiaomiBody(t *testing.T) {
	cases := []struct {
		status int
		body   string
		want   vendors.Kind
	}{
		{http.StatusServiceUnavailable, "", vendors.Retryable},
		{http.StatusInternalServerError, "<html>oops</html>", vendors.Retryable},
		{http.StatusTooManyRequests, "", vendors.RateLimited},
		{http.StatusNotFound, "not found", vendors.Rejected},
		{http.StatusOK, "not json", vendors.Retryable},
		{http.StatusOK, `{"result":"ok"}`, vendors.Retryable},
		{http.StatusOK, `{"code":"abc"}`, vendors.Rejected},
		// A Xiaomi body wins over the status.
		{http.StatusBadGateway, `{"code":21301,"reason":"Invalid application secret."}`, vendors.Rejected},
	}
	for _, c := range cases {
		rs := parseResponse(c.status, http.Header{}, []byte(c.body), []string{"a", "b", "c"}, testNow)
		checkAll(t, rs, []string{"a", "b", "c"}, c.want)
		if e, ok := rs[0].Err.(*vendors.Error); ok && e.Status != c.status {
			t.Errorf("%d %q: Status = %d", c.status, c.body, e.Status)
		}
	}
}

func TestBadRegIDsAreInvalidOthersOK(t *testing.T) {
	tokens := []string{"a", "b", "c", "d"}
	for _, body := range []string{
		`{"result":"ok","code":0,"data":{"id":"scm1","bad_regids":"b,d"}}`,
		`{"result":"ok","code":"0","data":{"id":"scm1","bad_regids":["b","d"]}}`,
	} {
		rs := parseResponse(200, http.Header{}, []byte(body), tokens, testNow)
		want := []vendors.Kind{vendors.OK, vendors.InvalidToken, vendors.OK, vendors.InvalidToken}
		for i, r := range rs {
			if r.Token != tokens[i] || r.Kind() != want[i] {
				t.Fatalf("%s: result %d = %s %s, want %s %s", body, i, r.Token, r.Kind(), tokens[i], want[i])
			}
			if r.Kind() == vendors.OK && r.MessageID != "scm1" {
				t.Errorf("MessageID = %q", r.MessageID)
			}
		}
	}
}

func checkAll(t *testing.T, rs []vendors.Result, tokens []string, want vendors.Kind) {
	t.Helper()
	if len(rs) != len(tokens) {
		t.Fatalf("%d results for %d tokens", len(rs), len(tokens))
	}
	for i, r := range rs {
		if r.Token != tokens[i] || r.Kind() != want {
			t.Fatalf("result %d = %q %s (%v), want %q %s", i, r.Token, r.Kind(), r.Err, tokens[i], want)
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add(200, []byte(`{"result":"ok","code":0,"data":{"id":"scm1","bad_regids":"b"}}`), uint8(3))
	f.Add(200, []byte(`{"result":"error","code":20301,"reason":"No valid targets!"}`), uint8(2))
	f.Add(200, []byte(`{"code":10034}`), uint8(1))
	f.Add(503, []byte(``), uint8(4))
	f.Add(200, []byte(`{"code":null,"data":{"bad_regids":[1,2]}}`), uint8(2))
	f.Add(429, []byte(`{"code":"1e99"}`), uint8(0))
	f.Fuzz(func(t *testing.T, status int, body []byte, n uint8) {
		tokens := make([]string, n%50)
		for i := range tokens {
			tokens[i] = fmt.Sprintf("t%d", i%7) // duplicates on purpose
		}
		rs := parseResponse(status, http.Header{"Retry-After": {"3"}}, body, tokens, testNow)
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
