package vendorhttp

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
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
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a'
	}
	if got := Snippet(append([]byte("  "), long...)); len(got) != 200 {
		t.Errorf("snippet of %d bytes, want 200", len(got))
	}
	if got := Snippet([]byte("ok\xff")); got != "ok" {
		t.Errorf("invalid UTF-8 kept: %q", got)
	}
}
