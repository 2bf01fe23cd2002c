package app

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/dispatcher"
)

// EventCertExpiring is the delivery-stream event announcing that a
// certificate expires soon: emitted once per certificate version for each
// of expiryThresholds, on the certificate's app stream.
const EventCertExpiring = "cert_expiring"

// expiryThresholds are the days ahead a cert_expiring event is sent.
var expiryThresholds = []int{30, 7, 1}

// expiryEvery is how often certificates are checked.
const expiryEvery = time.Hour

// certLister lists certificates (certs.Store does).
type certLister interface {
	List(ctx context.Context, app string) ([]certs.Info, error)
}

// expiryWatch sets pushd_cert_expiry_seconds for every certificate with an
// expiry and sends cert_expiring events as thresholds are crossed. The
// once-per-threshold marks live in Redis (SET NX), so any number of pushd
// processes send each event once.
type expiryWatch struct {
	certs  certLister
	events dispatcher.EventSink
	rdb    redis.UniversalClient
	gauge  *prometheus.GaugeVec
	now    func() time.Time
	log    *slog.Logger
	stop   chan struct{}
	done   chan struct{}
}

func newExpiryWatch(cl certLister, ev dispatcher.EventSink, rdb redis.UniversalClient, reg prometheus.Registerer, log *slog.Logger) *expiryWatch {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "pushd", Name: "cert_expiry_seconds",
		Help: "Seconds until a certificate expires (negative once expired), for certificates with an expiry (.p12)."},
		[]string{"app", "vendor", "cert_id"})
	reg.MustRegister(g)
	return &expiryWatch{certs: cl, events: ev, rdb: rdb, gauge: g, now: time.Now, log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// start checks now, then every expiryEvery, until close.
func (w *expiryWatch) start() {
	go func() {
		defer close(w.done)
		t := time.NewTicker(expiryEvery)
		defer t.Stop()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := w.check(ctx); err != nil {
				w.log.Warn("certificate expiry check failed", "err", err)
			}
			cancel()
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (w *expiryWatch) close() {
	close(w.stop)
	<-w.done
}

// check updates the gauge and sends the events that are due.
func (w *expiryWatch) check(ctx context.Context) error {
	infos, err := w.certs.List(ctx, "")
	if err != nil {
		return err
	}
	w.gauge.Reset()
	now := w.now()
	var evs []dispatcher.Event
	for _, in := range infos {
		if in.NotAfter == nil {
			continue
		}
		left := in.NotAfter.Sub(now)
		w.gauge.WithLabelValues(in.AppID, string(in.Vendor), strconv.FormatInt(in.ID, 10)).Set(left.Seconds())
		if ev, ok, err := w.due(ctx, in, left, now); err != nil {
			return err
		} else if ok {
			evs = append(evs, ev)
		}
	}
	if len(evs) > 0 && w.events != nil {
		w.events.Emit(ctx, evs)
	}
	return nil
}

// due returns the event of the smallest threshold in crossed and not yet
// announced for this certificate version; crossing several at once (a
// certificate uploaded 5 days before expiry) announces only the nearest.
func (w *expiryWatch) due(ctx context.Context, in certs.Info, left time.Duration, now time.Time) (dispatcher.Event, bool, error) {
	th := 0
	for _, d := range expiryThresholds {
		if left <= time.Duration(d)*24*time.Hour {
			th = d
		}
	}
	if th == 0 || left <= 0 {
		return dispatcher.Event{}, false, nil
	}
	key := fmt.Sprintf("pushd:cert_expiring:%d:%d:%d", in.ID, in.Version, th)
	first, err := w.rdb.SetNX(ctx, key, now.Unix(), 40*24*time.Hour).Result()
	if err != nil || !first {
		return dispatcher.Event{}, false, err
	}
	return dispatcher.Event{Type: EventCertExpiring, AppID: in.AppID, CertID: in.ID, Vendor: string(in.Vendor),
		Reason: fmt.Sprintf("certificate %d expires within %d days (not_after %s)", in.ID, th, in.NotAfter.UTC().Format(time.RFC3339)),
		At:     now}, true, nil
}
