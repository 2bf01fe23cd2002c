package vivo

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
	Settings     settings             `json:"settings"`
	Tokens       []string             `json:"tokens"`
	Now          time.Time            `json:"now"`
}

// goldenRequest is one request body Send would post.
type goldenRequest struct {
	Path string `json:"path"`
	Body any    `json:"body"`
}

func TestPayloadGolden(t *testing.T) {
	golden.Run(t, "testdata", func(t *testing.T, in string) []byte {
		var gi goldenInput
		golden.ReadJSON(t, in, &gi)
		m, err := buildMessage(&gi.Notification, gi.Settings, gi.Now)
		if err != nil {
			t.Fatal(err)
		}
		var reqs []goldenRequest
		if len(gi.Tokens) == 1 {
			reqs = append(reqs, goldenRequest{sendPath, single(m, gi.Notification.ID, gi.Tokens[0])})
		} else {
			payload, _ := listPayload(m, gi.Notification.ID)
			reqs = append(reqs, goldenRequest{saveListPath, payload},
				goldenRequest{pushListPath, pushList(gi.Settings, gi.Notification.ID, gi.Tokens, "TASK")})
		}
		return golden.Marshal(t, reqs)
	})
}

func TestListKeyIgnoresTTLAndRequestID(t *testing.T) {
	st := settings{AppID: 1, Classification: 1}
	n := &vendors.Notification{ID: "m1", Title: "t", Body: "b", ExpireAt: testStart().Add(time.Hour)}
	a, _ := buildMessage(n, st, testStart())
	b, _ := buildMessage(n, st, testStart().Add(time.Minute))
	_, ka := listPayload(a, n.ID)
	_, kb := listPayload(b, n.ID)
	n.Body = "other"
	c, _ := buildMessage(n, st, testStart())
	_, kc := listPayload(c, n.ID)
	_, kd := listPayload(a, "m2")
	if ka != kb || ka == kc || ka == kd {
		t.Errorf("keys %q %q %q %q", ka, kb, kc, kd)
	}
}

func TestTTLBounds(t *testing.T) {
	st := settings{AppID: 1}
	n := &vendors.Notification{ID: "m", Title: "t", Body: "b", ExpireAt: testStart().Add(10 * time.Second)}
	m, _ := buildMessage(n, st, testStart())
	if got := single(m, n.ID, "x").TimeToLive; got != minSingleTTL {
		t.Errorf("single ttl %d", got)
	}
	if got, _ := listPayload(m, n.ID); got.TimeToLive != minListTTL {
		t.Errorf("list ttl %d", got.TimeToLive)
	}
	n.ExpireAt = testStart().Add(30 * 24 * time.Hour)
	m, _ = buildMessage(n, st, testStart())
	if got := single(m, n.ID, "x").TimeToLive; got != maxTTL {
		t.Errorf("long ttl %d", got)
	}
}

func TestExtTooLargeIsRejected(t *testing.T) {
	n := &vendors.Notification{ID: "m", Title: "t", Body: "b", Ext: strings.Repeat("x", 1022)}
	_, err := buildMessage(n, settings{}, testStart())
	if vendors.KindOf(err) != vendors.Rejected || vendors.CodeOf(err) != "PayloadTooLarge" {
		t.Errorf("err %v", err)
	}
}

func TestRequestIDs(t *testing.T) {
	a, b := requestID("c2c-1", "aaaa"), requestID("c2c-1", "bbbb")
	if a == b || len(requestID(strings.Repeat("x", 80), "s")) != maxRequestID || requestID("", "s") == "" {
		t.Errorf("ids %q %q", a, b)
	}
}

// TestNotifyIDFromReplaceKey: a recall's replacement (its own id, Replaces
// the message) has the message's notifyId, so it replaces the shown
// notification; its requestId comes from its own id (single), so vivo
// does not drop it as a duplicate.
func TestNotifyIDFromReplaceKey(t *testing.T) {
	st := settings{AppID: 1, Classification: 1}
	orig := &vendors.Notification{ID: "m1", Title: "Denny", Body: "hi"}
	repl := &vendors.Notification{ID: "m1#replaced", Replaces: "m1", Title: "New message", Body: "Recalled"}
	a, _ := buildMessage(orig, st, testStart())
	b, _ := buildMessage(repl, st, testStart())
	if a.NotifyID == 0 || a.NotifyID != b.NotifyID || a.NotifyID != vendors.NotifyID("m1") {
		t.Errorf("notifyId %d and %d, want both %d", a.NotifyID, b.NotifyID, vendors.NotifyID("m1"))
	}
	if single(a, orig.ID, "tok").RequestID == single(b, repl.ID, "tok").RequestID {
		t.Error("the replacement shares the requestId: vivo would drop it")
	}
	if none, _ := buildMessage(&vendors.Notification{Title: "t", Body: "b"}, st, testStart()); none.NotifyID != 0 {
		t.Errorf("notifyId %d without a message id", none.NotifyID)
	}
}
