package oppo

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

// TestClassifyEveryDocumentedCode walks vendor-protocols.md §5's error
// table, written out again here rather than derived from response.go.
func TestClassifyEveryDocumentedCode(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC) // 20:30 in China
	const untilMidnight = 3*time.Hour + 30*time.Minute
	cases := []struct {
		code  int
		kind  vendors.Kind
		after time.Duration // expected RetryAfter; -1 = any positive
	}{
		{0, vendors.OK, 0}, {32, vendors.OK, 0},
		{-1, vendors.Retryable, 0},
		{-2, vendors.RateLimited, -1}, {13, vendors.RateLimited, -1}, {55, vendors.RateLimited, -1},
		{11, vendors.Auth, 0}, {29, vendors.Auth, 0},
		{33, vendors.RateLimited, untilMidnight}, {34, vendors.RateLimited, untilMidnight},
		{12, vendors.Rejected, 0}, {14, vendors.Rejected, 0}, {15, vendors.Rejected, 0},
		{16, vendors.Rejected, 0}, {17, vendors.Rejected, 0}, {18, vendors.Rejected, 0}, {19, vendors.Rejected, 0},
		{20, vendors.Rejected, 0}, {21, vendors.Rejected, 0}, {22, vendors.Rejected, 0}, {23, vendors.Rejected, 0},
		{24, vendors.Rejected, 0}, {25, vendors.Rejected, 0}, {26, vendors.Rejected, 0}, {27, vendors.Rejected, 0},
		{28, vendors.Rejected, 0}, {30, vendors.Rejected, 0}, {31, vendors.Rejected, 0},
		{40, vendors.Rejected, 0}, {41, vendors.Rejected, 0}, {51, vendors.Rejected, 0}, {59, vendors.Rejected, 0},
		{67, vendors.Rejected, 0},
		{10000, vendors.InvalidToken, 0},
		{12345, vendors.Rejected, 0}, // undocumented business code
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			err := classify(200, code(strconv.Itoa(c.code)), "msg", 0, now)
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
				t.Errorf("code %q not kept verbatim", vendors.CodeOf(err))
			}
		})
	}
}

func TestClassifyWithoutCode(t *testing.T) {
	cases := []struct {
		status int
		kind   vendors.Kind
	}{
		{200, vendors.Retryable}, {500, vendors.Retryable}, {502, vendors.Retryable}, {503, vendors.Retryable},
		{429, vendors.RateLimited}, {401, vendors.Auth}, {400, vendors.Rejected}, {404, vendors.Rejected},
	}
	for _, c := range cases {
		if got := vendors.KindOf(classify(c.status, "", "", 0, time.Now())); got != c.kind {
			t.Errorf("HTTP %d: %v, want %v", c.status, got, c.kind)
		}
	}
	// An undocumented code on a server error stays retryable.
	if got := vendors.KindOf(classify(503, "999", "", 0, time.Now())); got != vendors.Retryable {
		t.Errorf("503 with unknown code: %v", got)
	}
}

func TestParseBodyOnNon2xx(t *testing.T) {
	r := parseUnicast(500, []byte(`{"code":11,"message":"Invalid AuthToken"}`), 0, "t", time.Now())
	if r.Kind() != vendors.Auth {
		t.Errorf("500 with code 11: %v", r.Err)
	}
	r = parseUnicast(200, []byte(`{"code":"10000","message":"registration_id格式不正确"}`), 0, "t", time.Now())
	if r.Kind() != vendors.InvalidToken {
		t.Errorf("quoted code: %v", r.Err)
	}
}

func TestParseBatchMatchesByRegistrationID(t *testing.T) {
	body := `{"code":0,"message":"","data":[
		{"registrationId":"b","errorCode":10000,"errorMessage":"bad"},
		{"registrationId":"a","messageId":"m-a"},
		{"registrationId":"c","errorCode":33,"errorMessage":"daily"}]}`
	rs := parseBatch(200, []byte(body), 0, []string{"a", "b", "c", "d"}, time.Now())
	want := []vendors.Kind{vendors.OK, vendors.InvalidToken, vendors.RateLimited, vendors.Retryable}
	for i, r := range rs {
		if r.Kind() != want[i] {
			t.Errorf("%s: %v, want %v", r.Token, r.Err, want[i])
		}
	}
	if rs[0].MessageID != "m-a" {
		t.Errorf("message id %q", rs[0].MessageID)
	}
	// Items without registrationId are matched by position.
	rs = parseBatch(200, []byte(`{"code":0,"data":[{"messageId":"1"},{"errorCode":10000}]}`), 0, []string{"x", "y"}, time.Now())
	if rs[0].MessageID != "1" || rs[1].Kind() != vendors.InvalidToken {
		t.Errorf("positional: %+v", rs)
	}
}

func FuzzParseBatch(f *testing.F) {
	f.Add(200, []byte(`{"code":0,"data":[{"registrationId":"t0","messageId":"x"}]}`), uint8(3))
	f.Add(200, []byte(`{"code":0,"data":{"messageId":"x"}}`), uint8(1))
	f.Add(500, []byte(`<html>bad gateway</html>`), uint8(2))
	f.Add(200, []byte(`{"code":"33","message":null,"data":null}`), uint8(4))
	f.Add(200, []byte(`{"code":0,"data":[{"registrationId":"t1","errorCode":"x"},null,7]}`), uint8(2))
	f.Add(200, []byte(`{"code":1e400}`), uint8(1))
	f.Fuzz(func(t *testing.T, status int, body []byte, n uint8) {
		tokens := make([]string, int(n)%50+1)
		for i := range tokens {
			tokens[i] = fmt.Sprintf("t%d", i%7)
		}
		rs := parseBatch(status, body, 0, tokens, time.Now())
		if len(rs) != len(tokens) {
			t.Fatalf("%d results for %d tokens", len(rs), len(tokens))
		}
		for i, r := range rs {
			if r.Token != tokens[i] {
				t.Fatalf("result %d for %q, want %q", i, r.Token, tokens[i])
			}
		}
		u := parseUnicast(status, body, 0, "only", time.Now())
		if u.Token != "only" {
			t.Fatalf("unicast result for %q", u.Token)
		}
	})
}
