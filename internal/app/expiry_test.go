package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

type listed []certs.Info

func (l listed) List(context.Context, string) ([]certs.Info, error) { return l, nil }

type recordedEvents struct {
	mu  sync.Mutex
	evs []dispatcher.Event
}

func (r *recordedEvents) Emit(_ context.Context, evs []dispatcher.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, evs...)
	r.mu.Unlock()
}

// Each threshold is announced once per certificate version, the gauge
// follows the clock, and certificates without an expiry are left out.
func TestExpiryWatch(t *testing.T) {
	db := testredis.New(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := start.Add(40 * 24 * time.Hour)
	infos := listed{
		{ID: 1, AppID: "1400000001", Vendor: vendors.APNs, Version: 1, NotAfter: &notAfter},
		{ID: 2, AppID: "1400000001", Vendor: vendors.Xiaomi, Version: 1},
	}
	rec := &recordedEvents{}
	reg := prometheus.NewRegistry()
	w := newExpiryWatch(infos, rec, db.Client, reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	steps := []struct {
		day  int
		want []string // reasons' thresholds announced at this step
	}{
		{0, nil}, {9, nil}, {10, []string{"30 days"}}, {11, nil}, {20, nil},
		{33, []string{"7 days"}}, {33, nil}, {39, []string{"1 days"}}, {39, nil}, {41, nil},
	}
	seen := 0
	for _, st := range steps {
		now := start.Add(time.Duration(st.day) * 24 * time.Hour)
		w.now = func() time.Time { return now }
		if err := w.check(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := rec.evs[seen:]
		seen = len(rec.evs)
		if len(got) != len(st.want) {
			t.Fatalf("day %d: events %+v, want %v", st.day, got, st.want)
		}
		for i, ev := range got {
			if ev.Type != EventCertExpiring || ev.CertID != 1 || ev.AppID != "1400000001" || !strings.Contains(ev.Reason, st.want[i]) {
				t.Errorf("day %d: event %+v, want cert_expiring %s", st.day, ev, st.want[i])
			}
		}
		want := notAfter.Sub(now).Seconds()
		if got := expirySeries(t, reg)["1400000001/apns/1"]; got != want {
			t.Errorf("day %d: pushd_cert_expiry_seconds = %v, want %v", st.day, got, want)
		}
	}
	if n := len(expirySeries(t, reg)); n != 1 {
		t.Errorf("gauge series: %d, want 1 (certificates without expiry are not reported)", n)
	}
	// A rotation (new version) is announced again.
	infos[0].Version = 2
	now := start.Add(39 * 24 * time.Hour)
	w.now = func() time.Time { return now }
	w.check(context.Background())
	if len(rec.evs) != seen+1 {
		t.Errorf("after a rotation: %d new events, want 1", len(rec.evs)-seen)
	}
}

// expirySeries reads pushd_cert_expiry_seconds from reg by app/vendor/id.
func expirySeries(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "pushd_cert_expiry_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			out[l["app"]+"/"+l["vendor"]+"/"+l["cert_id"]] = m.GetGauge().GetValue()
		}
	}
	return out
}
