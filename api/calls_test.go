package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
)

// The cancel route's tenancy cell, beside the others (tenancy_test.go).
func init() {
	matrix["POST /v1/apps/{app}/messages/{msg_id}/cancel-call"] = cell{202, func(f *fixture, app, tok string) *http.Request {
		return request("POST", fmt.Sprintf("/v1/apps/%s/messages/call-%d/cancel-call", app, f.next()), tok,
			CancelCallRequest{Recipients: []string{"vinson"}})
	}}
}

// addAPNsCert uploads an APNs token-auth certificate of app to the store.
func (f *fixture) addAPNsCert(app string) int64 {
	f.t.Helper()
	p8, err := testcreds.NewP8()
	if err != nil {
		f.t.Fatal(err)
	}
	in, err := f.certs.Add(context.Background(), certs.Upload{AppID: app, Vendor: vendors.APNs,
		Fields: map[string]string{vendors.FieldBundleID: "com.example.chat", vendors.FieldEnv: vendors.EnvDevelopment,
			vendors.FieldKeyID: "KEY1234567", vendors.FieldTeamID: "TEAM123456"},
		Secrets: map[string][]byte{vendors.SecretP8: p8.PEM}})
	if err != nil {
		f.t.Fatal(err)
	}
	return in.ID
}

const (
	alertTok = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	voipTok  = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
)

func TestBindVoIPToken(t *testing.T) {
	tests := []struct {
		name      string
		xiaomi    bool
		noAlert   bool
		body      BindRequest
		status    int
		field     string
		wantVoIP  bool
		wantAlert bool
	}{
		{"beside the alert binding", false, false, BindRequest{TokenType: "voip", AlertToken: alertTok}, 200, "", true, true},
		{"alert token required", false, false, BindRequest{TokenType: "voip"}, 400, "alert_token", false, true},
		{"the alert binding must exist", false, true, BindRequest{TokenType: "voip", AlertToken: alertTok}, 404, "", false, false},
		{"APNs only", true, false, BindRequest{TokenType: "voip", AlertToken: alertTok}, 400, "token_type", false, true},
		{"unknown token type", false, false, BindRequest{TokenType: "pushkit", AlertToken: alertTok}, 400, "token_type", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, nil)
			cert := f.addAPNsCert(appA)
			if tc.xiaomi {
				cert = f.addCert(appA)
			}
			if !tc.noAlert {
				f.bind(appA, "vinson", cert, alertTok)
			}
			url := fmt.Sprintf("/v1/apps/%s/users/vinson/devices/%d/%s", appA, cert, voipTok)
			rec := f.do(request("PUT", url, "", tc.body))
			if rec.Code != tc.status {
				t.Fatalf("status %d (%s), want %d", rec.Code, rec.Body, tc.status)
			}
			if tc.field != "" {
				var e ErrorBody
				_ = json.Unmarshal(rec.Body.Bytes(), &e)
				if e.Field != tc.field {
					t.Errorf("error field %q (%s), want %q", e.Field, rec.Body, tc.field)
				}
			}
			views := listViews(t, f, "vinson")
			if got := len(views) == 1; got != tc.wantAlert {
				t.Fatalf("devices %+v, want the alert binding: %v", views, tc.wantAlert)
			}
			if tc.wantAlert && (views[0].VoIPTokenHash != "") != tc.wantVoIP {
				t.Errorf("device %+v: VoIP token stored = %v, want %v", views[0], views[0].VoIPTokenHash != "", tc.wantVoIP)
			}
		})
	}
}

