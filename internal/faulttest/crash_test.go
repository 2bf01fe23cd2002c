package faulttest

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors/fake"
)

// crashJobs is the figure: 5 000 single-device jobs.
const crashJobs = 5000

// TestCrashMidRun kills `pushd serve` with SIGKILL after about a third of
// 5 000 one-device jobs were delivered and starts it again. Every device
// must get its notification at least once. A job the killed worker was
// working on stays "active" until its lease runs out (asynq v0.26: 30 s
// lease, then the recoverer, which runs every minute, re-queues it), so the
// restarted worker finishes the last jobs about a minute after the kill;
// those may reach APNs a second time, with the same apns-collapse-id, so
// the device shows one notification.
func TestCrashMidRun(t *testing.T) {
	t.Parallel()
	bin := pushdBinary(t)
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{})
	ca := filepath.Join(t.TempDir(), "apns-ca.pem")
	if err := e.apns.WriteCA(ca); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`listen: 127.0.0.1:0
redis:
  url: %s
worker:
  retry_base: 200ms
  retry_max: 1s
  shutdown_timeout: 2s
vendors:
  apns:
    endpoint: %s
    ca_file: %s
log:
  level: info
  format: json
`, db.URL, e.apns.URL(), ca))
	env := []string{"PUSHD_MASTER_KEY=" + e.masterKey}

	first := startChild(t, bin, cfg, env, e.scan)
	cert := e.addCert(e.client("http://"+first.addr, ""))
	toks := tokens(0xc0, crashJobs)
	jobs := make([]*dispatcher.Job, len(toks))
	for i, tok := range toks {
		jobs[i] = deviceJob(fmt.Sprintf("crash-%05d", i), cert, tok)
	}
	start := time.Now()
	enqueueDirect(t, db.URL, jobs)
	enqueued := time.Since(start)

	waitFor(t, "a third of the devices served", 60*time.Second, func() bool {
		return len(okByToken(e.apns.Requests())) >= crashJobs/3
	})
	first.signal(syscall.SIGKILL)
	killedAt := time.Now()
	atKill := len(okByToken(e.apns.Requests()))
	inspector := asynq.NewInspector(asynq.RedisClientOpt{Addr: db.Addr, DB: db.Num})
	defer inspector.Close()
	orphans := 0
	if qi, err := inspector.GetQueueInfo(dispatcher.Queue); err == nil {
		orphans = qi.Active
	}

	second := startChild(t, bin, cfg, env, e.scan)
	waitFor(t, "every device served after the restart", 100*time.Second, func() bool {
		return missing(okByToken(e.apns.Requests()), toks) == 0
	})
	recovered := time.Since(killedAt)
	// Wait a little for a late duplicate, then stop the survivor cleanly.
	time.Sleep(300 * time.Millisecond)
	second.signal(syscall.SIGTERM)

	reqs := e.apns.Requests()
	dups, mismatched := duplicates(reqs)
	if mismatched != 0 {
		t.Errorf("%d duplicated devices got notifications with different apns-collapse-ids", mismatched)
	}
	if n := missing(okByToken(reqs), toks); n != 0 {
		t.Fatalf("%d devices never got their notification", n)
	}
	report(t, map[string]any{
		"jobs":                        crashJobs,
		"enqueue_seconds":             seconds(enqueued),
		"delivered_at_kill":           atKill,
		"duplicates":                  dups,
		"duplicates_same_collapse_id": dups - mismatched,
		"orphaned_active_tasks":       orphans,
		"requests_to_apns":            len(reqs),
		"lost":                        0,
		"kill_to_all_seconds":         seconds(recovered),
		"total_seconds":               seconds(time.Since(start)),
		"log_lines_scanned":           e.scan.lines(),
	})
}

// duplicates counts the extra accepted notifications (beyond one per
// device) and the devices whose accepted notifications carry more than one
// apns-collapse-id (or none).
func duplicates(reqs []fake.Recorded) (extra, mismatched int) {
	ids := map[string][]string{}
	for _, r := range reqs {
		if r.Status == http.StatusOK {
			ids[r.Tokens[0]] = append(ids[r.Tokens[0]], r.Header.Get("apns-collapse-id"))
		}
	}
	for _, got := range ids {
		if len(got) < 2 {
			continue
		}
		extra += len(got) - 1
		for _, id := range got {
			if id == "" || id != got[0] {
				mismatched++
				break
			}
		}
	}
	return extra, mismatched
}

// TestGracefulShutdown sends SIGTERM to `pushd serve` mid-run: it stops
// taking jobs, lets the in-flight ones finish within
// worker.shutdown_timeout, exits 0 and leaves no task "active" behind, so
// a restarted worker finishes the rest at once, with no lease to wait for.
// A rate limit of 200/s paces 1 000 jobs over five seconds.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	const jobs = 1000
	bin := pushdBinary(t)
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{})
	ca := filepath.Join(t.TempDir(), "apns-ca.pem")
	if err := e.apns.WriteCA(ca); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf(`listen: 127.0.0.1:0
redis: {url: %q}
worker: {retry_base: 200ms, retry_max: 1s, shutdown_timeout: 5s, default_rate_limit: 200}
vendors: {apns: {endpoint: %q, ca_file: %q}}
log: {level: info, format: json}
`, db.URL, e.apns.URL(), ca))
	env := []string{"PUSHD_MASTER_KEY=" + e.masterKey}
	first := startChild(t, bin, cfg, env, e.scan)
	cert := e.addCert(e.client("http://"+first.addr, ""))
	toks := tokens(0x5d, jobs)
	js := make([]*dispatcher.Job, len(toks))
	for i, tok := range toks {
		js[i] = deviceJob(fmt.Sprintf("term-%05d", i), cert, tok)
	}
	enqueueDirect(t, db.URL, js)
	waitFor(t, "a third of the devices served", 30*time.Second, func() bool {
		return len(okByToken(e.apns.Requests())) >= jobs/3
	})
	termAt := time.Now()
	first.signal(syscall.SIGTERM)
	exitTook := time.Since(termAt)
	atExit := len(okByToken(e.apns.Requests()))
	if code := first.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("pushd serve exited %d on SIGTERM, want 0", code)
	}
	inspector := asynq.NewInspector(asynq.RedisClientOpt{Addr: db.Addr, DB: db.Num})
	defer inspector.Close()
	// The asynq queue exists only once a task went there (a retry, a job
	// enqueued directly): on a loaded machine none may have.
	qi, err := inspector.GetQueueInfo(dispatcher.Queue)
	if err != nil && !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("after a graceful exit: %v", err)
	}
	active := 0
	if err == nil {
		active = qi.Active
	}
	if active != 0 {
		t.Fatalf("after a graceful exit: %+v, want no active task left", qi)
	}
	if exitTook > 5*time.Second+2*time.Second {
		t.Errorf("exit took %s, beyond the 5s shutdown_timeout", exitTook)
	}
	restart := time.Now()
	second := startChild(t, bin, cfg, env, e.scan)
	waitFor(t, "every device served after the restart", 20*time.Second, func() bool {
		return missing(okByToken(e.apns.Requests()), toks) == 0
	})
	drained := time.Since(restart)
	second.signal(syscall.SIGTERM)
	dups, _ := duplicates(e.apns.Requests())
	report(t, map[string]any{
		"jobs":                   jobs,
		"delivered_at_sigterm":   atExit,
		"exit_seconds":           seconds(exitTook),
		"active_left_behind":     active,
		"restart_to_all_seconds": seconds(drained),
		"duplicates":             dups,
		"lost":                   0,
	})
}
