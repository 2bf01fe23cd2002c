package bench

import (
	"net/http"
	"sync"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// VendorStats is what one fake vendor received since the last reset.
type VendorStats struct {
	// Requests counts the requests the fake accepted (HTTP 200), Refused
	// the others (auth failures, bad payloads, injected errors).
	Requests int64 `json:"requests"`
	Refused  int64 `json:"refused"`
	// Devices counts the tokens of the accepted requests: a device reached
	// twice counts twice.
	Devices int64 `json:"devices"`
	// First and Last are when the first and the last accepted request
	// arrived, in Unix nanoseconds; 0 before any.
	First int64 `json:"first_ns"`
	Last  int64 `json:"last_ns"`
	// Latency holds enqueue → vendor latencies, one per device of each
	// accepted request whose body carried an enqueue time (ExtKey).
	Latency Histogram `json:"latency"`
}

// Stats is GET /stats of `pushd fake-vendor`: per vendor name.
type Stats struct {
	Vendors map[string]VendorStats `json:"vendors"`
}

// Devices returns the devices received by every vendor.
func (s Stats) Devices() int64 {
	var n int64
	for _, v := range s.Vendors {
		n += v.Devices
	}
	return n
}

// Recorder turns the requests a sandbox's fakes accept into Stats, in
// memory bounded by the histograms, whatever the number of requests. It is
// safe for concurrent use.
type Recorder struct {
	mu sync.Mutex
	by map[vendors.Vendor]*VendorStats
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{by: map[vendors.Vendor]*VendorStats{}} }

// Observe counts r, a request v's fake recorded; it is the sandbox's
// observer.
func (rc *Recorder) Observe(v vendors.Vendor, r fake.Recorded) {
	enq, hasT := EnqueuedAt(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	st := rc.by[v]
	if st == nil {
		st = &VendorStats{}
		rc.by[v] = st
	}
	if r.Status != http.StatusOK {
		st.Refused++
		return
	}
	at := r.At.UnixNano()
	st.Requests++
	st.Devices += int64(len(r.Tokens))
	if st.First == 0 || at < st.First {
		st.First = at
	}
	st.Last = max(st.Last, at)
	if hasT {
		st.Latency.Add(r.At.Sub(enq), int64(len(r.Tokens)))
	}
}

// Stats returns a copy of what was counted.
func (rc *Recorder) Stats() Stats {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := Stats{Vendors: map[string]VendorStats{}}
	for v, st := range rc.by {
		c := *st
		c.Latency = Histogram{}
		c.Latency.Merge(st.Latency)
		out.Vendors[string(v)] = c
	}
	return out
}

// Reset forgets everything counted.
func (rc *Recorder) Reset() {
	rc.mu.Lock()
	rc.by = map[vendors.Vendor]*VendorStats{}
	rc.mu.Unlock()
}
