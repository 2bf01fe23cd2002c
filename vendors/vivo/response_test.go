package vivo

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

// TestClassifyEveryDocumentedCode walks vendor-protocols.md §6's error
// table, written out again here rather than derived from response.go.
func TestClassifyEveryDocumentedCode(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC) // 20:30 in China
	const untilMidnight = 3*time.Hour + 30*time.Minute
	const until7 = 10*time.Hour + 30*time.Minute // 20:30 → 07:00 next day
	type row struct {
		code  int
		kind  vendors.Kind
		after time.Duration // -1 = any positive
	}
	cases := []row{
		{0, vendors.OK, 0},
		{10000, vendors.Auth, 0},
		{10070, vendors.RateLimited, untilMidnight}, {10073, vendors.RateLimited, untilMidnight},
		{10252, vendors.RateLimited, untilMidnight}, {10254, vendors.RateLimited, untilMidnight},
		{10071, vendors.RateLimited, until7},
		{10072, vendors.RateLimited, -1}, {10250, vendors.RateLimited, -1},
		{10302, vendors.InvalidToken, 0},
		{99999, vendors.Rejected, 0},
	}
	for c := 10050; c <= 10069; c++ {
		cases = append(cases, row{c, vendors.Rejected, 0})
	}
	for _, c := range []int{10094, 10150, 10151, 10153, 10154, 10200, 10206, 10207, 10301, 10305, 10306, 10352, 10353, 10471, 10473} {
		cases = append(cases, row{c, vendors.Rejected, 0})
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			err := classify(200, code(strconv.Itoa(c.code)), "desc", 0, now)
			if got := vendors.KindOf(err); got != c.kind {
				t.Fatalf("kind %v, want %v (%v)", got, c.kind, err)
			}
			if err == nil {
				return
			}
			ra := vendors.RetryAfterOf(err)
			if (c.after == -1 && ra <= 0) || (c.after >= 0 && ra != c.after) {
				t.Errorf("RetryAfter %v, want %v", ra, c.after)
			}
			if vendors.CodeOf(err) != strconv.Itoa(c.code) {
				t.Errorf("code %q not verbatim", vendors.CodeOf(err))
			}
		})
	}
}

func TestClassifyWithoutResult(t *testing.T) {
	cases := map[int]vendors.Kind{200: vendors.Retryable, 500: vendors.Retryable, 503: vendors.Retryable,
		429: vendors.RateLimited, 401: vendors.Auth, 400: vendors.Rejected}
	for status, want := range cases {
		if got := vendors.KindOf(classify(status, "", "", 0, time.Now())); got != want {
			t.Errorf("HTTP %d: %v, want %v", status, got, want)
		}
	}
	r := parseSend(500, []byte("Internet server error!"), 0, "t", time.Now())
	if r.Kind() != vendors.Retryable || r.Token != "t" {
		t.Errorf("HTTP 500 text: %+v", r)
	}
}

func TestNextChinaHour(t *testing.T) {
	cases := []struct{ now, want string }{
		{"2026-11-25T12:30:00Z", "2026-11-25T23:00:00Z"}, // 20:30 CST → 07:00 CST
		{"2026-11-25T22:00:00Z", "2026-11-25T23:00:00Z"}, // 06:00 CST → 07:00 CST
		{"2026-11-25T23:00:00Z", "2026-11-26T23:00:00Z"}, // exactly 07:00 → tomorrow
	}
	for _, c := range cases {
		now, _ := time.Parse(time.RFC3339, c.now)
		if got := nextChinaHour(now, 7).UTC().Format(time.RFC3339); got != c.want {
			t.Errorf("%s: %s, want %s", c.now, got, c.want)
		}
	}
}

func TestParseSendInvalidUser(t *testing.T) {
	body := `{"result":10302,"desc":"regId不合法","invalidUser":{"status":2,"userid":"t"}}`
	r := parseSend(200, []byte(body), 0, "t", time.Now())
	if r.Kind() != vendors.InvalidToken || vendors.CodeOf(r.Err) != "10302" {
		t.Errorf("%v", r.Err)
	}
	ok := parseSend(200, []byte(`{"result":0,"desc":"请求成功","taskId":121397329}`), 0, "t", time.Now())
	if ok.Err != nil || ok.MessageID != "121397329" {
		t.Errorf("numeric taskId: %+v", ok)
	}
}

func TestParseListInvalidUsers(t *testing.T) {
	body := `{"result":0,"desc":"请求成功","invalidUsers":[{"status":1,"userid":"b"},{"status":"3","userid":"d"}]}`
	rs := parseList(200, []byte(body), 0, []string{"a", "b", "c", "d"}, "T1", time.Now())
	want := []vendors.Kind{vendors.OK, vendors.InvalidToken, vendors.OK, vendors.InvalidToken}
	for i, r := range rs {
		if r.Kind() != want[i] {
			t.Errorf("%s: %v", r.Token, r.Err)
		}
	}
	if rs[0].MessageID != "T1" {
		t.Errorf("message id %q", rs[0].MessageID)
	}
	if _, err := parseSave(200, []byte(`{"result":0}`), 0, time.Now()); vendors.KindOf(err) != vendors.Retryable {
		t.Errorf("save without taskId: %v", err)
	}
}

func FuzzParseList(f *testing.F) {
	f.Add(200, []byte(`{"result":0,"invalidUsers":[{"status":1,"userid":"t1"}]}`), uint8(3))
	f.Add(200, []byte(`{"result":"10070","desc":null}`), uint8(2))
	f.Add(500, []byte(`Internet server error!`), uint8(1))
	f.Add(200, []byte(`{"result":0,"invalidUsers":{"userid":"t1"},"taskId":[1]}`), uint8(4))
	f.Add(200, []byte(`{"result":10302,"invalidUser":null}`), uint8(1))
	f.Fuzz(func(t *testing.T, status int, body []byte, n uint8) {
		tokens := make([]string, int(n)%40+1)
		for i := range tokens {
			tokens[i] = fmt.Sprintf("t%d", i%5)
		}
		rs := parseList(status, body, 0, tokens, "task", time.Now())
		if len(rs) != len(tokens) {
			t.Fatalf("%d results for %d tokens", len(rs), len(tokens))
		}
		for i, r := range rs {
			if r.Token != tokens[i] {
				t.Fatalf("result %d for %q", i, r.Token)
			}
		}
		if r := parseSend(status, body, 0, "one", time.Now()); r.Token != "one" {
			t.Fatalf("send result for %q", r.Token)
		}
		_, _ = parseSave(status, body, 0, time.Now())
	})
}
