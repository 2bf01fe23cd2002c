package vendorhttp

import (
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestByStatus(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter time.Duration
		kind       vendors.Kind
		wait       time.Duration
	}{
		{429, 0, vendors.RateLimited, 10 * time.Second},
		{429, time.Minute, vendors.RateLimited, time.Minute},
		{401, 0, vendors.Auth, 0},
		{200, 0, vendors.Retryable, 0},
		{502, 3 * time.Second, vendors.Retryable, 3 * time.Second},
		{400, 0, vendors.Rejected, 0},
		{404, 0, vendors.Rejected, 0},
	}
	for _, c := range cases {
		e := ByStatus(vendors.OPPO, c.status, "", "", c.retryAfter, 10*time.Second)
		if e.Kind != c.kind || e.RetryAfter != c.wait || e.Vendor != vendors.OPPO || e.Status != c.status ||
			e.Message != "answer without a readable code" {
			t.Errorf("%d: %+v, want %s waiting %v", c.status, e, c.kind, c.wait)
		}
	}
	if e := ByStatus(vendors.Vivo, 500, "x", "Internet server error!", 0, 0); e.Code != "x" || e.Message != "Internet server error!" {
		t.Errorf("code and message not kept: %+v", e)
	}
}

func TestUndocumentedKind(t *testing.T) {
	for status, want := range map[int]vendors.Kind{200: vendors.Rejected, 400: vendors.Rejected, 500: vendors.Retryable, 503: vendors.Retryable} {
		if got := UndocumentedKind(status); got != want {
			t.Errorf("%d: %s, want %s", status, got, want)
		}
	}
}

func TestRequire(t *testing.T) {
	if err := Require(vendors.OPPO, nil, vendors.FieldAppKey); err == nil || err.Error() != "oppo: nil credential" {
		t.Errorf("nil credential: %v", err)
	}
	cred := &vendors.Credential{Fields: map[string]string{vendors.FieldAppKey: "k"}}
	if err := Require(vendors.OPPO, cred, vendors.FieldAppKey); err != nil {
		t.Errorf("present field: %v", err)
	}
	if err := Require(vendors.OPPO, cred, vendors.FieldAppKey, vendors.SecretMasterSecret); err == nil {
		t.Error("a missing secret was accepted")
	}
}
