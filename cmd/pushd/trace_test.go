package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testredis"
)

// startTraceServer is startServer that also returns the Redis it uses.
func startTraceServer(t *testing.T) (string, *testredis.DB) {
	t.Helper()
	db := testredis.New(t)
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	cfg.MasterKey = base64.StdEncoding.EncodeToString(key)
	cfg.Redis.URL, cfg.Listen = db.URL, "127.0.0.1:0"
	cfg.Worker.ShutdownTimeout = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, app.Options{Log: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return "http://" + <-addr, db
}

func TestCLITrace(t *testing.T) {
	srv, db := startTraceServer(t)
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	n, badge, lat := 1, 2, int64(31)
	err := dispatcher.NewTraceStore(db.Client, "pushd:", 0).Write(context.Background(), "app1", "m-42", []dispatcher.TraceEntry{
		{At: at, Step: dispatcher.StepResolved, UserID: "alice", Devices: &n},
		{At: at, Step: dispatcher.EventDropped, UserID: "bob", Rule: dispatcher.RuleReceiveNoNotify},
		{At: at, Step: dispatcher.StepRendered, UserID: "alice", CertID: 7, Token: "abcdef012345", Vendor: "apns",
			Title: "Denny", Body: "lunch?", Badge: &badge},
		{At: at.Add(time.Millisecond), Step: dispatcher.EventSent, UserID: "alice", CertID: 7, Token: "abcdef012345", Vendor: "apns",
			VendorMsgID: "5E1F", LatencyMS: &lat},
	})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, srv, "trace", "--app", "app1", "m-42")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"trace of message m-42 of app app1",
		"10:00:00.000 alice - resolved 1 device(s) found",
		"10:00:00.000 bob - dropped rule receive_opt_not_notify: the user muted this conversation",
		`alice apns cert 7 token abcdef012345 rendered title "Denny" body "lunch?", badge 2`,
		"10:00:00.001 alice apns cert 7 token abcdef012345 sent vendor id 5E1F, 31 ms",
	} {
		// Columns are aligned with spaces: compare words.
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "resolved") > strings.Index(out, "sent") || strings.Index(out, "sent") > strings.Index(out, "bob") {
		t.Errorf("not grouped per recipient in time order:\n%s", out)
	}
	code, out, _ = cli(t, srv, "trace", "--app", "app1", "m-42", "--output", "json")
	var tr dispatcher.Trace
	if code != 0 || json.Unmarshal([]byte(out), &tr) != nil || len(tr.Entries) != 4 || tr.Entries[3].VendorMsgID != "5E1F" {
		t.Fatalf("json: exit %d %s", code, out)
	}
	if code, _, errOut = cli(t, srv, "trace", "--app", "app1", "nope"); code == 0 || !strings.Contains(errOut, "no trace") {
		t.Errorf("an unknown message: exit %d %s", code, errOut)
	}
	if code, _, _ = cli(t, srv, "trace", "m-42"); code == 0 {
		t.Error("no --app: exit 0")
	}
}

func TestPrintTraceMore(t *testing.T) {
	var b bytes.Buffer
	printTrace(&b, &dispatcher.Trace{AppID: "a", MsgID: "m", More: 12})
	if !strings.Contains(b.String(), "… 12 more entries not kept") {
		t.Fatalf("%s", b.String())
	}
}
