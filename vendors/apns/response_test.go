package apns

import (
	"errors"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// reasonTable is every reason of vendor-protocols.md §1's error table (and
// the newer ones Apple documents), with the status APNs sends it with and
// the class pushd gives it.
var reasonTable = []struct {
	status int
	reason string
	kind   vendors.Kind
}{
	{400, "BadDeviceToken", vendors.InvalidToken},
	{400, "DeviceTokenNotForTopic", vendors.InvalidToken},
	{400, "BadCollapseId", vendors.Rejected},
	{400, "BadExpirationDate", vendors.Rejected},
	{400, "BadMessageId", vendors.Rejected},
	{400, "BadPriority", vendors.Rejected},
	{400, "BadTopic", vendors.Rejected},
	{400, "DuplicateHeaders", vendors.Rejected},
	{400, "InvalidPushType", vendors.Rejected},
	{400, "MissingDeviceToken", vendors.Rejected},
	{400, "MissingTopic", vendors.Rejected},
	{400, "PayloadEmpty", vendors.Rejected},
	{400, "TopicDisallowed", vendors.Rejected},
	{400, "IdleTimeout", vendors.Retryable},
	{403, "ExpiredProviderToken", vendors.Auth},
	{403, "InvalidProviderToken", vendors.Auth},
	{403, "MissingProviderToken", vendors.Auth},
	{403, "BadCertificate", vendors.Rejected},
	{403, "BadCertificateEnvironment", vendors.Rejected},
	{403, "Forbidden", vendors.Rejected},
	{403, "UnrelatedKeyIdInToken", vendors.Rejected},
	{403, "BadEnvironmentKeyInToken", vendors.Rejected},
	{403, "BadEnvironmentKeyIdInToken", vendors.Rejected},
	{404, "BadPath", vendors.Rejected},
	{405, "MethodNotAllowed", vendors.Rejected},
	{410, "Unregistered", vendors.InvalidToken},
	{410, "ExpiredToken", vendors.InvalidToken},
	{413, "PayloadTooLarge", vendors.Rejected},
	{429, "TooManyRequests", vendors.RateLimited},
	{429, "TooManyProviderTokenUpdates", vendors.RateLimited},
	{500, "InternalServerError", vendors.Retryable},
	{503, "ServiceUnavailable", vendors.Retryable},
	{503, "Shutdown", vendors.Retryable},
}

func TestClassifyEveryReason(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range reasonTable {
		t.Run(tc.reason, func(t *testing.T) {
			body := []byte(`{"reason":"` + tc.reason + `"}`)
			err := classify(tc.status, http.Header{}, body, now)
			var e *vendors.Error
			if !errors.As(err, &e) {
				t.Fatalf("classify = %v, want a *vendors.Error", err)
			}
			if e.Kind != tc.kind || e.Code != tc.reason || e.Status != tc.status || e.Vendor != vendors.APNs {
				t.Errorf("got %+v, want kind %s code %s status %d", e, tc.kind, tc.reason, tc.status)
			}
			if k, known := kindOf(tc.reason); !known || k != tc.kind {
				t.Errorf("kindOf(%s) = %s, %v", tc.reason, k, known)
			}
			if (e.RetryAfter > 0) != (tc.kind == vendors.RateLimited) {
				t.Errorf("RetryAfter = %s for kind %s", e.RetryAfter, e.Kind)
			}
		})
	}
}

func TestClassifyDetails(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		kind       vendors.Kind
		code       string
		retryAfter time.Duration
		timestamp  time.Time
		message    string
	}{
		{"410 timestamp", 410, h(), `{"reason":"Unregistered","timestamp":1893456000123}`, vendors.InvalidToken, "Unregistered", 0, time.UnixMilli(1893456000123).UTC(), ""},
		{"429 retry-after seconds", 429, h("Retry-After", "7"), `{"reason":"TooManyRequests"}`, vendors.RateLimited, "TooManyRequests", 7 * time.Second, time.Time{}, ""},
		{"429 retry-after date", 429, h("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), `{"reason":"TooManyRequests"}`, vendors.RateLimited, "TooManyRequests", 90 * time.Second, time.Time{}, ""},
		{"429 no header", 429, h(), `{"reason":"TooManyRequests"}`, vendors.RateLimited, "TooManyRequests", tooManyRequestsWait, time.Time{}, ""},
		{"429 garbage header", 429, h("Retry-After", "soon"), `{"reason":"TooManyRequests"}`, vendors.RateLimited, "TooManyRequests", tooManyRequestsWait, time.Time{}, ""},
		{"429 huge header", 429, h("Retry-After", "99999999"), `{"reason":"TooManyRequests"}`, vendors.RateLimited, "TooManyRequests", vendorhttp.MaxRetryAfter, time.Time{}, ""},
		{"429 token updates", 429, h(), `{"reason":"TooManyProviderTokenUpdates"}`, vendors.RateLimited, "TooManyProviderTokenUpdates", tokenUpdatesWait, time.Time{}, ""},
		{"unknown 5xx", 502, h(), `<html>Bad Gateway</html>`, vendors.Retryable, "", 0, time.Time{}, "<html>Bad Gateway</html>"},
		{"unknown reason 503", 503, h(), `{"reason":"SomethingNew"}`, vendors.Retryable, "SomethingNew", 0, time.Time{}, ""},
		{"unknown reason 400", 400, h(), `{"reason":"SomethingNew"}`, vendors.Rejected, "SomethingNew", 0, time.Time{}, ""},
		{"unknown 429", 429, h(), ``, vendors.RateLimited, "", tooManyRequestsWait, time.Time{}, ""},
		{"empty 403", 403, h(), ``, vendors.Rejected, "", 0, time.Time{}, ""},
		{"odd 302", 302, h(), ``, vendors.Retryable, "", 0, time.Time{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := classify(tc.status, tc.header, []byte(tc.body), now)
			var e *vendors.Error
			if !errors.As(err, &e) {
				t.Fatalf("classify = %v, want a *vendors.Error", err)
			}
			if e.Kind != tc.kind || e.Code != tc.code || e.RetryAfter != tc.retryAfter ||
				!e.Timestamp.Equal(tc.timestamp) || e.Message != tc.message || e.Status != tc.status {
				t.Errorf("got %+v\nwant kind=%s code=%q retry=%s ts=%s msg=%q", e, tc.kind, tc.code, tc.retryAfter, tc.timestamp, tc.message)
			}
		})
	}
	if err := classify(200, h(), nil, now); err != nil {
		t.Errorf("classify(200) = %v, want nil", err)
	}
}

// FuzzClassify checks that any answer classifies without panicking into a
// consistent error: the status kept, a real failure Kind, a positive bounded
// wait exactly for rate limits, a bounded valid-UTF-8 message.
func FuzzClassify(f *testing.F) {
	for _, tc := range reasonTable {
		f.Add(tc.status, "", []byte(`{"reason":"`+tc.reason+`"}`))
	}
	f.Add(410, "", []byte(`{"reason":"Unregistered","timestamp":1893456000123}`))
	f.Add(410, "", []byte(`{"reason":"Unregistered","timestamp":"soon"}`))
	f.Add(429, "120", []byte(`{"reason":"TooManyRequests"}`))
	f.Add(429, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`{"reason":"TooManyRequests"}`))
	f.Add(502, "", []byte("\xff\xfe<html>"))
	f.Add(200, "", []byte(""))
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, retry string, body []byte) {
		err := classify(status, http.Header{"Retry-After": {retry}}, body, now)
		if status == http.StatusOK {
			if err != nil {
				t.Fatalf("200 classified as %v", err)
			}
			return
		}
		var e *vendors.Error
		if !errors.As(err, &e) {
			t.Fatalf("classify = %v, want a *vendors.Error", err)
		}
		if e.Status != status || e.Vendor != vendors.APNs || e.Kind == vendors.OK || e.Kind > vendors.Rejected {
			t.Fatalf("inconsistent error %+v", e)
		}
		if (e.RetryAfter > 0) != (e.Kind == vendors.RateLimited) || e.RetryAfter > vendorhttp.MaxRetryAfter {
			t.Fatalf("RetryAfter %s with kind %s", e.RetryAfter, e.Kind)
		}
		if len(e.Message) > vendorhttp.SnippetBytes+len(vendors.Ellipsis) || !utf8.ValidString(e.Message) {
			t.Fatalf("message of %d bytes, valid UTF-8 %v", len(e.Message), utf8.ValidString(e.Message))
		}
		if _, known := kindOf(e.Code); known && e.Message != "" {
			t.Fatalf("known reason %q carries a body snippet", e.Code)
		}
		_ = e.Error()
	})
}
