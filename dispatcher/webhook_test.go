package dispatcher

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// received is one POST the test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint that records every POST on a channel and
// answers with the next status of its script (200 once the script is used
// up). gate, when not nil, holds every answer until it is closed.
type receiver struct {
	*httptest.Server
	got  chan received
	mu   sync.Mutex
	plan []int
	gate chan struct{}
}

func newReceiver(t *testing.T, plan ...int) *receiver {
	r := &receiver{got: make(chan received, 1000), plan: plan}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.got <- received{header: req.Header.Clone(), body: b}
		if r.gate != nil {
			<-r.gate
		}
		w.WriteHeader(r.next())
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) next() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.plan) == 0 {
		return http.StatusOK
	}
	s := r.plan[0]
	r.plan = r.plan[1:]
	return s
}

// take waits for the next POST.
func (r *receiver) take(t *testing.T) received {
	t.Helper()
	select {
	case g := <-r.got:
		return g
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook POST within 5s")
		return received{}
	}
}

const testSecret = "whsec-test-0123456789"

// checkSigned verifies the headers of a POST independently of SignWebhook
// and decodes its body.
func checkSigned(t *testing.T, g received) WebhookBody {
	t.Helper()
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write(g.body)
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); g.header.Get("X-Pushd-Signature") != want {
		t.Fatalf("signature %q, want %q", g.header.Get("X-Pushd-Signature"), want)
	}
	var b WebhookBody
	if err := json.Unmarshal(g.body, &b); err != nil {
		t.Fatal(err)
	}
	if g.header.Get("X-Pushd-Timestamp") != strconv.FormatInt(b.SentAt, 10) || g.header.Get("X-Pushd-Delivery") != b.ID || b.ID == "" {
		t.Fatalf("headers %v do not match the body's id %q and sent_at %d", g.header, b.ID, b.SentAt)
	}
	if g.header.Get("Content-Type") != "application/json" {
		t.Fatalf("content type %q", g.header.Get("Content-Type"))
	}
	return b
}

func events(n int, start int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{Type: EventSent, AppID: "1400000001", MsgID: "m" + strconv.Itoa(start+i), At: time.Unix(1_800_000_000, 0).UTC()}
	}
	return evs
}

func TestWebhookBatchesBySizeAndTime(t *testing.T) {
	r := newReceiver(t)
	reg := prometheus.NewRegistry()
	s := NewWebhookSink(WebhookConfig{URL: r.URL, Secret: testSecret, Batch: 3, Flush: 150 * time.Millisecond}, reg)
	defer s.Close(context.Background())

	start := time.Now()
	s.Emit(context.Background(), events(4, 0))
	full := checkSigned(t, r.take(t))
	if len(full.Events) != 3 || full.Events[0].MsgID != "m0" || full.Events[2].MsgID != "m2" {
		t.Fatalf("first batch %+v, want m0..m2", full.Events)
	}
	rest := checkSigned(t, r.take(t))
	if len(rest.Events) != 1 || rest.Events[0].MsgID != "m3" {
		t.Fatalf("second batch %+v, want m3", rest.Events)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Fatalf("a partial batch went out after %s, before the 150ms flush", waited)
	}
	if full.ID == rest.ID {
		t.Fatal("two batches share an id")
	}
	waitUntil(t, func() bool { return s.Stats() == WebhookStats{Posted: 4} })
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || mfs[0].GetName() != "pushd_webhook_events_total" || len(mfs[0].GetMetric()) != 3 {
		t.Fatalf("metrics %v, %v", mfs, err)
	}
}

func TestWebhookRetriesWithTheSameBatch(t *testing.T) {
	r := newReceiver(t, http.StatusServiceUnavailable, http.StatusInternalServerError)
	s := NewWebhookSink(WebhookConfig{URL: r.URL, Secret: testSecret, Batch: 2, RetryBase: 20 * time.Millisecond}, nil)
	defer s.Close(context.Background())
	s.Emit(context.Background(), events(2, 0))
	var ids []string
	for range 3 {
		ids = append(ids, checkSigned(t, r.take(t)).ID)
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("retries changed the batch id: %v", ids)
	}
	waitUntil(t, func() bool { return s.Stats().Posted == 2 })
}

