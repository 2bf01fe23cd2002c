package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	tokA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	tokB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	tokF = "fcm-token-0001:APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ-hQMRKRrZuJAEcl7B338qju59zJMjw2DeLuzEBqR"
)

func TestEndToEndAPNsAndFCM(t *testing.T) {
	h := newHarness(t)
	apnsCert := h.addAPNs("1400000001", "com.example.chat")
	fcmCert := h.addFCM("1400000001", "pushd-e2e")

	// Device B answers 503 twice, then 200.
	h.apns.FailTokenTimes(tokB, 2, fake.Failure{Status: 503, Code: "ServiceUnavailable"})
	job := map[string]any{
		"app_id": "1400000001", "msg_id": "e2e-1",
		"sender": map[string]any{"user_id": "denny", "nickname": "Denny"},
		"devices": []map[string]any{
			{"cert_id": apnsCert, "token": tokA}, {"cert_id": apnsCert, "token": tokB}, {"cert_id": fcmCert, "token": tokF},
		},
		"offline_push": map[string]any{"title": "Hiking", "desc": "Denny: See you at 8", "ext": `{"conv":"c2c_denny"}`, "badge": 3},
	}
	res := h.enqueue(job)
	if res.TaskID != "msg:1400000001:e2e-1" || res.Duplicate {
		t.Fatalf("enqueue answer %+v", res)
	}
	if again := h.enqueue(job); !again.Duplicate || again.TaskID != res.TaskID {
		t.Fatalf("second enqueue of the same msg_id: %+v", again)
	}
	waitFor(t, "every device delivered", 15*time.Second, func() bool {
		ok := okPerToken(append(h.apns.Requests(), h.fcm.Requests()...))
		return ok[tokA] == 1 && ok[tokB] == 1 && ok[tokF] == 1
	})
	time.Sleep(600 * time.Millisecond) // a late duplicate would show up here
	apnsReqs := h.apns.Requests()
	perToken := map[string]int{}
	for _, r := range apnsReqs {
		perToken[r.Tokens[0]]++
	}
	if perToken[tokA] != 1 || perToken[tokB] != 3 {
		t.Fatalf("APNs requests per token = %v; want A once, B 503, 503, 200", perToken)
	}
	if ok := okPerToken(append(apnsReqs, h.fcm.Requests()...)); ok[tokA] != 1 || ok[tokB] != 1 || ok[tokF] != 1 {
		t.Fatalf("deliveries per token = %v, want exactly one each", ok)
	}
	var aps struct {
		Aps struct {
			Alert struct{ Title, Body string }
			Badge int
			Sound string
		}
		Ext string
	}
	r := apnsReqs[0]
	if err := json.Unmarshal(r.Body, &aps); err != nil {
		t.Fatal(err)
	}
	if aps.Aps.Alert.Title != "Hiking" || aps.Aps.Alert.Body != "Denny: See you at 8" || aps.Aps.Badge != 3 ||
		aps.Ext != `{"conv":"c2c_denny"}` || r.Header.Get("apns-topic") != "com.example.chat" ||
		r.Header.Get("apns-collapse-id") == "" {
		t.Fatalf("APNs request: headers %v body %s", r.Header, r.Body)
	}
	fr := h.fcm.Requests()
	var fm struct {
		Message struct {
			Token        string
			Notification struct{ Title, Body string }
			Data         map[string]string
		}
	}
	if err := json.Unmarshal(fr[len(fr)-1].Body, &fm); err != nil {
		t.Fatal(err)
	}
	if fm.Message.Token != tokF || fm.Message.Notification.Body != "Denny: See you at 8" || fm.Message.Data["ext"] != `{"conv":"c2c_denny"}` {
		t.Fatalf("FCM request: %s", fr[len(fr)-1].Body)
	}
	assertNoSecrets(t, h.logs.String(), tokA, tokB, tokF)
}

func TestUndecodableJobIsArchivedWithReason(t *testing.T) {
	h := newHarness(t)
	_, err := h.app.Queue.Enqueue(asynq.NewTask(dispatcher.TypeMessage, []byte(`{"app_id": 7, "msg_id": "m"}`)),
		asynq.Queue(dispatcher.Queue), asynq.TaskID("broken-1"))
	if err != nil {
		t.Fatal(err)
	}
	var info *asynq.TaskInfo
	waitFor(t, "the broken task archived", 10*time.Second, func() bool {
		info, err = h.app.Inspector.GetTaskInfo(dispatcher.Queue, "broken-1")
		return err == nil && info.State == asynq.TaskStateArchived
	})
	if !strings.Contains(info.LastErr, "invalid job") || !strings.Contains(info.LastErr, "app_id") || info.Retried != 0 {
		t.Fatalf("archived with %q after %d retries", info.LastErr, info.Retried)
	}
	// The worker keeps running: a good job after it is delivered.
	cert := h.addAPNs("1400000001", "com.example.chat")
	h.enqueue(map[string]any{"app_id": "1400000001", "msg_id": "after-broken",
		"devices":      []map[string]any{{"cert_id": cert, "token": tokA}},
		"offline_push": map[string]any{"desc": "still alive"}})
	waitFor(t, "the next job delivered", 10*time.Second, func() bool { return okPerToken(h.apns.Requests())[tokA] == 1 })
}

func TestBadJobAnswered400NamingTheField(t *testing.T) {
	h := newHarness(t)
	err := h.client.DoRaw(context.Background(), http.MethodPost, "/v1/messages",
		strings.NewReader(`{"app_id":"1","msg_id":"m","devices":[{"cert_id":0,"token":"t"}]}`), nil)
	se, ok := err.(*api.StatusError)
	if !ok || se.Status != 400 || se.Body.Field != "devices[0].cert_id" {
		t.Fatalf("got %v", err)
	}
}
