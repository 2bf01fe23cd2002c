package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/vendors"
)

// env is what a run's jobs are built from: the pushd API it talks to, the
// app, and the certificate id per vendor.
type env struct {
	api   *api.Client
	base  string
	http  *http.Client
	app   string
	certs map[vendors.Vendor]int64
	// prefix and offset keep the msg ids and device tokens of the
	// pending-jobs phase apart from the measured run's.
	prefix string
	offset int
	// info is the fakes' description (certificates to upload); bulkCert
	// is the APNs certificate of the fair shape's bulk app.
	info     *FakeInfo
	bulkCert int64
}

// bulkApp is the fair shape's second app.
func (e *env) bulkApp() string { return e.app + "-bulk" }

// uploadBulkCert uploads the APNs certificate again for the bulk app.
func (e *env) uploadBulkCert(ctx context.Context) error {
	fe, ok := e.info.Vendors[string(vendors.APNs)]
	if !ok {
		return fmt.Errorf("the fake vendor has no APNs")
	}
	req := fe.Cert
	req.AppID = e.bulkApp()
	var out struct {
		ID int64 `json:"cert_id"`
	}
	if err := e.api.Do(ctx, http.MethodPost, "/v1/certs", req, &out); err != nil {
		return fmt.Errorf("upload the bulk app's APNs certificate: %w", err)
	}
	e.bulkCert = out.ID
	return nil
}

// newHTTPClient is a keep-alive client for posters concurrent requests.
func newHTTPClient(posters int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = posters*2, posters*2
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// uploadCerts uploads the certificate of every fake through POST
// /v1/certs, as `pushd certs add` does, and keeps their ids.
func (e *env) uploadCerts(ctx context.Context, info *FakeInfo) error {
	e.certs = map[vendors.Vendor]int64{}
	e.info = info
	for name, fe := range info.Vendors {
		req := fe.Cert
		req.AppID = e.app
		var out struct {
			ID int64 `json:"cert_id"`
		}
		if err := e.api.Do(ctx, http.MethodPost, "/v1/certs", req, &out); err != nil {
			return fmt.Errorf("upload the %s certificate: %w", name, err)
		}
		e.certs[vendors.Vendor(name)] = out.ID
	}
	return nil
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error; the other workers stop taking new items after it.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// poster enqueues a run's jobs with POST /v1/messages.
type poster struct {
	e     *env
	shape shape
	// posters is the number of concurrent posting goroutines.
	posters int
	// rate, when > 0, paces the jobs: job i is posted at start + i/rate.
	rate float64
	// posted counts the jobs accepted so far.
	posted atomic.Int64
}

// run posts jobs 0..n-1 and returns when every one was accepted (202) or
// the first failed.
func (p *poster) run(ctx context.Context, n int) error {
	burst := min(p.shape.burst, n)
	if burst > 0 {
		err := parallel(ctx, p.posters, burst, func(i int) error { return p.postAt(ctx, i, false) })
		if err != nil {
			return err
		}
	}
	if p.rate <= 0 {
		return parallel(ctx, p.posters, n-burst, func(i int) error { return p.post(ctx, burst+i) })
	}
	start := time.Now()
	due := make(chan int)
	go func() {
		defer close(due)
		for i := burst; i < n; i++ {
			if d := time.Until(start.Add(time.Duration(float64(i-burst) / p.rate * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
			select {
			case due <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	return parallel(ctx, p.posters, n-burst, func(int) error {
		i, ok := <-due
		if !ok {
			return ctx.Err()
		}
		return p.post(ctx, i)
	})
}

// post enqueues job i, stamped with the time of the request.
func (p *poster) post(ctx context.Context, i int) error { return p.postAt(ctx, i, true) }

// postAt enqueues job i, stamped (its latency measured) or not.
func (p *poster) postAt(ctx context.Context, i int, stamp bool) error {
	j := p.shape.job(p.e, i)
	if stamp {
		j.OfflinePush.Ext = ExtFor(time.Now())
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.e.base+"/v1/messages", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.e.http.Do(req)
	if err != nil {
		return fmt.Errorf("enqueue job %d: %w", i, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("enqueue job %d: HTTP %d: %s", i, resp.StatusCode, bytes.TrimSpace(body))
	}
	p.posted.Add(1)
	return nil
}
