package honor

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/vendors"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenInput is a testdata/<case>.in.json file.
type goldenInput struct {
	Notification vendors.Notification `json:"notification"`
	Credential   vendors.Credential   `json:"credential"`
	Tokens       []string             `json:"tokens"`
	Now          time.Time            `json:"now"`
}

func TestPayloadGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/*.in.json")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run(name, func(t *testing.T) {
			var g goldenInput
			readJSON(t, in, &g)
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
			compareGolden(t, filepath.Join("testdata", name+".golden.json"), got)
		})
	}
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
	if got := ttl(&n, now); got != "1296000s" {
		t.Fatalf("ttl = %s", got)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// compareGolden compares got with the golden file as JSON, or rewrites the
// file under -update.
func compareGolden(t *testing.T, path string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var want any
	readJSON(t, path, &want)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}
