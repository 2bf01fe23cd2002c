package meizu

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

// 12:30 UTC is 20:30 in China: a daily quota resets in 3 h 30 min.
var (
	fixedNow      = time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC)
	untilMidnight = 3*time.Hour + 30*time.Minute
)

// TestClassifyTopLevelCodes walks vendor-protocols.md §7's top-level
// table, written out again here.
func TestClassifyTopLevelCodes(t *testing.T) {
	cases := []struct {
		code  int
		kind  vendors.Kind
		after time.Duration
	}{
		{200, vendors.OK, 0},
		{500, vendors.Retryable, 0}, {1001, vendors.Retryable, 0}, {1003, vendors.Retryable, 0},
		{1005, vendors.Rejected, 0}, {1006, vendors.Rejected, 0}, {110000, vendors.Rejected, 0},
		{110001, vendors.Rejected, 0}, {110033, vendors.Rejected, 0}, {110004, vendors.Rejected, 0},
		{110009, vendors.Rejected, 0}, {110031, vendors.Rejected, 0}, {110032, vendors.Rejected, 0},
		{110010, vendors.RateLimited, flowControlBackoff},
		{110019, vendors.RateLimited, untilMidnight}, {110051, vendors.RateLimited, untilMidnight},
		{110053, vendors.RateLimited, untilMidnight},
		{777, vendors.Rejected, 0},
	}
	for _, c := range cases {
		err := classifyTop(200, code(strconv.Itoa(c.code)), "msg", 0, fixedNow)
		if vendors.KindOf(err) != c.kind || vendors.RetryAfterOf(err) != c.after {
			t.Errorf("%d: %v, want %v after %v", c.code, err, c.kind, c.after)
		}
		if err != nil && vendors.CodeOf(err) != strconv.Itoa(c.code) {
			t.Errorf("%d: code %q not verbatim", c.code, vendors.CodeOf(err))
		}
	}
}

// TestClassifyTargetCodes walks the table of codes inside "value".
func TestClassifyTargetCodes(t *testing.T) {
	cases := []struct {
		code int
		kind vendors.Kind
	}{
		{201, vendors.Rejected}, {501, vendors.Retryable}, {513, vendors.Retryable}, {518, vendors.Retryable},
		{519, vendors.Retryable}, {520, vendors.Rejected}, {110002, vendors.InvalidToken},
		{110003, vendors.InvalidToken}, {110005, vendors.InvalidToken}, {110010, vendors.InvalidToken},
		{110011, vendors.RateLimited}, {4242, vendors.Rejected},
	}
	for _, c := range cases {
		err := classifyTarget(200, code(strconv.Itoa(c.code)), fixedNow)
		if vendors.KindOf(err) != c.kind || vendors.CodeOf(err) != strconv.Itoa(c.code) {
			t.Errorf("%d: %v, want %v", c.code, err, c.kind)
		}
	}
	if ra := vendors.RetryAfterOf(classifyTarget(200, "110011", fixedNow)); ra != untilMidnight {
		t.Errorf("110011 waits %v", ra)
	}
}

func TestParseValueShapes(t *testing.T) {
	tokens := []string{"a", "b", "c"}
	cases := []struct {
		body string
		want []vendors.Kind
	}{
		{`{"code":"200","message":"","value":{},"redirect":"","msgId":"m"}`, []vendors.Kind{0, 0, 0}},
		{`{"code":"200","value":"","msgId":"m"}`, []vendors.Kind{0, 0, 0}},
		{`{"code":"200","value":{"110002":["b"],"110010":"a,c"}}`, []vendors.Kind{vendors.InvalidToken, vendors.InvalidToken, vendors.InvalidToken}},
		{`{"code":200,"value":{"513":["c"]}}`, []vendors.Kind{0, 0, vendors.Retryable}},
		{`{"code":"110010","message":"应用请求频率超过限制","value":"","redirect":""}`, []vendors.Kind{vendors.RateLimited, vendors.RateLimited, vendors.RateLimited}},
		{`<html>502</html>`, []vendors.Kind{vendors.Retryable, vendors.Retryable, vendors.Retryable}},
	}
	for _, c := range cases {
		rs := parse(200, []byte(c.body), 0, tokens, fixedNow)
		for i, r := range rs {
			if r.Kind() != c.want[i] {
				t.Errorf("%s: %s %v, want %v", c.body, r.Token, r.Err, c.want[i])
			}
		}
	}
	if rs := parse(200, []byte(`{"code":"200","value":{},"msgId":"NS1"}`), 0, tokens, fixedNow); rs[1].MessageID != "NS1" {
		t.Errorf("msgId %q", rs[1].MessageID)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(200, []byte(`{"code":"200","value":{"110002":["t1"]},"msgId":"m"}`), uint8(3))
	f.Add(200, []byte(`{"code":"110010","value":""}`), uint8(2))
	f.Add(500, []byte(`oops`), uint8(1))
	f.Add(200, []byte(`{"code":"200","value":{"x":[1,2],"110003":{"a":1},"520":"t0,,t2"}}`), uint8(5))
	f.Add(200, []byte(`{"code":null,"value":null,"msgId":12}`), uint8(1))
	f.Fuzz(func(t *testing.T, status int, body []byte, n uint8) {
		tokens := make([]string, int(n)%100+1)
		for i := range tokens {
			tokens[i] = fmt.Sprintf("t%d", i%6)
		}
		rs := parse(status, body, 0, tokens, fixedNow)
		if len(rs) != len(tokens) {
			t.Fatalf("%d results for %d tokens", len(rs), len(tokens))
		}
		for i, r := range rs {
			if r.Token != tokens[i] {
				t.Fatalf("result %d for %q", i, r.Token)
			}
		}
	})
}
