package fake

import (
	"net/http"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Observe makes fn see every request added to the log from now on, in the
// handler's goroutine, before the fake answers it (fn must be quick and
// safe for concurrent use). With keep false the log stops retaining
// requests, so a long benchmark run that only counts them does not hold
// every body in memory; Requests and Len then report only what was kept
// before. A nil fn with keep true restores the default.
func (l *Log) Observe(fn func(Recorded), keep bool) {
	l.mu.Lock()
	l.observe, l.drop = fn, !keep
	l.mu.Unlock()
}

// holdForever is the hold value of Hang.
const holdForever = -1

// SetDelay makes every request to the server wait d before the fake sees
// it: a slow vendor, or a congested route to it. Zero restores the usual
// immediate answers. A request whose client gives up while it waits is
// dropped unanswered and never reaches the fake's log.
func (s *Server) SetDelay(d time.Duration) {
	if d < 0 {
		d = 0
	}
	s.hold.Store(int64(d))
}

// Hang makes every request to the server wait until its client gives up:
// a vendor that accepts connections and never answers. SetDelay(0) ends
// it for requests that arrive afterwards.
func (s *Server) Hang() { s.hold.Store(holdForever) }

// holding wraps h so that requests wait as SetDelay and Hang say.
func (s *Server) holding(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch d := s.hold.Load(); {
		case d == holdForever:
			<-r.Context().Done()
			return
		case d > 0:
			t := time.NewTimer(time.Duration(d))
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Observe makes fn see every request each fake records, with its vendor;
// keep is as for Log.Observe.
func (s *Sandbox) Observe(fn func(vendors.Vendor, Recorded), keep bool) {
	for _, v := range vendors.All() {
		if l := s.Recorder(v); l != nil {
			l.Observe(func(r Recorded) { fn(v, r) }, keep)
		}
	}
}

// Server returns the TLS server of v's fake (to delay or hang it), nil
// for an unknown vendor.
func (s *Sandbox) Server(v vendors.Vendor) *Server { return s.server(v) }
