package clustertest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors/fake"
)

const (
	appID  = "1400000001"
	bundle = "com.example.chat"
)

// deployment is one `pushd api` and two `pushd worker`s sharing a Redis
// topology, with APNs pointed at a loopback fake.
type deployment struct {
	t      *testing.T
	apns   *fake.APNs
	client *api.Client
	cert   int64
}

// deploy starts the processes, configured through the environment alone:
// redisEnv selects the topology (PUSHD_REDIS_MODE, PUSHD_REDIS_ADDRS, …).
func deploy(t *testing.T, redisEnv map[string]string) *deployment {
	t.Helper()
	return deployWorkers(t, redisEnv, 2)
}

// deployWorkers is deploy with the given number of workers.
func deployWorkers(t *testing.T, redisEnv map[string]string, workers int) *deployment {
	t.Helper()
	apns := fake.NewAPNs(fake.APNsOptions{})
	t.Cleanup(apns.Close)
	ca := filepath.Join(t.TempDir(), "apns-ca.pem")
	if err := apns.WriteCA(ca); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	env := map[string]string{
		"PUSHD_MASTER_KEY":              base64.StdEncoding.EncodeToString(key),
		"PUSHD_VENDORS_APNS_ENDPOINT":   apns.URL(),
		"PUSHD_VENDORS_APNS_CA_FILE":    ca,
		"PUSHD_LISTEN":                  "127.0.0.1:0",
		"PUSHD_LOG_FORMAT":              "text",
		"PUSHD_DATA_DIR":                t.TempDir(),
		"PUSHD_LIMITS_JOBS_PER_SECOND":  "0",
		"PUSHD_WORKER_CLAIM_IDLE":       "5s",
		"PUSHD_WORKER_RETRY_BASE":       "200ms",
		"PUSHD_WORKER_RETRY_MAX":        "2s",
		"PUSHD_WORKER_SHUTDOWN_TIMEOUT": "3s",
		"PUSHD_WORKER_CERT_CACHE_TTL":   "1s",
	}
	for k, v := range redisEnv {
		env[k] = v
	}
	_, addr := start(t, "pushd api", "api", env)
	for i := 1; i <= workers; i++ {
		start(t, fmt.Sprintf("pushd worker %d", i), "worker", env)
	}
	d := &deployment{t: t, apns: apns, client: api.NewClient("http://"+addr, "")}
	p8, err := testcreds.NewP8()
	if err != nil {
		t.Fatal(err)
	}
	apns.AddKey("KEY0000001", "TEAM000001", &p8.Key.PublicKey)
	apns.AddTopic(bundle)
	var info certs.Info
	err = d.client.Do(context.Background(), http.MethodPost, "/v1/certs", api.CertRequest{AppID: appID, Vendor: "apns",
		Fields:  map[string]string{"bundle_id": bundle, "env": "development", "key_id": "KEY0000001", "team_id": "TEAM000001"},
		Secrets: map[string]string{"p8": base64.StdEncoding.EncodeToString(p8.PEM)}}, &info)
	if err != nil {
		t.Fatalf("upload the APNs certificate: %v", err)
	}
	d.cert = info.ID
	return d
}

// token is the device token of job i.
func token(run string, i int) string { return fmt.Sprintf("%08x%056x", len(run), i+1) }

// enqueuer sends n one-device jobs through POST /v1/messages:batch, a
// thousand per request, resending whatever was not accepted (an error, a
// 5xx, a 503 result) with the same msg_id until it is, as a message
// service does. acked counts the jobs the API acknowledged (202, or 200
// for a resent duplicate).
type enqueuer struct {
	d     *deployment
	run   string
	n     int
	acked atomic.Int64
	// refused counts answers that were not acknowledgements (retried).
	refused atomic.Int64
	done    chan struct{}
	mu      sync.Mutex
	// lastRefusal is the last refused answer, for the failure message.
	lastRefusal string
	ack         map[int]bool
}

