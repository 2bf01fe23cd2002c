package fcm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

func TestClassifyTable(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		f          failure
		kind       vendors.Kind
		code       string
		retryAfter time.Duration
	}{
		{"unregistered", failure{Status: 404, Platform: "NOT_FOUND", FCMCode: "UNREGISTERED"}, vendors.InvalidToken, "UNREGISTERED", 0},
		{"invalid argument", failure{Status: 400, Platform: "INVALID_ARGUMENT", FCMCode: "INVALID_ARGUMENT", Message: "Request contains an invalid argument."}, vendors.Rejected, "INVALID_ARGUMENT", 0},
		{"invalid token", failure{Status: 400, Platform: "INVALID_ARGUMENT", FCMCode: "INVALID_ARGUMENT", Message: "The registration token is not a valid FCM registration token"}, vendors.InvalidToken, "INVALID_ARGUMENT", 0},
		{"invalid token, platform only", failure{Status: 400, Platform: "INVALID_ARGUMENT", Message: "The registration token is not a valid FCM registration token"}, vendors.InvalidToken, "INVALID_ARGUMENT", 0},
		{"bad data value", failure{Status: 400, Platform: "INVALID_ARGUMENT", Message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12"}, vendors.Rejected, "INVALID_ARGUMENT", 0},
		{"sender id mismatch", failure{Status: 403, Platform: "PERMISSION_DENIED", FCMCode: "SENDER_ID_MISMATCH"}, vendors.InvalidToken, "SENDER_ID_MISMATCH", 0},
		{"quota", failure{Status: 429, Platform: "RESOURCE_EXHAUSTED", FCMCode: "QUOTA_EXCEEDED", RetryAfter: "60"}, vendors.RateLimited, "QUOTA_EXCEEDED", time.Minute},
		{"quota, http date", failure{Status: 429, FCMCode: "QUOTA_EXCEEDED", RetryAfter: now.Add(90 * time.Second).Format(http.TimeFormat)}, vendors.RateLimited, "QUOTA_EXCEEDED", 90 * time.Second},
		{"quota, no header", failure{Status: 429, FCMCode: "QUOTA_EXCEEDED"}, vendors.RateLimited, "QUOTA_EXCEEDED", 0},
		{"unavailable", failure{Status: 503, Platform: "UNAVAILABLE", FCMCode: "UNAVAILABLE", RetryAfter: "5"}, vendors.Retryable, "UNAVAILABLE", 5 * time.Second},
		{"internal", failure{Status: 500, Platform: "INTERNAL", FCMCode: "INTERNAL"}, vendors.Retryable, "INTERNAL", 0},
		{"third party auth", failure{Status: 401, Platform: "UNAUTHENTICATED", FCMCode: "THIRD_PARTY_AUTH_ERROR"}, vendors.Rejected, "THIRD_PARTY_AUTH_ERROR", 0},
		{"oauth token refused", failure{Status: 401, Platform: "UNAUTHENTICATED"}, vendors.Auth, "UNAUTHENTICATED", 0},
		{"permission denied", failure{Status: 403, Platform: "PERMISSION_DENIED"}, vendors.Auth, "PERMISSION_DENIED", 0},
		{"project not found", failure{Status: 404, Platform: "NOT_FOUND"}, vendors.Rejected, "NOT_FOUND", 0},
		{"bare 429", failure{Status: 429, RetryAfter: "2"}, vendors.RateLimited, "429", 2 * time.Second},
		{"bare 502", failure{Status: 502, Message: "<html>bad gateway</html>"}, vendors.Retryable, "502", 0},
		{"bare 418", failure{Status: 418}, vendors.Rejected, "418", 0},
		{"retry-after on a rejection is ignored", failure{Status: 400, FCMCode: "INVALID_ARGUMENT", RetryAfter: "9"}, vendors.Rejected, "INVALID_ARGUMENT", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := classify(tc.f, now)
			if e.Kind != tc.kind || e.Code != tc.code || e.RetryAfter != tc.retryAfter || e.Status != tc.f.Status || e.Vendor != vendors.FCM {
				t.Errorf("classify(%+v) = %+v, want %s %s %s", tc.f, e, tc.kind, tc.code, tc.retryAfter)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "0": 0, "-5": 0, "12": 12 * time.Second, " 3 ": 3 * time.Second, "soon": 0,
		now.Add(-time.Minute).Format(http.TimeFormat): 0,
		now.Add(time.Hour).Format(http.TimeFormat):    time.Hour,
	} {
		if got := vendorhttp.ParseRetryAfter(in, now, 0).Truncate(time.Second); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestTransportFailure(t *testing.T) {
	body := []byte(`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)
	tests := []struct {
		name   string
		err    error
		kind   vendors.Kind
		code   string
		status int
	}{
		{"network", &transportError{err: errors.New("connection reset by peer")}, vendors.Retryable, "", 0},
		{"token refused", &transportError{err: &tokenError{err: &oauth2.RetrieveError{
			Response: &http.Response{StatusCode: 400}, Body: body}}}, vendors.Auth, "invalid_grant", 400},
		{"token endpoint down", &transportError{err: &tokenError{err: &oauth2.RetrieveError{
			Response: &http.Response{StatusCode: 503}, Body: []byte(`{"error":"backend_error"}`)}}}, vendors.Retryable, "backend_error", 503},
		{"not an OAuth server", &transportError{err: &tokenError{err: &oauth2.RetrieveError{
			Response: &http.Response{StatusCode: 404}, Body: []byte("<html>SSH-2.0</html>")}}}, vendors.Retryable, vendors.CodeUnreachable, 0},
		{"token endpoint unreachable", &transportError{err: &tokenError{err: errors.New("oauth2: cannot fetch token: dial tcp: refused")}}, vendors.Retryable, vendors.CodeUnreachable, 0},
		{"send timed out", &transportError{err: context.DeadlineExceeded}, vendors.Retryable, vendors.CodeTimeout, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := transportFailure(tc.err)
			if e.Kind != tc.kind || e.Code != tc.code || e.Status != tc.status {
				t.Errorf("got %+v, want %s %q %d", e, tc.kind, tc.code, tc.status)
			}
		})
	}
}

// cannedKey carries the answer cannedTransport gives to a send.
type cannedKey struct{}

type canned struct {
	status     int
	retryAfter string
	body       []byte
}

// cannedTransport answers the token endpoint with a token and every send
// with the canned answer in the request's context, counting sends. It
// lets FuzzClassifySDKAnswer run the real SDK without a network.
type cannedTransport struct{ sends atomic.Int64 }

func (c *cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	if strings.HasSuffix(r.URL.Path, "/token") {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"access_token":"ya29.x","expires_in":3600,"token_type":"Bearer"}`))}, nil
	}
	c.sends.Add(1)
	a, _ := r.Context().Value(cannedKey{}).(canned)
	h := http.Header{"Content-Type": {"application/json"}}
	if a.retryAfter != "" {
		h.Set("Retry-After", a.retryAfter)
	}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(bytes.NewReader(a.body)), Request: r}, nil
}

func fcmBody(status int, platform, msg, code string) string {
	details := ""
	if code != "" {
		details = fmt.Sprintf(`,"details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":%q}]`, code)
	}
	return fmt.Sprintf(`{"error":{"code":%d,"message":%q,"status":%q%s}}`, status, msg, platform, details)
}

// FuzzClassifySDKAnswer feeds arbitrary FCM answers through the real SDK
// and the adapter's classification: it must never panic, must make exactly
// one attempt (no SDK retry), and must return a well-formed Result.
func FuzzClassifySDKAnswer(f *testing.F) {
	f.Add(200, "", []byte(`{"name":"projects/p/messages/1"}`))
	f.Add(404, "", []byte(fcmBody(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")))
	f.Add(400, "", []byte(fcmBody(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT")))
	f.Add(403, "", []byte(fcmBody(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH")))
	f.Add(429, "30", []byte(fcmBody(429, "RESOURCE_EXHAUSTED", "quota", "QUOTA_EXCEEDED")))
	f.Add(503, "10", []byte(fcmBody(503, "UNAVAILABLE", "unavailable", "UNAVAILABLE")))
	f.Add(500, "", []byte(fcmBody(500, "INTERNAL", "internal", "INTERNAL")))
	f.Add(401, "", []byte(fcmBody(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", "")))
	f.Add(401, "", []byte(fcmBody(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR")))
	f.Add(502, "", []byte("<html>Bad Gateway</html>"))
	f.Add(200, "", []byte("not json"))
	f.Add(400, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`{"error":"nested":}`))

	sa, err := testcreds.NewServiceAccount("fuzz-project", "https://oauth2.test/token")
	if err != nil {
		f.Fatal(err)
	}
	tr := &cannedTransport{}
	s := newSender(f, sa.JSON, vendors.Endpoint{URL: "https://fcm.test", Client: &http.Client{Transport: tr}})
	msg, err := fitMessage(testNotification(), s.click, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	msg.Token = "dev_fuzz"

	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		if status < 200 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		// The SDK counts 200..303 as success (internal.HasSuccessStatus).
		const firstFailure = http.StatusNotModified
		before := tr.sends.Load()
		ctx := context.WithValue(context.Background(), cannedKey{}, canned{status: status, retryAfter: retryAfter, body: body})
		r := s.sendOne(ctx, msg, false)
		if got := tr.sends.Load() - before; got != 1 {
			t.Fatalf("%d attempts, want 1", got)
		}
		if r.Token != "dev_fuzz" {
			t.Fatalf("token %q", r.Token)
		}
		if r.Err == nil {
			if status >= firstFailure {
				t.Fatalf("status %d classified ok", status)
			}
			return
		}
		var ve *vendors.Error
		if !errors.As(r.Err, &ve) || ve.Vendor != vendors.FCM || ve.Kind == vendors.OK || ve.Kind > vendors.Rejected {
			t.Fatalf("err %#v is not a classified FCM error", r.Err)
		}
		if ve.RetryAfter < 0 || !utf8.ValidString(ve.Message) || utf8.RuneCountInString(ve.Message) > maxMessage {
			t.Fatalf("malformed error %#v", ve)
		}
		if status >= firstFailure && (ve.Status != status || ve.Code == "") {
			t.Fatalf("status %d gave %#v", status, ve)
		}
		if status < firstFailure && ve.Kind != vendors.Rejected {
			t.Fatalf("undecodable success answer classified %s", ve.Kind)
		}
	})
}
