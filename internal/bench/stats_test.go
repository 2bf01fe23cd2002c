package bench

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// TestRecorderAndControl feeds observed requests to a Recorder and reads
// them back through the control endpoint, as the bench does.
func TestRecorderAndControl(t *testing.T) {
	rec := NewRecorder()
	enq := time.Now().Add(-time.Hour)
	at := enq.Add(40 * time.Millisecond)
	body := url.Values{"extra.ext": {ExtFor(enq)}}.Encode()
	rec.Observe(vendors.Xiaomi, fake.Recorded{Status: 200, Tokens: []string{"a", "b", "c"}, Body: []byte(body), At: at})
	rec.Observe(vendors.Xiaomi, fake.Recorded{Status: 200, Tokens: []string{"d"}, Body: []byte(`{}`), At: at.Add(time.Second)})
	rec.Observe(vendors.Xiaomi, fake.Recorded{Status: 401, Tokens: []string{"e"}, Body: []byte(body), At: at})
	rec.Observe(vendors.APNs, fake.Recorded{Status: 200, Tokens: []string{"f"}, Body: []byte(ExtFor(enq)), At: at.Add(time.Minute)})

	srv := httptest.NewServer(controlHandler(rec))
	defer srv.Close()
	ctl := &control{base: srv.URL, http: srv.Client()}
	st, err := ctl.stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	xm := st.Vendors["xiaomi"]
	if xm.Requests != 2 || xm.Refused != 1 || xm.Devices != 4 || st.Devices() != 5 {
		t.Fatalf("xiaomi %+v, total %d", xm, st.Devices())
	}
	if xm.First != at.UnixNano() || xm.Last != at.Add(time.Second).UnixNano() {
		t.Fatalf("first/last %d %d", xm.First, xm.Last)
	}
	// Three devices carried an enqueue time, one did not.
	if l := xm.Latency.Summary(); l.Count != 3 || l.Max != 40 {
		t.Fatalf("xiaomi latency %+v", l)
	}
	if l := st.Vendors["apns"].Latency.Summary(); l.Count != 1 || l.Max != 60040 {
		t.Fatalf("apns latency %+v", l)
	}
	if err := ctl.reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, err := ctl.stats(context.Background()); err != nil || st.Devices() != 0 || len(st.Vendors) != 0 {
		t.Fatalf("after reset: %+v, %v", st, err)
	}
}

func TestSetBox(t *testing.T) {
	res := &Result{Delivered: 1000, Seconds: 0.5}
	res.setBox(200*time.Millisecond, 50*time.Millisecond, 40*time.Millisecond, 10*time.Millisecond, false)
	b := res.Box
	if b == nil || b.PushdMicros != 200 || b.FakeMicros != 50 || b.LoaderMicros != 40 || b.RedisMicros != 10 || b.TotalMicros != 300 {
		t.Fatalf("box %+v", b)
	}
	if want := round(float64(b.Cores)*1e6/300, 0); b.CeilingPushesPerSec != want {
		t.Fatalf("ceiling %v, want %v", b.CeilingPushesPerSec, want)
	}
	if want := round(0.3/(0.5*float64(b.Cores)), 2); b.Busy != want {
		t.Fatalf("busy %v, want %v", b.Busy, want)
	}
	var empty Result
	empty.setBox(time.Second, 0, 0, 0, false)
	if empty.Box != nil {
		t.Fatal("a run with nothing delivered has no per-push figures")
	}
}
