package apns

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/internal/golden"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
)

const (
	goldenToken = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
	testKeyID   = "KEY1234567"
	testTeamID  = "TEAM123456"
	testTopic   = "com.example.chat"
)

// goldenRequest is a case's expected request: URL, headers and the JSON body.
type goldenRequest struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// p8Cred returns a token-auth credential with a fresh key.
func p8Cred(t testing.TB, env string) (*vendors.Credential, *testcreds.P8) {
	t.Helper()
	p8, err := testcreds.NewP8()
	if err != nil {
		t.Fatal(err)
	}
	return &vendors.Credential{
		ID: 7, Vendor: vendors.APNs,
		Fields: map[string]string{vendors.FieldBundleID: testTopic, vendors.FieldEnv: env,
			vendors.FieldKeyID: testKeyID, vendors.FieldTeamID: testTeamID},
		Secrets: map[string][]byte{vendors.SecretP8: p8.PEM},
	}, p8
}

func TestGoldenRequests(t *testing.T) {
	cred, _ := p8Cred(t, vendors.EnvProduction)
	s, err := NewSender(cred, vendors.Endpoint{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden.Run(t, "testdata", func(t *testing.T, in string) []byte {
		var n vendors.Notification
		golden.ReadJSON(t, in, &n)
		reqs, err := s.DryRun(context.Background(), &n, []string{goldenToken})
		if err != nil {
			t.Fatal(err)
		}
		checkPayloadInvariants(t, &n, []byte(reqs[0].Body))
		return golden.Marshal(t, goldenRequest{URL: reqs[0].URL, Headers: reqs[0].Header, Body: json.RawMessage(reqs[0].Body)})
	})
}

// checkPayloadInvariants holds for every case whatever the golden says: the
// payload fits, ext is kept verbatim, a shortened body is a prefix of the
// original ending in an ellipsis.
func checkPayloadInvariants(t *testing.T, n *vendors.Notification, body []byte) {
	t.Helper()
	if limit := map[bool]int{false: 4096, true: maxVoIPPayload}[n.VoIP]; len(body) > limit {
		t.Errorf("payload is %d bytes, over %d", len(body), limit)
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Ext != n.Ext {
		t.Errorf("ext changed: got %d bytes, want %d", len(p.Ext), len(n.Ext))
	}
	if n.VoIP && n.CallCancel {
		return // a cancel carries no text (voip_test.go)
	}
	if idOnly(n) {
		checkBackground(t, n, body)
		return
	}
	if p.APS.Alert.Body != n.Body {
		trimmed := strings.TrimSuffix(p.APS.Alert.Body, vendors.Ellipsis)
		if !strings.HasPrefix(n.Body, trimmed) || trimmed == p.APS.Alert.Body || !utf8.ValidString(trimmed) {
			t.Errorf("shortened body %q is not a prefix of the original plus an ellipsis", p.APS.Alert.Body)
		}
	}
}

func TestPayloadSound(t *testing.T) {
	tests := []struct {
		n    vendors.Notification
		want string
	}{
		{vendors.Notification{}, "default"},
		{vendors.Notification{Sound: "ping.caf"}, "ping.caf"},
		{vendors.Notification{Sound: "ping.caf", Silent: true}, ""},
		{vendors.Notification{Sound: vendors.SoundSilent}, ""},
	}
	for _, tc := range tests {
		if got := soundOf(&tc.n); got != tc.want {
			t.Errorf("soundOf(%+v) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestPayloadExtTooLargeIsRejected(t *testing.T) {
	n := &vendors.Notification{Title: "t", Body: "b", Ext: strings.Repeat("x", 5000)}
	_, err := fitPayload(n)
	if vendors.KindOf(err) != vendors.Rejected || vendors.CodeOf(err) != "PayloadTooLarge" {
		t.Fatalf("fitPayload with a 5000-byte ext: err = %v, want Rejected PayloadTooLarge", err)
	}
	if n.Body != "b" || n.Title != "t" {
		t.Errorf("fitPayload changed the caller's notification: %+v", n)
	}
}

func TestPayloadBadgeZeroIsSent(t *testing.T) {
	b, err := encodePayload(&vendors.Notification{Body: "x", Badge: vendors.IntPtr(0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"badge":0`) {
		t.Errorf("payload %s: badge 0 (clear the badge) must be sent", b)
	}
}

func TestPayloadIsNotHTMLEscaped(t *testing.T) {
	b, err := encodePayload(&vendors.Notification{Body: "a <b> & c"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "a <b> & c") {
		t.Errorf("payload %s: <, > and & must be sent as one byte each", b)
	}
}

// checkBackground: an id_only push is a background push, its aps holding
// content-available alone (no alert, sound or badge: none of the hidden
// text), and carries every id as a custom key.
func checkBackground(t *testing.T, n *vendors.Notification, body []byte) {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"content-available": float64(1)}, p["aps"]); diff != "" {
		t.Errorf("id_only aps (-want +got):\n%s", diff)
	}
	for k, v := range n.IDs {
		if p[k] != v {
			t.Errorf("id_only payload %s: %s = %v, want %q", body, k, p[k], v)
		}
	}
	if n.Body != "" && strings.Contains(string(body), n.Body) {
		t.Errorf("id_only payload %s carries the text %q", body, n.Body)
	}
}

// TestIDOnlyHeaders: an id_only push goes as push type background at
// priority 5, as Apple requires; a full one stays an alert at 10, and a
// VoIP push with ids stays a VoIP push.
func TestIDOnlyHeaders(t *testing.T) {
	ids := map[string]string{vendors.IDMsg: "m1", vendors.IDSender: "u1"}
	tests := []struct {
		name          string
		n             vendors.Notification
		typ, priority string
	}{
		{"id_only", vendors.Notification{ID: "m1", Preview: vendors.PreviewIDOnly, IDs: ids}, "background", "5"},
		{"id_only without ids", vendors.Notification{ID: "m1", Body: "New message", Preview: vendors.PreviewIDOnly}, "alert", "10"},
		{"hidden", vendors.Notification{ID: "m1", Body: "New message", Preview: vendors.PreviewHidden}, "alert", "10"},
		{"voip", vendors.Notification{ID: "m1", VoIP: true, Preview: vendors.PreviewIDOnly, IDs: ids}, "voip", "10"},
	}
	for _, tc := range tests {
		h := requestHeader(&tc.n, testTopic)
		if got := first(h["apns-push-type"]); got != tc.typ {
			t.Errorf("%s: apns-push-type %q, want %q", tc.name, got, tc.typ)
		}
		if got := first(h["apns-priority"]); got != tc.priority {
			t.Errorf("%s: apns-priority %q, want %q", tc.name, got, tc.priority)
		}
	}
}

// TestIDOnlyExtTooLargeIsRejected: the ext of an id_only push is never
// dropped either.
func TestIDOnlyExtTooLargeIsRejected(t *testing.T) {
	n := &vendors.Notification{ID: "m1", Preview: vendors.PreviewIDOnly, IDs: map[string]string{vendors.IDMsg: "m1"},
		Ext: strings.Repeat("x", 5000)}
	if _, err := fitPayload(n); vendors.KindOf(err) != vendors.Rejected {
		t.Fatalf("fitPayload of an id_only push with a 5000-byte ext: err = %v, want Rejected", err)
	}
}

// first is a header's value as requestHeader writes it (lowercase names,
// which http.Header.Get would not find).
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// TestIDOnlyAcceptedByTheFake: the fake, which refuses a background push
// at priority 10 or with alert, sound or badge, accepts pushd's id_only
// push, and what it recorded carries the ids and none of the text.
func TestIDOnlyAcceptedByTheFake(t *testing.T) {
	e := newTokenEnv(t)
	n := &vendors.Notification{ID: "m-1", Body: "New message", Sound: "ping.caf", Badge: vendors.IntPtr(2),
		Ext: `{"c":1}`, Preview: vendors.PreviewIDOnly, IDs: map[string]string{vendors.IDMsg: "m-1", vendors.IDSender: "u1"}}
	rs := e.sender.Send(context.Background(), n, []string{testToken})
	if len(rs) != 1 || rs[0].Err != nil {
		t.Fatalf("Send = %+v, want OK", rs)
	}
	rec := e.fake.Requests()[0]
	if rec.Header.Get("apns-push-type") != "background" || rec.Header.Get("apns-priority") != "5" {
		t.Errorf("recorded headers %v, want a background push at priority 5", rec.Header)
	}
	checkBackground(t, n, rec.Body)
}