func (d *deployment) enqueue(run string, n int) *enqueuer {
	e := &enqueuer{d: d, run: run, n: n, done: make(chan struct{}), ack: map[int]bool{}}
	go e.loop()
	return e
}

func (e *enqueuer) loop() {
	defer close(e.done)
	deadline := time.Now().Add(60 * time.Second)
	pending := make([]int, e.n)
	for i := range pending {
		pending[i] = i
	}
	for len(pending) > 0 && time.Now().Before(deadline) {
		var next []int
		for lo := 0; lo < len(pending); lo += api.MaxBatchJobs {
			chunk := pending[lo:min(lo+api.MaxBatchJobs, len(pending))]
			next = append(next, e.send(chunk)...)
		}
		if len(next) > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		pending = next
	}
}

// send posts one batch and returns the jobs to send again.
func (e *enqueuer) send(idx []int) []int {
	req := api.BatchRequest{Jobs: make([]json.RawMessage, len(idx))}
	for k, i := range idx {
		req.Jobs[k] = json.RawMessage(fmt.Sprintf(`{"app_id":%q,"msg_id":"%s-%d","devices":[{"cert_id":%d,"token":%q}],"offline_push":{"desc":"job %d"}}`,
			appID, e.run, i, e.d.cert, token(e.run, i), i))
	}
	var res api.BatchResponse
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.d.client.Do(ctx, http.MethodPost, "/v1/messages:batch", req, &res)
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil || len(res.Results) != len(idx) {
		e.refused.Add(int64(len(idx)))
		e.lastRefusal = fmt.Sprintf("%v (%d results)", err, len(res.Results))
		return idx
	}
	var again []int
	for k, r := range res.Results {
		if r.Status == http.StatusAccepted || r.Status == http.StatusOK {
			if !e.ack[idx[k]] {
				e.ack[idx[k]] = true
				e.acked.Add(1)
			}
			continue
		}
		e.refused.Add(1)
		e.lastRefusal = fmt.Sprintf("%d %s %s", r.Status, r.Field, r.Error)
		again = append(again, idx[k])
	}
	return again
}

// figures are what one run measured at the fake APNs.
type figures struct {
	Jobs, Acknowledged, Delivered, Duplicated, Lost, Refused int
	// Extra counts deliveries beyond the first (a token pushed 3 times adds 2).
	Extra       int
	Seconds     float64
	LastRefusal string `json:",omitempty"`
}

// settle waits until every acknowledged job was delivered, or nothing new
// arrived for quiet, and counts per token at the fake.
func (d *deployment) settle(e *enqueuer, quiet, max time.Duration, began time.Time) figures {
	<-e.done
	deadline := time.Now().Add(max)
	last, lastChange := -1, time.Now()
	for time.Now().Before(deadline) {
		n := len(okByToken(d.apns.Requests()))
		if n >= int(e.acked.Load()) {
			break
		}
		if n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > quiet {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(began)
	time.Sleep(time.Second) // a late duplicate would show here
	ok := okByToken(d.apns.Requests())
	f := figures{Jobs: e.n, Acknowledged: int(e.acked.Load()), Refused: int(e.refused.Load()), Seconds: took.Seconds()}
	e.mu.Lock()
	defer e.mu.Unlock()
	f.LastRefusal = e.lastRefusal
	for i := 0; i < e.n; i++ {
		c := ok[token(e.run, i)]
		switch {
		case c > 0:
			f.Delivered++
			if c > 1 {
				f.Duplicated++
				f.Extra += c - 1
			}
		case e.ack[i]:
			f.Lost++
		}
	}
	return f
}

// okByToken counts the accepted (200) requests per device token.
func okByToken(reqs []fake.Recorded) map[string]int {
	m := map[string]int{}
	for _, r := range reqs {
		if r.Status == http.StatusOK {
			for _, tok := range r.Tokens {
				m[tok]++
			}
		}
	}
	return m
}
