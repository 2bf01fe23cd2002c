package oppo

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
	Settings     settings             `json:"settings"`
	Tokens       []string             `json:"tokens"`
	Now          time.Time            `json:"now"`
}

// goldenOutput is what build makes, with the JSON form fields decoded so
// the golden file is readable.
type goldenOutput struct {
	Path           string                     `json:"path"`
	Form           map[string]json.RawMessage `json:"form"`
	MissingChannel bool                       `json:"missing_channel"`
}

func TestPayloadGolden(t *testing.T) {
	golden.Run(t, "testdata", func(t *testing.T, in string) []byte {
		var gi goldenInput
		golden.ReadJSON(t, in, &gi)
		req, err := build(&gi.Notification, gi.Settings, gi.Tokens, gi.Now)
		if err != nil {
			t.Fatal(err)
		}
		out := goldenOutput{Path: req.Path, Form: map[string]json.RawMessage{}, MissingChannel: req.MissingChannel}
		for k := range req.Form {
			out.Form[k] = json.RawMessage(req.Form.Get(k))
		}
		return golden.Marshal(t, out)
	})
}

func TestClickFields(t *testing.T) {
	cases := []struct {
		click          vendors.Click
		typ            int
		activity, link string
	}{
		{vendors.Click{Action: vendors.ClickOpenApp}, 0, "", ""},
		{vendors.Click{}, 0, "", ""},
		{vendors.Click{Action: vendors.ClickURL, Target: "https://a.example/x"}, 2, "", "https://a.example/x"},
		{vendors.Click{Action: vendors.ClickIntent, Target: "intent:#Intent;component=a/.B;end"}, 5, "", "intent:#Intent;component=a/.B;end"},
		{vendors.Click{Action: vendors.ClickIntent, Target: "myapp://chat?id=1"}, 5, "", "myapp://chat?id=1"},
		{vendors.Click{Action: vendors.ClickIntent, Target: "com.example.ChatActivity"}, 4, "com.example.ChatActivity", ""},
	}
	for _, c := range cases {
		typ, activity, link := clickFields(c.click)
		if typ != c.typ || activity != c.activity || link != c.link {
			t.Errorf("%+v: %d %q %q, want %d %q %q", c.click, typ, activity, link, c.typ, c.activity, c.link)
		}
	}
}

func TestExtTooLargeIsRejected(t *testing.T) {
	n := &vendors.Notification{ID: "m", Title: "t", Body: "b", Ext: strings.Repeat("x", maxActionParameters)}
	_, err := build(n, settings{}, []string{tokenN(1)}, testStart())
	if vendors.KindOf(err) != vendors.Rejected || vendors.CodeOf(err) != "PayloadTooLarge" {
		t.Errorf("err %v", err)
	}
}

func TestAppMessageIDPerMessageAndTarget(t *testing.T) {
	a, b := appMessageID("c2c-1", tokenN(1)), appMessageID("c2c-1", tokenN(2))
	if a == b || a != appMessageID("c2c-1", tokenN(1)) || !strings.HasPrefix(a, "c2c-1:") || len(a) > 64 {
		t.Errorf("ids %q %q", a, b)
	}
	if long := appMessageID(strings.Repeat("m", 100), tokenN(1)); len(long) != 64 {
		t.Errorf("long id %q", long)
	}
	if appMessageID("", tokenN(1)) != "" {
		t.Error("an id without a message id")
	}
}

// TestNotifyIDReplacesDedupeIDDoesNot: a recall's replacement (its own
// id, Replaces the message) has the message's notify_id, so it overrides
// the shown notification, and its own app_message_id, so OPPO does not
// drop it as a duplicate.
func TestNotifyIDReplacesDedupeIDDoesNot(t *testing.T) {
	st := settings{Click: vendors.Click{Action: vendors.ClickOpenApp}}
	orig := &vendors.Notification{ID: "m1", Title: "Denny", Body: "hi"}
	repl := &vendors.Notification{ID: "m1#replaced", Replaces: "m1", Title: "New message", Body: "This message was recalled"}
	a, err := build(orig, st, []string{tokenN(1)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(repl, st, []string{tokenN(1)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ma, mb message
	if json.Unmarshal([]byte(a.Form.Get("message")), &ma) != nil || json.Unmarshal([]byte(b.Form.Get("message")), &mb) != nil {
		t.Fatalf("messages %q %q", a.Form.Get("message"), b.Form.Get("message"))
	}
	if ma.Notification.NotifyID == 0 || ma.Notification.NotifyID != mb.Notification.NotifyID {
		t.Errorf("notify_id %d and %d, want the same non-zero id", ma.Notification.NotifyID, mb.Notification.NotifyID)
	}
	if ma.Notification.AppMessageID == mb.Notification.AppMessageID {
		t.Errorf("app_message_id %q shared: OPPO would drop the replacement", ma.Notification.AppMessageID)
	}
}
