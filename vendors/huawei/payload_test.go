package huawei

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/golden"
	"github.com/pushd/pushd/internal/hms"
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
	tokens := make([]string, 1000)
	for i := range tokens {
		tokens[i] = strings.Repeat("T", 100)
	}
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
	if !strings.HasSuffix(r.Message.Android.Notification.Body, vendors.Ellipsis) || r.Message.Data != `{"ext":"`+n.Ext+`"}` {
		t.Fatalf("body not shrunk or ext changed: %.60q / %.60q", r.Message.Android.Notification.Body, r.Message.Data)
	}
}

func TestExtTooLargeIsRejected(t *testing.T) {
	n := vendors.Notification{Title: "t", Body: "b", Ext: strings.Repeat("e", 5000)}
	_, err := buildBody(n, settings{}, []string{"a"}, time.Now())
	if vendors.KindOf(err) != vendors.Rejected || vendors.CodeOf(err) != "PayloadTooLarge" ||
		!strings.Contains(err.Error(), vendors.ErrExtTooLarge.Error()) {
		t.Fatalf("err = %v, want a rejected ext-too-large error", err)
	}
}

func TestIntentExtrasAreAndroidEncoded(t *testing.T) {
	got := hms.IntentWithExtras("intent://chat/open#Intent;scheme=app;end", map[string]string{"ext": `{"a":"b c/é"}`})
	want := "intent://chat/open#Intent;scheme=app;S.ext=%7B%22a%22%3A%22b%20c%2F%C3%A9%22%7D;end"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
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
