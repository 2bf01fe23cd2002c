package vendorhttp

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestFlexString(t *testing.T) {
	for in, want := range map[string]FlexString{`"80000000"`: "80000000", `200`: "200", `null`: "", `1.5e3`: "1.5e3"} {
		var s FlexString
		if err := json.Unmarshal([]byte(in), &s); err != nil || s != want {
			t.Errorf("%s: %q, %v; want %q", in, s, err, want)
		}
	}
	var s FlexString
	if err := json.Unmarshal([]byte(`{}`), &s); err == nil {
		t.Errorf("an object was accepted as %q", s)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", 7 * time.Second},
		{"12", 12 * time.Second},
		{"-3", 7 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 7 * time.Second},
		{"soon", 7 * time.Second},
		{"0", 7 * time.Second},
		{"99999999", MaxRetryAfter},
		{"99999999999999999999", 7 * time.Second},
		{now.Add(30 * 24 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.header != "" {
			h.Set("Retry-After", c.header)
		}
		if got := RetryAfter(h, now, 7*time.Second); got != c.want {
			t.Errorf("%q: %v, want %v", c.header, got, c.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("a", 199) + "é" + strings.Repeat("b", 100)
	cases := []struct{ name, in, want string }{
		{"trimmed", "  <html>bad gateway</html>\n", "<html>bad gateway</html>"},
		{"invalid UTF-8 dropped", "ok\xff", "ok"},
		{"cut on a character", long, strings.Repeat("a", 199) + "…"},
		{"JSON access token", `{"access_token":"tok-123","expires_in":3600}`,
			`{"access_token":"<redacted>","expires_in":3600}`},
		{"JSON secret with spaces", `{"error":"x", "client_secret" : "s3cr3t"}`,
			`{"error":"x", "client_secret" : "<redacted>"}`},
		{"form secret", "grant_type=client_credentials&client_secret=s3cr3t&client_id=1",
			"grant_type=client_credentials&client_secret=<redacted>&client_id=1"},
		{"OPPO auth_token and sign", `{"auth_token":"abc","sign":"def0"}`,
			`{"auth_token":"<redacted>","sign":"<redacted>"}`},
		{"bearer echoed", "bad header Authorization: Bearer eyJ.abc-_/=", "bad header Authorization: Bearer <redacted>"},
		{"no secret", `{"code":80300007,"msg":"all tokens invalid"}`, `{"code":80300007,"msg":"all tokens invalid"}`},
	}
	for _, c := range cases {
		got := Snippet([]byte(c.in))
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if len(got) > SnippetBytes+len("…") {
			t.Errorf("%s: %d bytes", c.name, len(got))
		}
	}
	if got := Snippet([]byte(`{"secret":"` + strings.Repeat("x", 500) + `"}`)); strings.Contains(got, "xxx") {
		t.Errorf("a long secret leaked: %q", got)
	}
}

func TestFlexStringInt(t *testing.T) {
	cases := []struct {
		in   FlexString
		n    int
		ok   bool
		isOK bool
	}{
		{"0", 0, true, true}, {" 10000 ", 10000, true, false}, {"", 0, false, false}, {"80000000", 80000000, true, false},
		{"abc", 0, false, false},
	}
	for _, c := range cases {
		n, ok := c.in.Int()
		if n != c.n || ok != c.ok || c.in.Is(0) != c.isOK {
			t.Errorf("%q: Int() = %d, %v; Is(0) = %v", c.in, n, ok, c.in.Is(0))
		}
	}
	if !FlexString(" 10000 ").Is(10000) {
		t.Error("10000 is not 10000")
	}
}

func TestBatchRefusesOnlyMoreThanMax(t *testing.T) {
	b := Batch{V: vendors.Meizu, Max: 2}
	cases := []struct {
		tokens []string
		want   vendors.Kind
	}{
		{nil, vendors.OK}, {[]string{"a"}, vendors.OK}, {[]string{"a", "b"}, vendors.OK},
		{[]string{"a", "b", "c"}, vendors.Rejected},
	}
	for _, c := range cases {
		err := b.TooMany(c.tokens)
		if got := vendors.KindOf(err); got != c.want {
			t.Errorf("%d tokens: %v (%s), want %s", len(c.tokens), err, got, c.want)
		}
	}
	err := b.TooMany([]string{"a", "b", "c"})
	if e, ok := err.(*vendors.Error); !ok || e.Vendor != vendors.Meizu || e.Message != "3 tokens exceed the batch limit of 2" {
		t.Errorf("error %#v", err)
	}
	if b.Vendor() != vendors.Meizu || b.MaxBatch() != 2 {
		t.Errorf("Vendor %s, MaxBatch %d", b.Vendor(), b.MaxBatch())
	}
}

func TestMarshalUnescapedKeepsHTMLAndDropsTheNewline(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{map[string]string{"title": "<a> & b"}, `{"title":"<a> & b"}`},
		{[]int{1, 2}, `[1,2]`},
		{"x", `"x"`},
	}
	for _, c := range cases {
		got, err := MarshalUnescaped(c.in)
		if err != nil || string(got) != c.want {
			t.Errorf("%v: %s, %v, want %s", c.in, got, err, c.want)
		}
	}
	if _, err := MarshalUnescaped(func() {}); err == nil {
		t.Error("a func encoded")
	}
}

func TestBatchRefusedAndSized(t *testing.T) {
	b := Batch{V: vendors.Vivo, Max: 2}
	cases := []struct {
		tokens  []string
		refused bool
		results int
		sized   string
	}{
		{nil, true, 0, "vivo: 0 tokens, want 1..2"},
		{[]string{"a"}, false, 0, ""},
		{[]string{"a", "b"}, false, 0, ""},
		{[]string{"a", "b", "c"}, true, 3, "vivo: 3 tokens, want 1..2"},
	}
	for _, c := range cases {
		rs, refused := b.Refused(c.tokens)
		if refused != c.refused || len(rs) != c.results {
			t.Errorf("%d tokens: refused %v with %d results", len(c.tokens), refused, len(rs))
		}
		for _, r := range rs {
			if r.Kind() != vendors.Rejected {
				t.Errorf("%d tokens: result %+v", len(c.tokens), r)
			}
		}
		if err := b.Sized(c.tokens); (err == nil) != (c.sized == "") || (err != nil && err.Error() != c.sized) {
			t.Errorf("%d tokens: Sized %v, want %q", len(c.tokens), err, c.sized)
		}
	}
}
