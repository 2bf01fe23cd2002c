package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// recallMux serves only the recall routes, wrapped as the route table
// wraps every route (auth, app scope, JSON).
func recallMux(f *fixture) *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range f.srv.recallRoutes() {
		mux.Handle(rt.pattern, f.srv.wrap(rt))
	}
	return mux
}

// TestRecallRoutes: the message service's token reaches its app's recall
// and read routes, another app's token does not, and bad bodies are 400s
// naming the field. What the devices get is TestRecallOnEveryVendor's
// (internal/app).
func TestRecallRoutes(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	mux := recallMux(f)
	if n := len(f.srv.recallRoutes()); n != 2 {
		t.Fatalf("%d recall routes, want 2", n)
	}
	enqA, enqB := matrixTokens[1].token, matrixTokens[3].token
	recall := "/v1/apps/" + appA + "/messages/m-1/recall"
	read := "/v1/apps/" + appA + "/users/vinson/read"
	conv := map[string]any{"kind": "group", "id": "g1"}
	cases := []struct {
		name, path, token string
		body              any
		want              int
		field             string
	}{
		{"recall", recall, enqA, map[string]any{"recipients": []string{"vinson"}}, 200, ""},
		{"recall by devices", recall, enqA, map[string]any{"devices": []map[string]any{{"cert_id": 7, "token": "t"}}}, 200, ""},
		{"read with unread", read, enqA, map[string]any{"conversation": conv, "unread": 0, "msg_ids": []string{"m-1"}}, 200, ""},
		{"another app's token", recall, enqB, map[string]any{"recipients": []string{"vinson"}}, 403, ""},
		{"no token", recall, "", map[string]any{"recipients": []string{"vinson"}}, 401, ""},
		{"no target", recall, enqA, map[string]any{}, 400, "recipients"},
		{"unknown field", recall, enqA, map[string]any{"users": []string{"vinson"}}, 400, ""},
		{"bad msg id in the path", "/v1/apps/" + appA + "/messages/%7Bm%7D/recall", enqA, map[string]any{"recipients": []string{"v"}}, 400, "msg_id"},
		{"read without a conversation", read, enqA, map[string]any{"unread": 1}, 400, "conversation"},
		{"read with a negative unread", read, enqA, map[string]any{"conversation": conv, "unread": -2}, 400, "unread"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, request("POST", tc.path, tc.token, tc.body))
			if rec.Code != tc.want {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("answer %q: %v", rec.Body, err)
			}
			if tc.want == 200 {
				if devs, ok := body["devices"].([]any); !ok || len(devs) != 0 {
					t.Errorf("answer %s, want an empty devices list (no bound device)", rec.Body)
				}
			}
			if tc.field != "" && body["field"] != tc.field {
				t.Errorf("answer %s, want field %q", rec.Body, tc.field)
			}
		})
	}
	rec := httptest.NewRecorder()
	r := request("POST", recall, enqA, map[string]any{"recipients": []string{"v"}})
	r.Header.Set("Content-Type", "text/plain")
	mux.ServeHTTP(rec, r)
	if rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: %d, want 415", rec.Code)
	}
}
