package dispatcher

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/harmony"
)

// TestRenderHarmonyOptions: offline_push.harmony reaches the notification
// as given (the adapter applies it); a job without it carries none.
func TestRenderHarmonyOptions(t *testing.T) {
	j := renderJob()
	n := mustRender(t, j, RenderInput{Vendor: harmony.Harmony})
	if n.Harmony != nil || n.Title == "" {
		t.Fatalf("no harmony options: %+v, title %q", n.Harmony, n.Title)
	}
	j.OfflinePush.Harmony = HarmonyPush{Title: "T", Category: "WORK", Image: "https://x.example/a.png", Sound: "a.mp3", SoundDuration: 9}
	n = mustRender(t, j, RenderInput{Vendor: harmony.Harmony})
	want := &vendors.HarmonyOptions{Title: "T", Category: "WORK", Image: "https://x.example/a.png", Sound: "a.mp3", SoundDuration: 9}
	if d := cmp.Diff(want, n.Harmony); d != "" {
		t.Fatalf("harmony options (-want +got):\n%s", d)
	}
}
