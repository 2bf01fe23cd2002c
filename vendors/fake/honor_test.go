package fake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors/fake"
)

const (
	hnApp    = "104000009"
	hnClient = "honor-client"
	hnSecret = "honor-secret"
)

func newHNFixture(t *testing.T) *fake.Honor {
	t.Helper()
	f := fake.NewHonor(fake.HonorOptions{})
	t.Cleanup(f.Close)
	f.AddApp(hnApp, hnClient, hnSecret)
	return f
}

func hnLogin(t *testing.T, f *fake.Honor, path string) string {
	t.Helper()
	st, m := hwPostForm(t, f.Client(), f.URL()+path, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {hnClient}, "client_secret": {hnSecret}})
	if st != http.StatusOK {
		t.Fatalf("token at %s: %d %v", path, st, m)
	}
	return m["access_token"].(string)
}

func hnBody(tokens []string, click map[string]any) string {
	b, _ := json.Marshal(map[string]any{"android": map[string]any{"ttl": "86400s", "notification": map[string]any{
		"title": "t", "body": "b", "clickAction": click}}, "token": tokens})
	return string(b)
}

func hnSend(t *testing.T, f *fake.Honor, token, timestamp, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/api/v1/"+hnApp+"/sendMessage", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header.Set("Authorization", "Bearer "+token)
	if timestamp != "" {
		req.Header.Set("timestamp", timestamp)
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return hwDecode(t, resp)
}

func TestHonorTokenEndpointsAndChecks(t *testing.T) {
	f := newHNFixture(t)
	tok := hnLogin(t, f, "/auth/realms/developer/protocol/openid-connect/token")
	hnLogin(t, f, "/auth/token")
	st, m := hwPostForm(t, f.Client(), f.URL()+"/auth/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {hnClient}, "client_secret": {"wrong"}})
	if st != http.StatusUnauthorized || m["error"] != "unauthorized_client" || f.TokenRequests() != 3 {
		t.Fatalf("wrong secret: %d %v (%d requests)", st, m, f.TokenRequests())
	}
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	open := map[string]any{"type": 3}
	cases := []struct {
		name, token, ts, body string
		status                int
		code                  float64
	}{
		{"valid", tok, now, hnBody([]string{"a"}, open), 200, 200},
		{"no timestamp", tok, "", hnBody([]string{"a"}, open), 400, 80100001},
		{"forged token", "forged", now, hnBody([]string{"a"}, open), 401, 80200001},
		{"no tokens", tok, now, hnBody([]string{}, open), 400, 80300010},
		{"no clickAction", tok, now, hnBody([]string{"a"}, nil), 400, 80100001},
		{"url click without url", tok, now, hnBody([]string{"a"}, map[string]any{"type": 2}), 400, 80100001},
		{"not json", tok, now, "[", 400, 80100003},
	}
	for _, c := range cases {
		st, m := hnSend(t, f, c.token, c.ts, c.body)
		if st != c.status || m["code"] != c.code {
			t.Errorf("%s: %d %v, want %d %v", c.name, st, m, c.status, c.code)
		}
	}
	f.ExpireTokens()
	if st, m := hnSend(t, f, tok, now, hnBody([]string{"a"}, open)); st != 401 || m["code"] != float64(80200003) {
		t.Fatalf("expired: %d %v", st, m)
	}
}

func TestHonorPerTokenFailures(t *testing.T) {
	f := newHNFixture(t)
	tok := hnLogin(t, f, "/auth/token")
	f.FailToken("b", fake.Failure{Code: fake.HonorExpiredToken})
	f.FailToken("c", fake.Failure{Code: "81000001"})
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	st, m := hnSend(t, f, tok, now, hnBody([]string{"a", "b", "c"}, map[string]any{"type": 3}))
	data, _ := m["data"].(map[string]any)
	if st != 200 || m["code"] != float64(200) || data["sendResult"] != true ||
		len(data["expireTokens"].([]any)) != 1 || data["failTokens"].([]any)[0] != "c" || data["requestId"] == "" {
		t.Fatalf("per-token: %d %v", st, m)
	}
	f.FailNext(1, fake.Failure{Status: http.StatusServiceUnavailable})
	if st, _ := hnSend(t, f, tok, now, hnBody([]string{"a"}, map[string]any{"type": 3})); st != 503 {
		t.Fatalf("503: %d", st)
	}
	if reqs := f.Requests(); len(reqs) != 2 || len(reqs[0].Tokens) != 3 {
		t.Fatalf("recorded %d", len(reqs))
	}
}
