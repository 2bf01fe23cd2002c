package harmony

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
	n := vendors.Notification{ID: "m", Title: "t", Body: strings.Repeat("长", 3000), Ext: strings.Repeat("e", 2048),
		Harmony: &vendors.HarmonyOptions{Image: "https://cdn.example.com/" + strings.Repeat("i", 200) + ".png", Sound: strings.Repeat("s", 256)}}
	tokens := make([]string, maxBatch)
	for i := range tokens {
		tokens[i] = strings.Repeat("T", 130)
	}
	set := settings{Category: "IM", Click: vendors.Click{Action: vendors.ClickOpenApp}}
	body, err := buildBody(n, set, tokens, time.Now())
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
	nt := r.Payload.Notification
	if !strings.HasSuffix(nt.Body, vendors.Ellipsis) || nt.ClickAction.Data["ext"] != n.Ext || nt.Title != "t" {
		t.Fatalf("body not shrunk or ext changed: %.60q / %d bytes of ext", nt.Body, len(nt.ClickAction.Data["ext"]))
	}
}

// TestDescriptorExtLimitFitsTheWorstCase: the descriptor's ext limit fits
// the 4096 bytes with the longest options a job may carry and some text,
// the promise the ext limit makes.
func TestDescriptorExtLimitFitsTheWorstCase(t *testing.T) {
	ext := strings.Repeat(`"`, Descriptor().Ext.Limit/2) // each quote costs 2 as JSON
	n := vendors.Notification{ID: strings.Repeat("x", 200), Title: "title", Body: "body", Ext: ext, Badge: vendors.IntPtr(99),
		ExpireAt: time.Now().Add(time.Hour), Harmony: &vendors.HarmonyOptions{Category: "DEVICE_REMINDER",
			Image: "https://" + strings.Repeat("i", 248), Sound: strings.Repeat("s", 256), SoundDuration: 60}}
	set := settings{Category: "IM", Test: true, Click: vendors.Click{Action: vendors.ClickIntent, Target: "https://" + strings.Repeat("u", 500)}}
	body, err := buildBody(n, set, []string{"a"}, time.Now())
	if err != nil {
		t.Fatalf("the largest ext with the longest options: %v", err)
	}
	var r sendRequest
	_ = json.Unmarshal(body, &r)
	if nt := r.Payload.Notification; nt.Title == "" || nt.Body == "" || nt.ClickAction.Data["ext"] != ext {
		t.Fatalf("text left: title %q body %q", nt.Title, nt.Body)
	}
}

func TestExtTooLargeIsRejected(t *testing.T) {
	n := vendors.Notification{Title: "t", Body: "b", Ext: strings.Repeat("e", 5000)}
	_, err := buildBody(n, settings{Click: vendors.Click{Action: vendors.ClickOpenApp}}, []string{"a"}, time.Now())
	if vendors.KindOf(err) != vendors.Rejected || vendors.CodeOf(err) != "PayloadTooLarge" ||
		!strings.Contains(err.Error(), vendors.ErrExtTooLarge.Error()) {
		t.Fatalf("err = %v, want a rejected ext-too-large error", err)
	}
}

func TestSettingsRefuseURLClicks(t *testing.T) {
	cred := &vendors.Credential{ID: 3, Vendor: Harmony, Click: vendors.Click{Action: vendors.ClickURL, Target: "https://example.com"}}
	if _, err := settingsOf(cred); err == nil || !strings.Contains(err.Error(), errURLClick) {
		t.Fatalf("url click: %v", err)
	}
	cred.Click = vendors.Click{}
	s, err := settingsOf(cred)
	if err != nil || s.Category != defaultCategory || s.Test || s.Click.Action != vendors.ClickOpenApp {
		t.Fatalf("defaults: %+v, %v", s, err)
	}
}

func TestAppMessageID(t *testing.T) {
	for id, want := range map[string]string{
		"m-1_a+b/c= d":          "m-1_a+b/c= d",
		"grp:g1":                vendors.ShortKey("grp:g1", 43),
		strings.Repeat("a", 65): vendors.ShortKey(strings.Repeat("a", 65), 43),
	} {
		if got := appMessageID(id); got != want || !appMessageIDRE.MatchString(got) {
			t.Errorf("%q: %q, want %q", id, got, want)
		}
	}
}
