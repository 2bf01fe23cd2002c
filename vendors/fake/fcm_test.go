package fake_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors/fake"
)

// fcmClock is a settable clock for the fake.
type fcmClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fcmClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fcmClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newFCMFake(t *testing.T) (*fake.FCM, *testcreds.ServiceAccount, *fcmClock) {
	t.Helper()
	clk := &fcmClock{t: time.Now()}
	f := fake.NewFCM(fake.FCMOptions{Now: clk.Now})
	t.Cleanup(f.Close)
	sa, err := f.NewServiceAccount("demo-project")
	if err != nil {
		t.Fatal(err)
	}
	return f, sa, clk
}

// fcmAssertion signs the JWT-bearer assertion Google expects, letting edit
// change the claims first.
func fcmAssertion(t *testing.T, f *fake.FCM, sa *testcreds.ServiceAccount, now time.Time, edit func(jwt.MapClaims)) string {
	t.Helper()
	c := jwt.MapClaims{"iss": sa.Email, "scope": fake.FCMScope, "aud": f.TokenURI(),
		"iat": now.Add(-10 * time.Second).Unix(), "exp": now.Add(time.Hour).Unix()}
	if edit != nil {
		edit(c)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(sa.Key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type fcmTokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func fcmPostToken(t *testing.T, f *fake.FCM, form url.Values) (int, fcmTokenAnswer) {
	t.Helper()
	resp, err := f.Client().PostForm(f.TokenURI(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a fcmTokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, a
}

func fcmAccessToken(t *testing.T, f *fake.FCM, sa *testcreds.ServiceAccount, now time.Time) string {
	t.Helper()
	status, a := fcmPostToken(t, f, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion": {fcmAssertion(t, f, sa, now, nil)}})
	if status != http.StatusOK || a.AccessToken == "" {
		t.Fatalf("token: %d %+v", status, a)
	}
	return a.AccessToken
}

type fcmErrorBody struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
	Name string `json:"name"`
}

func (b fcmErrorBody) fcmCode() string {
	for _, d := range b.Error.Details {
		if d["@type"] == "type.googleapis.com/google.firebase.fcm.v1.FcmError" {
			s, _ := d["errorCode"].(string)
			return s
		}
	}
	return ""
}

func fcmPostSend(t *testing.T, f *fake.FCM, project, bearer, body string) (*http.Response, fcmErrorBody) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/v1/projects/"+project+"/messages:send", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b fcmErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestFCMTokenEndpoint(t *testing.T) {
	f, sa, clk := newFCMFake(t)
	other, err := testcreds.NewServiceAccount("demo-project", f.TokenURI())
	if err != nil {
		t.Fatal(err)
	}
	grant := "urn:ietf:params:oauth:grant-type:jwt-bearer"
	now := clk.Now()
	tests := []struct {
		name      string
		form      url.Values
		wantError string
	}{
		{"valid", url.Values{"grant_type": {grant}, "assertion": {fcmAssertion(t, f, sa, now, nil)}}, ""},
		{"wrong grant", url.Values{"grant_type": {"client_credentials"}, "assertion": {fcmAssertion(t, f, sa, now, nil)}}, "unsupported_grant_type"},
		{"no assertion", url.Values{"grant_type": {grant}}, "invalid_request"},
		{"garbage", url.Values{"grant_type": {grant}, "assertion": {"not.a.jwt"}}, "invalid_grant"},
		{"unregistered key", url.Values{"grant_type": {grant}, "assertion": {fcmAssertion(t, f, other, now, func(c jwt.MapClaims) {
			c["iss"] = "someone@demo-project.iam.gserviceaccount.com"
		})}}, "invalid_grant"},
		{"signed by another key", url.Values{"grant_type": {grant}, "assertion": {fcmAssertion(t, f, other, now, nil)}}, "invalid_grant"},
		{"wrong audience", url.Values{"grant_type": {grant}, "assertion": {fcmAssertion(t, f, sa, now, func(c jwt.MapClaims) {
			c["aud"] = "https://oauth2.googleapis.com/token"
		})}}, "invalid_grant"},
		{"no messaging scope", url.Values{"grant_type": {grant}, "assertion": {fcmAssertion(t, f, sa, now, func(c jwt.MapClaims) {
			c["scope"] = "https://www.googleapis.com/auth/cloud-platform"
		})}}, "invalid_scope"},
		{"expired", url.Values{"grant_type": {grant}, "assertion": {fcmAssertion(t, f, sa, now, func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})}}, "invalid_grant"},
		{"too long-lived", url.Values{"grant_type": {grant}, "assertion": {fcmAssertion(t, f, sa, now, func(c jwt.MapClaims) {
			c["exp"] = now.Add(5 * time.Hour).Unix()
		})}}, "invalid_grant"},
		{"issued in the future", url.Values{"grant_type": {grant}, "assertion": {fcmAssertion(t, f, sa, now, func(c jwt.MapClaims) {
			c["iat"] = now.Add(10 * time.Minute).Unix()
		})}}, "invalid_grant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, a := fcmPostToken(t, f, tc.form)
			if tc.wantError == "" {
				if status != http.StatusOK || a.AccessToken == "" || a.ExpiresIn != 3600 || a.TokenType != "Bearer" {
					t.Fatalf("got %d %+v, want a Bearer token for 3600 s", status, a)
				}
				return
			}
			if status != http.StatusBadRequest || a.Error != tc.wantError || a.Description == "" || a.AccessToken != "" {
				t.Fatalf("got %d %+v, want 400 %s", status, a, tc.wantError)
			}
		})
	}
	if got, want := f.TokenRequests(), len(tests); got != want {
		t.Errorf("TokenRequests = %d, want %d", got, want)
	}
}

func TestFCMSendChecks(t *testing.T) {
	f, sa, clk := newFCMFake(t)
	tok := fcmAccessToken(t, f, sa, clk.Now())
	valid := `{"message":{"token":"dev_1:APA91b","notification":{"title":"t","body":"b"},"data":{"ext":"x"},"android":{"priority":"high","ttl":"60s"}}}`
	big := `{"message":{"token":"dev_1","notification":{"body":"` + strings.Repeat("x", 4090) + `"}}}`
	tests := []struct {
		name, project, bearer, body string
		status                      int
		platform, fcmCode           string
	}{
		{"ok", "demo-project", tok, valid, 200, "", ""},
		{"no bearer", "demo-project", "", valid, 401, "UNAUTHENTICATED", ""},
		{"unknown bearer", "demo-project", "ya29.made-up", valid, 401, "UNAUTHENTICATED", ""},
		{"other project", "someone-else", tok, valid, 403, "PERMISSION_DENIED", ""},
		{"not json", "demo-project", tok, `{"message":`, 400, "INVALID_ARGUMENT", ""},
		{"no target", "demo-project", tok, `{"message":{"notification":{"title":"t"}}}`, 400, "INVALID_ARGUMENT", ""},
		{"two targets", "demo-project", tok, `{"message":{"token":"dev_1","topic":"news"}}`, 400, "INVALID_ARGUMENT", ""},
		{"malformed token", "demo-project", tok, `{"message":{"token":"not a token!"}}`, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"data not string", "demo-project", tok, `{"message":{"token":"dev_1","data":{"n":12}}}`, 400, "INVALID_ARGUMENT", ""},
		{"reserved data key", "demo-project", tok, `{"message":{"token":"dev_1","data":{"from":"x"}}}`, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"bad ttl", "demo-project", tok, `{"message":{"token":"dev_1","android":{"ttl":"3 weeks"}}}`, 400, "INVALID_ARGUMENT", ""},
		{"ttl over 4 weeks", "demo-project", tok, `{"message":{"token":"dev_1","android":{"ttl":"2419201s"}}}`, 400, "INVALID_ARGUMENT", ""},
		{"bad priority", "demo-project", tok, `{"message":{"token":"dev_1","android":{"priority":"urgent"}}}`, 400, "INVALID_ARGUMENT", ""},
		{"oversize", "demo-project", tok, big, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{"validate only", "demo-project", tok, `{"validate_only":true,"message":{"token":"dev_1"}}`, 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := fcmPostSend(t, f, tc.project, tc.bearer, tc.body)
			if resp.StatusCode != tc.status || b.Error.Status != tc.platform || b.fcmCode() != tc.fcmCode {
				t.Fatalf("got %d %s/%s %q, want %d %s/%s", resp.StatusCode, b.Error.Status, b.fcmCode(), b.Error.Message, tc.status, tc.platform, tc.fcmCode)
			}
			if tc.status == 200 && !strings.HasPrefix(b.Name, "projects/demo-project/messages/") {
				t.Errorf("name = %q", b.Name)
			}
			if tc.status != 200 && (b.Error.Code != tc.status || b.Error.Message == "") {
				t.Errorf("error body %+v lacks code/message", b.Error)
			}
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	reqs := f.Requests()
	if len(reqs) != len(tests) {
		t.Fatalf("recorded %d requests, want %d", len(reqs), len(tests))
	}
	if r := reqs[0]; r.Status != 200 || len(r.Tokens) != 1 || r.Tokens[0] != "dev_1:APA91b" || !bytes.Contains(r.Body, []byte(`"ext":"x"`)) {
		t.Errorf("first recorded request = %+v", r)
	}
	if r := reqs[1]; r.Status != 401 || len(r.Tokens) != 1 || r.Tokens[0] != "dev_1:APA91b" {
		t.Errorf("refused request recorded as %d %v, want 401 with its token", r.Status, r.Tokens)
	}
}

func TestFCMAccessTokenExpires(t *testing.T) {
	f, sa, clk := newFCMFake(t)
	tok := fcmAccessToken(t, f, sa, clk.Now())
	body := `{"message":{"token":"dev_1"}}`
	if resp, _ := fcmPostSend(t, f, "demo-project", tok, body); resp.StatusCode != 200 {
		t.Fatalf("fresh token: %d", resp.StatusCode)
	}
	clk.Add(time.Hour + time.Second)
	if resp, b := fcmPostSend(t, f, "demo-project", tok, body); resp.StatusCode != 401 || b.Error.Status != "UNAUTHENTICATED" {
		t.Fatalf("expired token: %d %s", resp.StatusCode, b.Error.Status)
	}
}

func TestFCMInjectedFailures(t *testing.T) {
	f, sa, clk := newFCMFake(t)
	tok := fcmAccessToken(t, f, sa, clk.Now())
	tests := []struct {
		fl               fake.Failure
		status           int
		platform, reason string
	}{
		{fake.Failure{Code: "UNREGISTERED"}, 404, "NOT_FOUND", "UNREGISTERED"},
		{fake.Failure{Code: "INVALID_ARGUMENT"}, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"},
		{fake.Failure{Code: "SENDER_ID_MISMATCH"}, 403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"},
		{fake.Failure{Code: "QUOTA_EXCEEDED", RetryAfter: 30 * time.Second}, 429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"},
		{fake.Failure{Code: "UNAVAILABLE"}, 503, "UNAVAILABLE", "UNAVAILABLE"},
		{fake.Failure{Code: "INTERNAL"}, 500, "INTERNAL", "INTERNAL"},
		{fake.Failure{Code: "THIRD_PARTY_AUTH_ERROR"}, 401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"},
		{fake.Failure{Code: "UNAUTHENTICATED"}, 401, "UNAUTHENTICATED", ""},
	}
	for _, tc := range tests {
		t.Run(tc.fl.Code, func(t *testing.T) {
			f.FailNext(1, tc.fl)
			resp, b := fcmPostSend(t, f, "demo-project", tok, `{"message":{"token":"dev_1"}}`)
			if resp.StatusCode != tc.status || b.Error.Status != tc.platform || b.fcmCode() != tc.reason || b.Error.Code != tc.status {
				t.Fatalf("got %d %s/%s, want %d %s/%s", resp.StatusCode, b.Error.Status, b.fcmCode(), tc.status, tc.platform, tc.reason)
			}
			if tc.fl.RetryAfter > 0 && resp.Header.Get("Retry-After") != "30" {
				t.Errorf("Retry-After = %q, want 30", resp.Header.Get("Retry-After"))
			}
		})
	}
	f.FailToken("dead", fake.Failure{Code: "UNREGISTERED"})
	if resp, _ := fcmPostSend(t, f, "demo-project", tok, `{"message":{"token":"dead"}}`); resp.StatusCode != 404 {
		t.Errorf("per-token failure: %d, want 404", resp.StatusCode)
	}
	if resp, _ := fcmPostSend(t, f, "demo-project", tok, `{"message":{"token":"alive"}}`); resp.StatusCode != 200 {
		t.Errorf("other token: %d, want 200", resp.StatusCode)
	}
}
