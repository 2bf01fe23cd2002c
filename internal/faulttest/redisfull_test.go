package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/vendors/fake"
)

// fullRedisMaxMemory is the maxmemory of TestFullRedis: a few megabytes,
// so a burst of a few thousand jobs is several times what fits.
const fullRedisMaxMemory = 8 << 20

// TestFullRedis is issue 17's scenario: a Redis with maxmemory and the
// noeviction policy, and a burst of one-device jobs several times larger
// than fits, posted over HTTP while no worker runs. The API must accept
// jobs up to the high-water mark and refuse the rest with 503 and
// Retry-After; Redis itself must never refuse a command for memory (the
// headroom is for draining); a worker started afterwards must deliver
// every accepted job exactly once; and the refused jobs, posted again
// after the drain, must be accepted and delivered too.
func TestFullRedis(t *testing.T) {
	t.Parallel()
	const burst = 30000
	port := freePort(t)
	srv := startRedis(t, port, t.TempDir(), "--appendfsync", "everysec",
		"--maxmemory", fmt.Sprint(fullRedisMaxMemory), "--maxmemory-policy", "noeviction")
	url := "redis://" + srv.addr() + "/0"
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr()})
	defer rdb.Close()
	peak := watchPeak(rdb)
	defer peak.stop()
	e := newEnv(t, fake.APNsOptions{})
	api := e.start(e.config(url), app.Options{NoWorker: true})
	cert := e.addCert(api.client)

	toks := tokens(0xf1, burst)
	jobs := make([]*dispatcher.Job, burst)
	for i, tok := range toks {
		jobs[i] = deviceJob(fmt.Sprintf("full-%05d", i), cert, tok)
	}
	start := time.Now()
	accepted, refused := postAll(t, api.client.Base, jobs)
	intakeTook := time.Since(start)
	if len(refused) == 0 || len(accepted) == 0 {
		t.Fatalf("%d accepted, %d refused: the burst should overflow the %d-byte Redis", len(accepted), len(refused), fullRedisMaxMemory)
	}
	usedAtPeak := usedMemory(t, rdb)
	t.Logf("intake: %d accepted, %d refused in %s; used_memory %d of %d", len(accepted), len(refused), intakeTook, usedAtPeak, fullRedisMaxMemory)

	worker := e.start(e.config(url), app.Options{NoAPI: true})
	drainStart := time.Now()
	want := tokensOf(accepted)
	waitFor(t, "every accepted job delivered", 120*time.Second, func() bool {
		return missing(okByToken(e.apns.Requests()), want) == 0
	})
	drained := time.Since(drainStart)

	// The refused jobs come back as a client honouring Retry-After does:
	// whatever is refused again waits for the drain and is posted again.
	left, rounds := refused, 0
	for len(left) > 0 && rounds < 20 {
		rounds++
		time.Sleep(time.Second) // the Retry-After
		var ok []*dispatcher.Job
		ok, left = postAll(t, api.client.Base, left)
		want = append(want, tokensOf(ok)...)
		waitFor(t, "the retried jobs delivered", 120*time.Second, func() bool {
			return missing(okByToken(e.apns.Requests()), want) == 0
		})
	}
	if len(left) > 0 {
		t.Fatalf("%d jobs still refused after %d rounds", len(left), rounds)
	}
	worker.stop()
	ok := okByToken(e.apns.Requests())
	dups := 0
	for _, n := range ok {
		dups += n - 1
	}
	if dups != 0 {
		kinds := map[string]int{}
		for _, m := range rdb.XRange(context.Background(), dispatcher.StreamKey("pushd:", appID), "-", "+").Val() {
			if ev, ok := dispatcher.DecodeEvent(appID, m.ID, m.Values); ok && ev.Type != dispatcher.EventSent {
				kinds[ev.Type+" "+ev.Code]++
			}
		}
		t.Logf("events other than sent: %v", kinds)
	}
	if dups != 0 || len(ok) != burst {
		t.Errorf("%d devices served, %d duplicates; want %d devices once each", len(ok), dups, burst)
	}
	oom := errorStat(t, rdb, "OOM")
	// Redis may still refuse an event for memory while intake and a drain
	// overlap: the worker then backs off and writes it again. None may be
	// lost, and nothing may spin on OOM (asynq's dequeue loop, which has
	// no pause on errors, would fail thousands of scripts a second).
	sent := 0
	for _, m := range rdb.XRange(context.Background(), dispatcher.StreamKey("pushd:", appID), "-", "+").Val() {
		if ev, ok := dispatcher.DecodeEvent(appID, m.ID, m.Values); ok && ev.Type == dispatcher.EventSent {
			sent++
		}
	}
	if sent != burst {
		t.Errorf("%d sent events in the stream, want %d: events refused for memory must be written again", sent, burst)
	}
	scriptsRefused := commandStat(t, rdb, "evalsha", "failed_calls") + commandStat(t, rdb, "evalsha", "rejected_calls")
	if scriptsRefused > 1000 {
		t.Errorf("%d scripts refused for memory: a dequeue loop spins on OOM", scriptsRefused)
	}
	report(t, map[string]any{
		"maxmemory_bytes":        fullRedisMaxMemory,
		"burst_jobs":             burst,
		"accepted":               len(accepted),
		"refused_503":            len(refused),
		"intake_seconds":         seconds(intakeTook),
		"used_memory_after_fill": usedAtPeak,
		"peak_used_memory":       peak.max(),
		"drain_seconds":          seconds(drained),
		"delivered_once":         len(ok),
		"duplicates":             dups,
		"redis_oom_errors":       oom,
		"scripts_refused":        scriptsRefused,
		"sent_events":            sent,
		"rounds_to_accept_all":   rounds,
	})
}

