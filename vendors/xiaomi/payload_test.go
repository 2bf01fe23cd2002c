package xiaomi

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
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

// TestIDOnlyAcceptedByTheFake: the fake accepts the pass-through message,
// whose payload holds the ids and ext and whose form holds no text.
func TestIDOnlyAcceptedByTheFake(t *testing.T) {
	f, s := newFake(t)
	n := &vendors.Notification{ID: "m1", Title: "New message", Body: "New message", Ext: `{"k":1}`,
		Preview: vendors.PreviewIDOnly, IDs: map[string]string{vendors.IDMsg: "m1", vendors.IDSender: "denny"}}
	for _, r := range s.Send(context.Background(), n, []string{"r1"}) {
		if r.Err != nil {
			t.Fatalf("send: %v", r.Err)
		}
	}
	form, err := url.ParseQuery(string(f.Requests()[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := url.QueryUnescape(form.Get("payload"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(payload), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"msg_id": "m1", "sender_id": "denny", "ext": `{"k":1}`}
	if form.Get("pass_through") != "1" || form.Has("title") || form.Has("description") || !maps.Equal(got, want) {
		t.Errorf("form %v payload %v, want pass_through 1, no text, payload %v", form, got, want)
	}
}
