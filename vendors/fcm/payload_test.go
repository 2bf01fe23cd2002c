package fcm

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/internal/golden"
	"github.com/pushd/pushd/vendors"
)

// goldenNow is the clock of the golden cases; their expire_at values are
// relative to it.
func goldenNow() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

type goldenInput struct {
	Notification vendors.Notification `json:"notification"`
	Click        vendors.Click        `json:"click"`
	Token        string               `json:"token"`
}

// TestGoldenRequestBodies compares the request body DryRun shows (which is
// the body Send posts, see TestSendSuccessMatchesDryRun) with
// testdata/<case>.golden.json.
func TestGoldenRequestBodies(t *testing.T) {
	golden.Run(t, "testdata", func(t *testing.T, in string) []byte {
		var gi goldenInput
		golden.ReadJSON(t, in, &gi)
		click, err := gi.Click.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		s := &Sender{project: "demo-project", endpoint: DefaultEndpoint, click: click, now: goldenNow}
		reqs, err := s.DryRun(context.Background(), &gi.Notification, []string{gi.Token})
		if err != nil {
			t.Fatal(err)
		}
		var got any
		if err := json.Unmarshal([]byte(reqs[0].Body), &got); err != nil {
			t.Fatal(err)
		}
		return golden.Marshal(t, got)
	})
}

func TestLongTextShrinksAndKeepsExt(t *testing.T) {
	ext := strings.Repeat("x", 1000)
	n := &vendors.Notification{ID: "m", Title: "Denny", Body: strings.Repeat("长", 1500), Ext: ext}
	m, err := fitMessage(n, vendors.Click{Action: vendors.ClickOpenApp}, goldenNow())
	if err != nil {
		t.Fatal(err)
	}
	size, _ := payloadSize(m)
	if size > PayloadLimit || size < PayloadLimit-16 {
		t.Errorf("payload %d bytes, want just under %d", size, PayloadLimit)
	}
	if m.Data["ext"] != ext || !strings.HasSuffix(m.Notification.Body, vendors.Ellipsis) || m.Notification.Title != "Denny" {
		t.Errorf("ext kept %v, body %q…, title %q", m.Data["ext"] == ext, m.Notification.Body[:9], m.Notification.Title)
	}
	if len([]rune(n.Body)) != 1500 {
		t.Error("fitMessage modified the caller's notification")
	}
}

func TestMessageMapping(t *testing.T) {
	now := goldenNow()
	tests := []struct {
		name  string
		n     vendors.Notification
		click vendors.Click
		check func(t *testing.T, b []byte)
	}{
		{"ttl capped at 4 weeks", vendors.Notification{Body: "b", ExpireAt: now.Add(60 * 24 * time.Hour)}, vendors.Click{},
			wantContains(`"ttl":"2419200s"`)},
		{"default ttl 24h", vendors.Notification{Body: "b"}, vendors.Click{}, wantContains(`"ttl":"86400s"`)},
		{"no id, no collapse key", vendors.Notification{Body: "b"}, vendors.Click{}, wantNot(`collapse_key`)},
		{"silent has no sound", vendors.Notification{Body: "b", Silent: true}, vendors.Click{}, wantNot(`"sound"`)},
		{"tag from the message id", vendors.Notification{ID: "m1", Body: "b"}, vendors.Click{}, wantContains(`"tag":"m1"`)},
		{"tag from the replaced id", vendors.Notification{ID: "r1", Replaces: "m1", Body: "b"}, vendors.Click{},
			wantContains(`"tag":"m1"`)},
		{"id_only has no notification", vendors.Notification{ID: "m1", Title: "New message", Body: "New message",
			Preview: vendors.PreviewIDOnly, IDs: map[string]string{vendors.IDMsg: "m1"}}, vendors.Click{},
			wantNot(`"notification"`)},
		{"id_only without ids is a notification", vendors.Notification{ID: "m1", Body: "New message",
			Preview: vendors.PreviewIDOnly}, vendors.Click{}, wantContains(`"body":"New message"`)},
		{"sound default", vendors.Notification{Body: "b", Sound: "ring.caf"}, vendors.Click{}, wantContains(`"sound":"default"`)},
		{"no ext, no data", vendors.Notification{Body: "b"}, vendors.Click{}, wantNot(`"data"`)},
		{"url click drops ext", vendors.Notification{Body: "b", Ext: "e"}, vendors.Click{Action: vendors.ClickURL, Target: "https://x.test"}, wantNot(`"ext"`)},
		{"high priority", vendors.Notification{Body: "b"}, vendors.Click{}, wantContains(`"priority":"high"`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(buildMessage(&tc.n, tc.click, now))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, b)
		})
	}
}

func wantContains(s string) func(*testing.T, []byte) {
	return func(t *testing.T, b []byte) {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("%s lacks %s", b, s)
		}
	}
}

func wantNot(s string) func(*testing.T, []byte) {
	return func(t *testing.T, b []byte) {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s has %s", b, s)
		}
	}
}

// TestIDOnlyAcceptedByTheFake: the fake accepts the data-only message, and
// what it recorded has the ids and ext in data and no notification.
func TestIDOnlyAcceptedByTheFake(t *testing.T) {
	f, s, _ := setup(t)
	n := &vendors.Notification{ID: "c2c-1", Title: "New message", Body: "New message", Ext: `{"conv":"c2c_denny"}`,
		Preview: vendors.PreviewIDOnly, IDs: map[string]string{vendors.IDMsg: "c2c-1", vendors.IDSender: "denny"}}
	rs := s.Send(context.Background(), n, []string{"dev_1:APA91b"})
	if len(rs) != 1 || rs[0].Err != nil {
		t.Fatalf("Send = %+v, want OK", rs)
	}
	var got struct {
		Message map[string]json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(f.Requests()[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	var data map[string]string
	if err := json.Unmarshal(got.Message["data"], &data); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"msg_id": "c2c-1", "sender_id": "denny", "ext": n.Ext}
	if diff := cmp.Diff(want, data); diff != "" {
		t.Errorf("data (-want +got):\n%s", diff)
	}
	if _, ok := got.Message["notification"]; ok || bytes.Contains(got.Message["android"], []byte("notification")) {
		t.Errorf("id_only message %s has a notification", f.Requests()[0].Body)
	}
}
