package honor

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/golden"
	"github.com/pushd/pushd/vendors"
)

// goldenInput is a testdata/<case>.in.json file.
type goldenInput struct {
	Notification vendors.Notification `json:"notification"`
	Credential   vendors.Credential   `json:"credential"`
	Tokens       []string             `json:"tokens"`
	Now          time.Time            `json:"now"`
}

func TestPayloadGolden(t *testing.T) {
	golden.Run(t, "testdata", func(t *testing.T, in string) []byte {
		var g goldenInput
		golden.ReadJSON(t, in, &g)
		set, err := settingsOf(&g.Credential)
		if err != nil {
			t.Fatal(err)
		}
		body, err := buildBody(g.Notification, set, g.Tokens, g.Now)
		if err != nil {
			t.Fatal(err)
		}
		var got any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		return golden.Marshal(t, got)
	})
}

func TestBodyIsShrunkTo4096BytesWithoutTokens(t *testing.T) {
	n := vendors.Notification{ID: "m", Title: "t", Body: strings.Repeat("长", 3000), Ext: strings.Repeat("e", 1000)}
	tokens := []string{strings.Repeat("T", 100), strings.Repeat("U", 100)}
	body, err := buildBody(n, settings{Click: vendors.Click{Action: vendors.ClickOpenApp}}, tokens, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tokJSON, _ := json.Marshal(tokens)
	if size := len(body) - len(tokJSON); size > maxBodyBytes || size < maxBodyBytes-8 {
		t.Fatalf("body without tokens is %d bytes, want just under %d", size, maxBodyBytes)
	}
	var r sendRequest
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(r.Android.Notification.Body, vendors.Ellipsis) || r.Data != `{"ext":"`+n.Ext+`"}` {
		t.Fatalf("body not shrunk or ext changed: %.60q / %.60q", r.Android.Notification.Body, r.Data)
	}
	n.Ext = strings.Repeat("e", 5000)
	if _, err := buildBody(n, settings{}, tokens, time.Now()); vendors.KindOf(err) != vendors.Rejected {
		t.Fatalf("oversized ext: %v, want rejected", err)
	}
}

func TestTTLIsCappedAt15Days(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := vendors.Notification{ExpireAt: now.AddDate(0, 1, 0)}
	if got := newRequest(&n, settings{}, []string{"tok"}, now).Android.TTL; got != "1296000s" {
		t.Fatalf("ttl = %s", got)
	}
}

// The big-text style repeats the text in the big title and body; the
// shrinking counts both, so the body still fits.
func TestBigTextStillFits(t *testing.T) {
	n := vendors.Notification{ID: "m", Title: "t", Body: strings.Repeat("长", 3000), Ext: strings.Repeat("e", 500),
		Image: "https://cdn.example.com/i.png", Android: vendors.AndroidOptions{BigText: true}}
	body, err := buildBody(n, settings{Click: vendors.Click{Action: vendors.ClickOpenApp}}, []string{"tok"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if size := len(body) - len(`["tok"]`); size > maxBodyBytes {
		t.Fatalf("body without tokens is %d bytes, more than %d", size, maxBodyBytes)
	}
	if !strings.Contains(string(body), `"style":1`) || !strings.Contains(string(body), n.Image) {
		t.Fatalf("style or image missing: %.200s", body)
	}
}
