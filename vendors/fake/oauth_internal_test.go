package fake

import (
	"testing"
	"time"
)

func TestHWClickFault(t *testing.T) {
	cases := []struct {
		c       hwClick
		schemes []string
		want    string
	}{
		{hwClick{Type: 1, Action: "a"}, []string{"https://"}, ""},
		{hwClick{Type: 1}, []string{"https://"}, "intent or action is required when type is 1"},
		{hwClick{Type: 2, URL: "https://x"}, []string{"https://"}, ""},
		{hwClick{Type: 2, URL: "http://x"}, []string{"https://"}, "url must be https:// when type is 2"},
		{hwClick{Type: 2, URL: "http://x"}, []string{"https://", "http://"}, ""},
		{hwClick{Type: 3}, []string{"https://"}, ""},
		{hwClick{Type: 4}, []string{"https://"}, "x type must be 1, 2 or 3"},
	}
	for _, c := range cases {
		if got := c.c.fault("x", c.schemes...); got != c.want {
			t.Errorf("%+v %v: %q, want %q", c.c, c.schemes, got, c.want)
		}
	}
}

func TestRequestIDsAndClock(t *testing.T) {
	var ids requestIDs
	at := time.UnixMilli(1_700_000_000_123)
	if a, b := ids.next(at, 6), ids.next(at, 8); a != "1700000000123000001" || b != "170000000012300000002" {
		t.Errorf("ids %s %s", a, b)
	}
	if clock(nil) == nil || !clock(func() time.Time { return at })().Equal(at) {
		t.Error("clock does not keep the options' clock or default to time.Now")
	}
}