// The VoIP token is shown shortened, never whole; unbinding the VoIP token
// keeps the alert binding, unbinding the device removes both.
func TestVoIPTokenListAndUnbind(t *testing.T) {
	f := newFixture(t, nil, nil)
	cert := f.addAPNsCert(appA)
	f.bind(appA, "vinson", cert, alertTok)
	base := fmt.Sprintf("/v1/apps/%s/users/vinson/devices/%d/", appA, cert)
	if rec := f.do(request("PUT", base+voipTok, "", BindRequest{TokenType: "voip", AlertToken: alertTok})); rec.Code != 200 {
		t.Fatalf("bind voip: %d %s", rec.Code, rec.Body)
	}
	rec := f.do(request("GET", fmt.Sprintf("/v1/apps/%s/users/vinson/devices", appA), "", nil))
	if body := rec.Body.String(); !json.Valid([]byte(body)) || strings.Contains(body, voipTok) || !strings.Contains(body, vendors.TokenHash(voipTok)) {
		t.Errorf("list %s: want the VoIP token by hash only", body)
	}
	if rec := f.do(request("DELETE", base+alertTok+"?token_type=pushkit", "", nil)); rec.Code != 400 {
		t.Fatalf("unbind with an unknown token type: %d %s, want 400", rec.Code, rec.Body)
	}
	if v := listViews(t, f, "vinson"); len(v) != 1 || v[0].VoIPTokenHash == "" {
		t.Fatalf("a refused unbind changed the device: %+v", v)
	}
	if rec := f.do(request("DELETE", base+alertTok+"?token_type=voip", "", nil)); rec.Code != 200 {
		t.Fatalf("unbind voip: %d %s", rec.Code, rec.Body)
	}
	if v := listViews(t, f, "vinson"); len(v) != 1 || v[0].VoIPTokenHash != "" {
		t.Errorf("after unbinding the VoIP token: %+v, want the alert binding alone", v)
	}
	if rec := f.do(request("PUT", base+voipTok, "", BindRequest{TokenType: "voip", AlertToken: alertTok})); rec.Code != 200 {
		t.Fatalf("bind voip again: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(request("DELETE", base+alertTok, "", nil)); rec.Code != 200 {
		t.Fatalf("unbind: %d %s", rec.Code, rec.Body)
	}
	if v := listViews(t, f, "vinson"); len(v) != 0 {
		t.Errorf("after unbinding the device: %+v, want none", v)
	}
}

func TestCancelCallRoute(t *testing.T) {
	f := newFixture(t, nil, nil)
	url := "/v1/apps/" + appA + "/messages/call-7/cancel-call"
	body := CancelCallRequest{Sender: dispatcher.From{UserID: "denny"}, Recipients: []string{"vinson"}}
	var first CancelCallResponse
	for i, want := range []int{202, 200} {
		rec := f.do(request("POST", url, "", body))
		var got CancelCallResponse
		if rec.Code != want || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
			t.Fatalf("cancel #%d: %d %s, want %d", i+1, rec.Code, rec.Body, want)
		}
		if got.MsgID != "call-7"+dispatcher.CancelCallSuffix || got.TaskID == "" || got.Duplicate != (i == 1) {
			t.Errorf("cancel #%d: %+v", i+1, got)
		}
		if i == 0 {
			first = got
		} else if got.TaskID != first.TaskID {
			t.Errorf("a repeated cancel is task %s, want %s", got.TaskID, first.TaskID)
		}
	}
	for _, tc := range []struct {
		path  string
		body  any
		field string
	}{
		{"/messages/call-8/cancel-call", CancelCallRequest{}, "recipients"},
		{"/messages/call-8" + dispatcher.CancelCallSuffix + "/cancel-call", body, "msg_id"},
		{"/messages/call-8/cancel-call", map[string]any{"recipients": []string{"vinson"}, "badge": 1}, "badge"},
	} {
		rec := f.do(request("POST", "/v1/apps/"+appA+tc.path, "", tc.body))
		var e ErrorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != 400 || e.Field != tc.field {
			t.Errorf("%s %v: %d %s, want 400 naming %s", tc.path, tc.body, rec.Code, rec.Body, tc.field)
		}
	}
}

func listViews(t *testing.T, f *fixture, user string) []DeviceView {
	t.Helper()
	rec := f.do(request("GET", fmt.Sprintf("/v1/apps/%s/users/%s/devices", appA, user), "", nil))
	var out struct {
		Devices []DeviceView `json:"devices"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	return out.Devices
}
