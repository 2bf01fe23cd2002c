package meizu

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
	Settings     settings             `json:"settings"`
	Tokens       []string             `json:"tokens"`
	Now          time.Time            `json:"now"`
}

// goldenOutput is the unsigned form, messageJson decoded for readability.
type goldenOutput struct {
	Path        string          `json:"path"`
	AppID       string          `json:"appId"`
	PushIDs     string          `json:"pushIds"`
	MessageJSON json.RawMessage `json:"messageJson"`
}

func TestPayloadGolden(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.json")
	if len(ins) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run(name, func(t *testing.T) {
			var gi goldenInput
			readJSON(t, in, &gi)
			form, err := buildParams(&gi.Notification, gi.Settings, gi.Tokens, gi.Now)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(goldenOutput{Path: pushByPushIDPath, AppID: form.Get("appId"),
				PushIDs: form.Get("pushIds"), MessageJSON: json.RawMessage(form.Get("messageJson"))}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join("testdata", name+".golden.json"), got)
		})
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

// compareGolden compares got with the golden file as JSON values, or
// rewrites the file under -update.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if d := cmp.Diff(w, g); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

func TestValidHours(t *testing.T) {
	cases := map[time.Duration]int{time.Second: 1, time.Hour: 1, time.Hour + time.Second: 2,
		24 * time.Hour: 24, 100 * time.Hour: 72}
	for ttl, want := range cases {
		if got := validHours(ttl); got != want {
			t.Errorf("validHours(%v) = %d, want %d", ttl, got, want)
		}
	}
}