func TestWebhookGivesUpOnRefusalAndAfterAttempts(t *testing.T) {
	var mu sync.Mutex
	var errs []error
	onErr := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }

	refused := newReceiver(t, http.StatusBadRequest)
	s := NewWebhookSink(WebhookConfig{URL: refused.URL, Secret: testSecret, Batch: 1, RetryBase: time.Millisecond, OnError: onErr}, nil)
	s.Emit(context.Background(), events(1, 0))
	refused.take(t)
	waitUntil(t, func() bool { return s.Stats().Failed == 1 })
	s.Close(context.Background())
	if n := len(refused.got); n != 0 {
		t.Fatalf("a 400 was retried %d times", n)
	}

	down := newReceiver(t, 503, 503, 503)
	s = NewWebhookSink(WebhookConfig{URL: down.URL, Secret: testSecret, Batch: 1, Attempts: 3, RetryBase: time.Millisecond, OnError: onErr}, nil)
	s.Emit(context.Background(), events(1, 0))
	for range 3 {
		down.take(t)
	}
	waitUntil(t, func() bool { return s.Stats().Failed == 1 })
	s.Close(context.Background())
	mu.Lock()
	defer mu.Unlock()
	var we *webhookError
	if len(errs) != 2 || !errors.As(errs[1], &we) || we.status != 503 {
		t.Fatalf("errors reported: %v", errs)
	}
}

func TestWebhookNeverBlocksAndCountsDrops(t *testing.T) {
	r := newReceiver(t)
	r.gate = make(chan struct{})
	s := NewWebhookSink(WebhookConfig{URL: r.URL, Secret: testSecret, Batch: 5, Buffer: 10}, nil)

	start := time.Now()
	for i := range 100 {
		s.Emit(context.Background(), events(1, i))
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Emit blocked for %s behind a stuck receiver", d)
	}
	r.take(t) // the first batch is in flight, held by the gate
	// At most one batch in flight plus the buffer were accepted.
	if d := s.Stats().Dropped; d < 100-5-10 || d > 100-10 {
		t.Fatalf("dropped %d of 100, want between 85 and 90", d)
	}
	close(r.gate)
	s.Close(context.Background())
	st := s.Stats()
	if st.Posted+st.Dropped != 100 || st.Failed != 0 {
		t.Fatalf("stats %+v: every event must be posted or counted as dropped", st)
	}
}

func TestWebhookCloseFlushesThePartialBatch(t *testing.T) {
	r := newReceiver(t)
	s := NewWebhookSink(WebhookConfig{URL: r.URL, Secret: testSecret, Batch: 100, Flush: time.Hour}, nil)
	s.Emit(context.Background(), events(7, 0))
	s.Close(context.Background())
	if b := checkSigned(t, r.take(t)); len(b.Events) != 7 {
		t.Fatalf("flushed %d events, want 7", len(b.Events))
	}
	s.Emit(context.Background(), events(1, 7))
	if st := s.Stats(); st.Posted != 7 || st.Dropped != 1 {
		t.Fatalf("after Close: %+v, want 7 posted and the late event dropped", st)
	}
}

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"id":"x","events":[]}`)
	sig := SignWebhook(testSecret, body)
	if !VerifyWebhook(testSecret, body, sig) || VerifyWebhook("other", body, sig) || VerifyWebhook(testSecret, append(body, ' '), sig) {
		t.Fatal("VerifyWebhook accepts a wrong signature or refuses a right one")
	}
	if got := redactedURL("https://user:pw@hooks.example.com/p?token=secret"); got != "https://hooks.example.com/p" {
		t.Fatalf("redactedURL = %q", got)
	}
}

// waitUntil polls cond for up to 5s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