// postAll posts jobs over HTTP with 16 concurrent posters and returns the
// accepted (202) and refused (503) ones. A 503 must carry Retry-After and
// say the queue is full; any other status fails the test.
func postAll(t *testing.T, base string, jobs []*dispatcher.Job) (accepted, refused []*dispatcher.Job) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan *dispatcher.Job)
	hc := &http.Client{Timeout: 30 * time.Second}
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				status, retryAfter, body := postJob(hc, base, j)
				mu.Lock()
				switch {
				case status == http.StatusAccepted:
					accepted = append(accepted, j)
				case status == http.StatusServiceUnavailable && retryAfter != "" && strings.Contains(body, "queue is full"):
					refused = append(refused, j)
				default:
					t.Errorf("job %s: %d (Retry-After %q) %s", j.MsgID, status, retryAfter, body)
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return accepted, refused
}

func postJob(hc *http.Client, base string, j *dispatcher.Job) (int, string, string) {
	b, _ := json.Marshal(j)
	resp, err := hc.Post(base+"/v1/messages", "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), out.String()
}

func tokensOf(jobs []*dispatcher.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.Devices[0].Token
	}
	return out
}

func usedMemory(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	return infoField(t, rdb, "memory", "used_memory")
}

// errorStat returns how many error replies of kind (OOM, NOSCRIPT, …)
// Redis gave since it started (INFO errorstats).
func errorStat(t *testing.T, rdb *redis.Client, kind string) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "errorstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "errorstat_"+kind+":count="); ok {
			var n int64
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

func infoField(t *testing.T, rdb *redis.Client, section, field string) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			var n int64
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// peakWatch samples used_memory every 20 ms and keeps the highest.
type peakWatch struct {
	mu   sync.Mutex
	high int64
	quit chan struct{}
	done chan struct{}
}

func watchPeak(rdb *redis.Client) *peakWatch {
	w := &peakWatch{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.quit:
				return
			case <-time.After(20 * time.Millisecond):
			}
			info, err := rdb.Info(context.Background(), "memory").Result()
			if err != nil {
				continue
			}
			for line := range strings.Lines(info) {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
					var n int64
					fmt.Sscan(v, &n)
					w.mu.Lock()
					w.high = max(w.high, n)
					w.mu.Unlock()
				}
			}
		}
	}()
	return w
}

func (w *peakWatch) stop() { close(w.quit); <-w.done }

func (w *peakWatch) max() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.high
}

// commandStat returns one counter (calls, rejected_calls, failed_calls)
// of a command from INFO commandstats.
func commandStat(t *testing.T, rdb *redis.Client, cmd, field string) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(info) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, field+"="); ok {
				var n int64
				fmt.Sscan(v, &n)
				return n
			}
		}
	}
	return 0
}
