package vivo

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

// goldenRequest is one request body Send would post.
type goldenRequest struct {
	Path string `json:"path"`
	Body any    `json:"body"`
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
			got, err := json.MarshalIndent(reqs, "", "  ")
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
