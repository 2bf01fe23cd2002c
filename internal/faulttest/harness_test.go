package faulttest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// The app, bundle and APNs key every scenario uses.
const (
	appID  = "1400000001"
	bundle = "com.example.chat"
	keyID  = "KEY0000001"
	teamID = "TEAM000001"
)

// env is one scenario's world: a fake APNs that trusts one p8 key and one
// topic, a master key, and the scanner that checks every log line and API
// answer of the scenario for secrets when the test ends.
type env struct {
	t         *testing.T
	apns      *fake.APNs
	p8        *testcreds.P8
	masterKey string
	scan      *scanner
}

// newEnv starts the fake APNs (with opts) and registers the scenario's
// secrets with a new scanner.
func newEnv(t *testing.T, opts fake.APNsOptions) *env {
	t.Helper()
	p8, err := testcreds.NewP8()
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	e := &env{t: t, apns: fake.NewAPNs(opts), p8: p8, masterKey: base64.StdEncoding.EncodeToString(key), scan: newScanner(t)}
	t.Cleanup(e.apns.Close)
	e.apns.AddKey(keyID, teamID, &p8.Key.PublicKey)
	e.apns.AddTopic(bundle)
	e.scan.secret("master key", e.masterKey)
	e.scan.secret("p8 upload", base64.StdEncoding.EncodeToString(p8.PEM))
	for _, line := range strings.Split(string(p8.PEM), "\n") {
		if len(line) >= 40 && !strings.HasPrefix(line, "-----") {
			e.scan.secret("p8 key material", line)
		}
	}
	return e
}

// config is pushd's configuration for a scenario: the given Redis, a
// loopback API on a free port, APNs pointed at the fake, and short retry
// backoff so that tests measure seconds, not minutes.
func (e *env) config(redisURL string) *configs.Config {
	e.t.Helper()
	cfg, err := configs.Load("")
	if err != nil {
		e.t.Fatal(err)
	}
	cfg.MasterKey = e.masterKey
	cfg.Redis.URL = redisURL
	cfg.Listen = "127.0.0.1:0"
	cfg.Worker.RetryBase = 200 * time.Millisecond
	cfg.Worker.RetryMax = time.Second
	cfg.Worker.ShutdownTimeout = 2 * time.Second
	cfg.Worker.CertCacheTTL = 200 * time.Millisecond
	cfg.Vendors = map[string]configs.VendorEndpoint{"apns": {Endpoint: e.apns.URL()}}
	return cfg
}

// node is one in-process pushd (worker and, unless NoAPI, the HTTP API).
type node struct {
	app    *app.App
	client *api.Client
	stop   func()
}

// start runs pushd in-process with cfg until the test ends (or stop). Its
// logs, at debug level, go to the scanner.
func (e *env) start(cfg *configs.Config, opts app.Options) *node {
	e.t.Helper()
	opts.Log = slog.New(slog.NewJSONHandler(e.scan.logs(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Clients = map[vendors.Vendor]*http.Client{vendors.APNs: e.apns.Client()}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, opts)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(s string) { addr <- s }) }()
	var once sync.Once
	n := &node{app: a}
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				e.t.Errorf("Run: %v", err)
			}
			a.Close()
		})
	}
	e.t.Cleanup(n.stop)
	if !opts.NoAPI {
		n.client = e.client("http://"+<-addr, "")
	}
	return n
}

// client is an API client whose every answer goes to the scanner.
func (e *env) client(base, token string) *api.Client {
	c := api.NewClient(base, token)
	c.HTTP.Transport = &recordingTransport{base: http.DefaultTransport, scan: e.scan}
	return c
}

// addCert uploads the scenario's p8 as an APNs certificate.
func (e *env) addCert(c *api.Client) int64 {
	e.t.Helper()
	req := api.CertRequest{AppID: appID, Vendor: "apns",
		Fields:  map[string]string{"bundle_id": bundle, "env": "development", "key_id": keyID, "team_id": teamID},
		Secrets: map[string]string{"p8": base64.StdEncoding.EncodeToString(e.p8.PEM)}}
	var info certs.Info
	if err := c.Do(context.Background(), http.MethodPost, "/v1/certs", req, &info); err != nil {
		e.t.Fatalf("upload the APNs certificate: %v", err)
	}
	return info.ID
}

// tokens returns n distinct APNs-shaped device tokens (64 hex digits)
// starting with tag; the scanner flags any of them in a log or answer.
func tokens(tag byte, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%02x%062x", tag, i+1)
	}
	return out
}

// deviceJob is a one-device job.
func deviceJob(msgID string, cert int64, token string) *dispatcher.Job {
	return &dispatcher.Job{AppID: appID, MsgID: msgID,
		Devices:     []dispatcher.Device{{CertID: cert, Token: token}},
		OfflinePush: dispatcher.OfflinePush{Title: "Fault test", Desc: "message " + msgID}}
}

// enqueueDirect puts jobs straight on the job stream, as a Go message
// service does with dispatcher.EnqueueMany, a hundred per round trip.
func enqueueDirect(t *testing.T, redisURL string, jobs []*dispatcher.Job) {
	t.Helper()
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	s := dispatcher.NewJobStream(rdb, time.Hour)
	for chunk := range slices.Chunk(jobs, 100) {
		for i, r := range dispatcher.EnqueueMany(context.Background(), s, chunk) {
			if r.Err != nil || r.Duplicate {
				t.Fatalf("enqueue %s: duplicate=%v %v", chunk[i].MsgID, r.Duplicate, r.Err)
			}
		}
	}
}

// okByToken counts the accepted (200) requests per device token.
func okByToken(reqs []fake.Recorded) map[string]int {
	m := map[string]int{}
	for _, r := range reqs {
		if r.Status == http.StatusOK {
			m[r.Tokens[0]]++
		}
	}
	return m
}

// missing returns how many of tokens have no accepted request.
func missing(ok map[string]int, tokens []string) int {
	n := 0
	for _, t := range tokens {
		if ok[t] == 0 {
			n++
		}
	}
	return n
}

// waitFor polls cond every 50ms until it holds, failing after d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// archived returns the archived tasks of pushd's queue.
func archived(t *testing.T, in *asynq.Inspector) []*asynq.TaskInfo {
	t.Helper()
	ts, err := in.ListArchivedTasks(dispatcher.Queue, asynq.PageSize(1000))
	if err != nil && !strings.Contains(err.Error(), "not found") {
		t.Fatal(err)
	}
	return ts
}

// report logs a test's measured figures and, when PUSHD_FAULT_REPORT names
// a directory, writes them there as <TestName>.json.
func report(t *testing.T, figures map[string]any) {
	t.Helper()
	keys := make([]string, 0, len(figures))
	for k := range figures {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("measured %s = %v", k, figures[k])
	}
	dir := os.Getenv("PUSHD_FAULT_REPORT")
	if dir == "" {
		return
	}
	b, err := json.MarshalIndent(map[string]any{"test": t.Name(), "at": time.Now().UTC().Format(time.RFC3339), "figures": figures}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := strings.ReplaceAll(t.Name(), "/", "_") + ".json"
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// seconds rounds d to tenths of a second for reports.
func seconds(d time.Duration) float64 {
	return float64(d.Round(100*time.Millisecond)) / float64(time.Second)
}
