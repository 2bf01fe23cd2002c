package hms

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestStatusError(t *testing.T) {
	cases := []struct {
		status int
		kind   vendors.Kind
	}{
		{200, vendors.Retryable}, {400, vendors.Rejected}, {401, vendors.Auth}, {403, vendors.Rejected},
		{429, vendors.RateLimited}, {500, vendors.Retryable}, {503, vendors.Retryable},
	}
	for _, c := range cases {
		e := StatusError(vendors.Huawei, c.status, http.Header{}, "m", testNow)
		if e.Kind != c.kind || e.Status != c.status || e.Vendor != vendors.Huawei {
			t.Errorf("%d: %+v, want %s", c.status, e, c.kind)
		}
	}
	if e := StatusError(vendors.Honor, 429, http.Header{}, "m", testNow); e.RetryAfter != RateLimitWait {
		t.Errorf("429 without Retry-After waits %v", e.RetryAfter)
	}
}

func TestCodeErrorFallsBackToStatus(t *testing.T) {
	e := CodeError(vendors.Honor, ClassUnknown, 503, http.Header{}, "99", "m", testNow)
	if e.Kind != vendors.Retryable || e.Code != "99" {
		t.Errorf("unknown code on 503: %+v", e)
	}
	e = CodeError(vendors.Honor, ClassFatal, 200, http.Header{}, "80100001", "m", testNow)
	if e.Kind != vendors.Rejected || e.Code != "80100001" {
		t.Errorf("fatal code: %+v", e)
	}
}

func TestTokenStatusErrorIsAuthOn4xx(t *testing.T) {
	if e := TokenStatusError(vendors.Huawei, 403, http.Header{}, []byte("no"), testNow); e.Kind != vendors.Auth {
		t.Errorf("403 token answer: %+v", e)
	}
	if e := TokenStatusError(vendors.Huawei, 502, http.Header{}, nil, testNow); e.Kind != vendors.Retryable {
		t.Errorf("502 token answer: %+v", e)
	}
}

func TestIntentWithExtras(t *testing.T) {
	got := IntentWithExtras("intent://x#Intent;scheme=app;end", map[string]string{"b": "1 2", "a": "é"})
	if want := "intent://x#Intent;scheme=app;S.a=%C3%A9;S.b=1%202;end"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if c := Click(&vendors.Notification{}, vendors.Click{Action: vendors.ClickIntent, Target: "com.app.OPEN"},
		ClickTypes{Intent: 1, URL: 2, App: 3}); c.Type != 1 || c.Action != "com.app.OPEN" || c.Intent != "" {
		t.Errorf("intent action: %+v", c)
	}
}

func TestTokenTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{"3600": time.Hour, "": time.Minute, "0": time.Minute, "x": time.Minute} {
		if got := TokenTTL(in, time.Minute); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestParseTokenNamesSubErrorAndNeverTheSecret(t *testing.T) {
	cases := []struct {
		v      vendors.Vendor
		status int
		body   string
		kind   vendors.Kind
		msg    string
	}{
		{vendors.Huawei, 400, `{"error":1101,"sub_error":20002,"error_description":"invalid client"}`, vendors.Auth,
			"access token refused (sub_error 20002): invalid client"},
		{vendors.Honor, 401, `{"error":"unauthorized_client","error_description":"Invalid client"}`, vendors.Auth,
			"access token refused: Invalid client"},
		{vendors.Honor, 403, `<html>client_secret=s3cr3t</html>`, vendors.Auth,
			"access token: <html>client_secret=<redacted></html>"},
	}
	for _, c := range cases {
		_, _, err := ParseToken(c.v, c.status, http.Header{}, []byte(c.body), testNow)
		var e *vendors.Error
		if !errors.As(err, &e) || e.Kind != c.kind || e.Message != c.msg || e.Vendor != c.v {
			t.Errorf("%s %d: %+v, want %s %q", c.v, c.status, err, c.kind, c.msg)
		}
	}
}
