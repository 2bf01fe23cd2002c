package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/dispatcher"
)

const tracePattern = "GET /v1/apps/{app}/messages/{msg_id}/trace"

// The tenancy matrix (tenancy_test.go) walks every route; this adds the
// trace's entry, which reads a trace written for the app first, so the
// success status is a real answer.
func init() {
	matrix[tracePattern] = cell{200, func(f *fixture, app, tok string) *http.Request {
		msg := fmt.Sprintf("t-%d", f.next())
		f.writeTrace(app, msg, dispatcher.TraceEntry{Step: dispatcher.EventSent, UserID: "u1", At: time.Now()})
		return request("GET", "/v1/apps/"+app+"/messages/"+msg+"/trace", tok, nil)
	}}
}

func (f *fixture) writeTrace(app, msg string, es ...dispatcher.TraceEntry) {
	f.t.Helper()
	if err := dispatcher.NewTraceStore(f.db.Client, "pushd:", 0).Write(context.Background(), app, msg, es); err != nil {
		f.t.Fatal(err)
	}
}

func TestGetTrace(t *testing.T) {
	f := newFixture(t, configTokens(), nil)
	at := time.Now().Truncate(time.Millisecond).UTC()
	lat := int64(17)
	f.writeTrace(appA, "m-1",
		dispatcher.TraceEntry{Step: dispatcher.EventDropped, UserID: "u2", Rule: dispatcher.RuleDoNotDisturb, At: at},
		dispatcher.TraceEntry{Step: dispatcher.EventSent, UserID: "u1", CertID: 3, Token: "0123456789ab", Vendor: "apns",
			VendorMsgID: "id-1", LatencyMS: &lat, At: at.Add(time.Millisecond)})
	admin := matrixTokens[2].token // admin of app A only
	cases := []struct {
		name, path, token string
		status            int
		want              string
	}{
		{"trace", "/v1/apps/" + appA + "/messages/m-1/trace", admin, 200, `do-not-disturb window is active`},
		{"unknown message", "/v1/apps/" + appA + "/messages/m-2/trace", admin, 404, "no trace of message"},
		{"another app's", "/v1/apps/" + appB + "/messages/m-1/trace", admin, 403, "may not act"},
		{"enqueue token", "/v1/apps/" + appA + "/messages/m-1/trace", matrixTokens[1].token, 403, ""},
		{"bad msg id", "/v1/apps/" + appA + "/messages/a%7Bb/trace", admin, 400, "msg_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(request("GET", tc.path, tc.token, nil))
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %s, want %d with %q", rec.Code, rec.Body, tc.status, tc.want)
			}
		})
	}
	var tr dispatcher.Trace
	decode(t, f.do(request("GET", "/v1/apps/"+appA+"/messages/m-1/trace", admin, nil)), &tr)
	if tr.AppID != appA || tr.MsgID != "m-1" || len(tr.Entries) != 2 {
		t.Fatalf("trace %+v", tr)
	}
	d, s := tr.Entries[0], tr.Entries[1]
	if d.Rule != dispatcher.RuleDoNotDisturb || d.Setting == "" || !d.At.Equal(at) {
		t.Errorf("dropped %+v", d)
	}
	if s.VendorMsgID != "id-1" || s.LatencyMS == nil || *s.LatencyMS != 17 || s.Token != "0123456789ab" || s.CertID != 3 {
		t.Errorf("sent %+v", s)
	}
}
