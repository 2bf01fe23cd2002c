package app

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// SPEC §5: a quota error parks that certificate's sends until the reset
// time. The vendor is asked once; later jobs through the certificate do not
// reach it, and every device is scheduled for the reset (midnight China
// time), not retried in a loop.
func TestDailyQuotaParksTheCertificate(t *testing.T) {
	h := newHarness(t)
	defer func() {
		if t.Failed() {
			t.Logf("events: %+v\nlogs: %s", h.eventsOf(testApp, "quota-1"), h.logs.String())
		}
	}()
	cert := h.addVendor(testApp, vendors.OPPO)
	h.sb.OPPO.FailNext(1, fake.Failure{Code: "33"}) // OPPO: daily message limit exceeded
	job := func(msg string, tok int) map[string]any {
		return map[string]any{"app_id": testApp, "msg_id": msg,
			"devices":      []map[string]any{{"cert_id": cert, "token": deviceToken(vendors.OPPO, tok)}},
			"offline_push": map[string]any{"title": "Hiking", "desc": "See you at 8"}}
	}
	h.enqueue(job("quota-1", 1))
	waitFor(t, "the quota answer", 10*time.Second, func() bool { return len(h.eventsOf(testApp, "quota-1")) == 1 })
	sends := func() int { return len(onPath(h.sb.OPPO.Requests(), "/server/v1/message/notification/unicast")) }
	if n := sends(); n != 1 {
		t.Fatalf("%d sends for the first job, want 1", n)
	}
	h.enqueue(job("quota-2", 2))
	h.enqueue(job("quota-3", 3))

	reset := vendors.NextChinaMidnight(time.Now())
	var scheduled []*asynq.TaskInfo
	waitFor(t, "three retries scheduled for the reset", 10*time.Second, func() bool {
		scheduled, _ = h.app.Inspector.ListScheduledTasks(dispatcher.Queue)
		return len(scheduled) == 3
	})
	for _, ti := range scheduled {
		if ti.Type != dispatcher.TypeRetry || ti.NextProcessAt.Before(reset.Add(-5*time.Second)) || ti.NextProcessAt.After(reset.Add(5*time.Second)) {
			t.Errorf("%s %s scheduled at %s, want the quota reset %s", ti.Type, ti.ID, ti.NextProcessAt, reset)
		}
		if ti.Retried != 0 {
			t.Errorf("%s burned %d retries on a quota", ti.ID, ti.Retried)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := sends(); n != 1 {
		t.Fatalf("the parked certificate reached OPPO %d times, want only the first (quota) request", n)
	}
	// Another certificate is not parked.
	other := h.addAPNs(testApp, testBundle)
	h.enqueue(map[string]any{"app_id": testApp, "msg_id": "not-parked",
		"devices":      []map[string]any{{"cert_id": other, "token": deviceToken(vendors.APNs, 1)}},
		"offline_push": map[string]any{"desc": "hi"}})
	waitFor(t, "the APNs device delivered", 10*time.Second, func() bool { return okPerToken(h.apns.Requests())[deviceToken(vendors.APNs, 1)] == 1 })
}
