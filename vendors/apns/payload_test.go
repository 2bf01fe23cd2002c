package apns

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

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
