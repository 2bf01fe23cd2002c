package xiaomi

import (
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
		form := buildForm(g.Notification, set, g.Tokens, g.Now)
		got := map[string]string{}
		for k := range form {
			got[k] = form.Get(k)
		}
		return golden.Marshal(t, got)
	})
}

func TestBuildFormDoesNotTouchTheCallersNotification(t *testing.T) {
	n := vendors.Notification{Title: strings.Repeat("t", 80), Body: "b"}
	buildForm(n, settings{Package: "p"}, []string{"a"}, time.Now())
	if len(n.Title) != 80 {
		t.Fatalf("title changed to %q", n.Title)
	}
}
