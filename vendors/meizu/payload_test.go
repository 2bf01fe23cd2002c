package meizu

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/golden"
	"github.com/pushd/pushd/vendors"
)

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
	golden.Run(t, "testdata", func(t *testing.T, in string) []byte {
		var gi goldenInput
		golden.ReadJSON(t, in, &gi)
		form, err := buildParams(&gi.Notification, gi.Settings, gi.Tokens, gi.Now)
		if err != nil {
			t.Fatal(err)
		}
		return golden.Marshal(t, goldenOutput{Path: pushByPushIDPath, AppID: form.Get("appId"),
			PushIDs: form.Get("pushIds"), MessageJSON: json.RawMessage(form.Get("messageJson"))})
	})
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
