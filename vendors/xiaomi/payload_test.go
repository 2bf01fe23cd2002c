package xiaomi

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
			form := buildForm(g.Notification, set, g.Tokens, g.Now)
			got := map[string]string{}
			for k := range form {
				got[k] = form.Get(k)
			}
			compareGolden(t, filepath.Join("testdata", name+".golden.json"), got)
		})
	}
}

func TestBuildFormDoesNotTouchTheCallersNotification(t *testing.T) {
	n := vendors.Notification{Title: strings.Repeat("t", 80), Body: "b"}
	buildForm(n, settings{Package: "p"}, []string{"a"}, time.Now())
	if len(n.Title) != 80 {
		t.Fatalf("title changed to %q", n.Title)
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
	var want, have any
	readJSON(t, path, &want)
	if err := json.Unmarshal(b, &have); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, have); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}
