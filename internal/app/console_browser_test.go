package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/testredis"
)

// consoleToken is the admin token the browser signs in with.
const consoleToken = "console-admin-token-0123456789"

// browser starts headless Debian chromium, skipping without it (failing
// under CI=true, where .ci/run installs it).
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is required in CI (.ci/run installs it)")
		}
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// shots saves full-page screenshots in a temporary folder the test
// prints; it is never inside the repository.
type shots struct {
	t   *testing.T
	dir string
}

func newShots(t *testing.T) *shots {
	dir, err := os.MkdirTemp("", "pushd-console-shots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("console screenshots in %s", dir)
	return &shots{t: t, dir: dir}
}

func (s *shots) take(name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(s.dir, name+".png"), png, 0o644)
	})
}

// TestConsoleInBrowser drives the console as an operator would, in
// sandbox mode with an admin token configured: sign in, upload the
// testdata .p8, send a test push and find it in the inbox, watch a job's
// sent event arrive in the live tail, replay an archived job, and see a
// form without its CSRF token, or from another origin, refused.
func TestConsoleInBrowser(t *testing.T) {
	ctx := browser(t)
	db := testredis.New(t)
	cfg := testConfig(t, db)
	cfg.Tokens = []configs.Token{{Name: "ops", Token: consoleToken, Role: configs.RoleAdmin}}
	h := &harness{t: t, logs: &syncBuffer{}}
	h.start(cfg, Options{Sandbox: true, Log: slog.New(slog.NewJSONHandler(h.logs, nil))})
	h.client = api.NewClient(h.base, consoleToken)
	base, sh := h.base, newShots(t)
	p8, err := filepath.Abs("../../testdata/AuthKey_TEST000001.p8")
	if err != nil {
		t.Fatal(err)
	}
	const devToken = "7c1b9a3e5d0f24681357924680ace1357bdf02468ace13579bdf02468ace1357"
	var h1, msg, outcome, raw, inbox string
	run(t, ctx, "sign in",
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible("#token", chromedp.ByID),
		sh.take("01-login"),
		chromedp.SendKeys("#token", consoleToken, chromedp.ByID),
		chromedp.Submit("#token", chromedp.ByID),
		chromedp.WaitVisible("nav", chromedp.ByQuery),
		chromedp.Text("h1", &h1, chromedp.ByQuery),
	)
	if h1 != "Overview" {
		t.Fatalf("after sign-in the page is %q, want Overview", h1)
	}
	run(t, ctx, "upload the .p8",
		chromedp.Navigate(base+"/console/certs"),
		chromedp.Click("#rotate-apns summary", chromedp.ByQuery),
		chromedp.SendKeys("#rotate-apns input[name=app_id]", testApp, chromedp.ByQuery),
		chromedp.SendKeys("#rotate-apns input[name=name]", "chat-ios", chromedp.ByQuery),
		chromedp.SendKeys("#rotate-apns input[name=bundle_id]", testBundle, chromedp.ByQuery),
		chromedp.SendKeys("#rotate-apns input[name=env]", "development", chromedp.ByQuery),
		chromedp.SendKeys("#rotate-apns input[name=key_id]", "TEST000001", chromedp.ByQuery),
		chromedp.SendKeys("#rotate-apns input[name=team_id]", "TEAM000001", chromedp.ByQuery),
		chromedp.SetUploadFiles("#rotate-apns input[name=p8]", []string{p8}, chromedp.ByQuery),
		chromedp.Click("#rotate-apns button[type=submit]", chromedp.ByQuery),
		chromedp.WaitVisible(".msg", chromedp.ByQuery),
		chromedp.Text(".msg", &msg, chromedp.ByQuery),
		sh.take("02-certificates"),
	)
	if !strings.Contains(msg, "certificate 1 saved") {
		t.Fatalf("upload answered %q", msg)
	}
	run(t, ctx, "send a test push",
		chromedp.Navigate(base+"/console/push?cert=1"),
		chromedp.SendKeys("input[name=token]", devToken, chromedp.ByQuery),
		chromedp.SendKeys("input[name=title]", "Hiking", chromedp.ByQuery),
		chromedp.SendKeys("textarea[name=desc]", "Denny: See you at 8", chromedp.ByQuery),
		chromedp.SendKeys("input[name=ext]", `{"conv":"c2c_denny"}`, chromedp.ByQuery),
		chromedp.SendKeys("input[name=badge]", "3", chromedp.ByQuery),
		chromedp.Click("button[value=send]", chromedp.ByQuery),
		chromedp.WaitVisible("#push-outcome", chromedp.ByID),
		chromedp.Text("#push-outcome", &outcome, chromedp.ByID),
		chromedp.Text("#raw-answer", &raw, chromedp.ByID),
		sh.take("03-test-push"),
	)
	if !strings.Contains(outcome, "Accepted") || !strings.Contains(raw, "HTTP 200") || !strings.Contains(strings.ToLower(raw), "apns-id") {
		t.Fatalf("test push: outcome %q, raw answer %q", outcome, raw)
	}
	run(t, ctx, "find it in the inbox",
		chromedp.Navigate(base+"/console/inbox"),
		chromedp.Text("#inbox-apns .notif", &inbox, chromedp.ByQuery),
		sh.take("04-inbox"),
	)
	for _, want := range []string{"Hiking", "Denny: See you at 8", "3", "c2c_denny"} {
		if !strings.Contains(inbox, want) {
			t.Errorf("inbox notification %q lacks %q", inbox, want)
		}
	}
	liveTail(t, ctx, h, sh, devToken)
	replayInBrowser(t, ctx, h, sh)
	refusedForms(t, ctx, base)
}

// liveTail watches a queued job's sent event arrive in the events page.
func liveTail(t *testing.T, ctx context.Context, h *harness, sh *shots, devToken string) {
	var state, ev string
	run(t, ctx, "open the live tail",
		chromedp.Navigate(h.base+"/console/events?app="+testApp),
		chromedp.WaitVisible("#tail-state", chromedp.ByID),
		chromedp.Poll(`document.getElementById("tail-state").textContent.startsWith("live")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text("#tail-state", &state, chromedp.ByID),
	)
	h.enqueue(map[string]any{"app_id": testApp, "msg_id": "console-tail-1", "sender": map[string]string{"user_id": "denny"},
		"devices": []map[string]any{{"cert_id": 1, "token": devToken}}, "elems": []map[string]string{{"type": "text", "text": "See you at 8"}}})
	run(t, ctx, "see the sent event",
		chromedp.WaitVisible("#tail li.ev-sent", chromedp.ByQuery),
		chromedp.Click("#tail li.ev-sent summary", chromedp.ByQuery),
		chromedp.Text("#tail li.ev-sent pre", &ev, chromedp.ByQuery),
		sh.take("05-events"),
	)
	var got dispatcher.Event
	if err := json.Unmarshal([]byte(ev), &got); err != nil || got.Type != "sent" || got.MsgID != "console-tail-1" || got.Vendor != "apns" {
		t.Fatalf("live tail event %q (%v)", ev, err)
	}
}

// replayInBrowser archives a job as the worker does with one that failed
// for good, and replays it from the jobs page.
func replayInBrowser(t *testing.T, ctx context.Context, h *harness, sh *shots) {
	payload, _ := json.Marshal(map[string]any{"app_id": testApp, "msg_id": "console-archived-1", "recipients": []string{"nobody"}})
	id := dispatcher.TaskID(testApp, "console-archived-1")
	if _, err := h.app.Queue.Enqueue(asynq.NewTask(dispatcher.TypeMessage, payload), asynq.TaskID(id), asynq.Queue(dispatcher.Queue),
		asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Inspector.ArchiveTask(dispatcher.Queue, id); err != nil {
		t.Fatal(err)
	}
	var row, msg string
	run(t, ctx, "replay an archived job",
		chromedp.Navigate(h.base+"/console/jobs"),
		chromedp.Text("tbody", &row, chromedp.ByQuery),
		sh.take("06-jobs"),
		chromedp.Click(fmt.Sprintf(`button[aria-label="Replay %s"]`, id), chromedp.ByQuery),
		chromedp.WaitVisible(".msg", chromedp.ByQuery),
		chromedp.Text(".msg", &msg, chromedp.ByQuery),
	)
	if !strings.Contains(row, "console-archived-1") || !strings.Contains(msg, "1 job queued again") {
		t.Fatalf("jobs page %q, after replay %q", row, msg)
	}
	if info, err := h.app.Inspector.GetTaskInfo(dispatcher.Queue, id); err == nil && info.State == asynq.TaskStateArchived {
		t.Fatal("the replayed job is still archived")
	}
}

// refusedForms posts the test-push form with the browser's own session
// cookie: without the CSRF token, and from another origin, it is refused;
// with both right it is served (the positive control).
func refusedForms(t *testing.T, ctx context.Context, base string) {
	var cookie, csrf string
	run(t, ctx, "read the session",
		chromedp.Navigate(base+"/console/push"),
		chromedp.Value(`input[name=csrf]`, &csrf, chromedp.ByQuery),
		chromedp.ActionFunc(func(ctx context.Context) error {
			cs, err := network.GetCookies().Do(ctx)
			for _, c := range cs {
				if c.Name == "pushd_session" {
					cookie = c.Value
					if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
						t.Errorf("session cookie: HttpOnly %v SameSite %v", c.HTTPOnly, c.SameSite)
					}
				}
			}
			return err
		}),
	)
	form := url.Values{"cert_id": {"1"}, "token": {"7c1b9a3e5d0f24681357924680ace1357bdf02468ace13579bdf02468ace1357"}, "desc": {"x"}, "action": {"dry"}}
	cases := []struct {
		name, csrf, origin string
		want               int
	}{
		{"no CSRF token", "", "", http.StatusForbidden},
		{"wrong CSRF token", "0000", base, http.StatusForbidden},
		{"foreign origin", csrf, "https://evil.example", http.StatusForbidden},
		{"the console's own form", csrf, base, http.StatusOK},
	}
	for _, c := range cases {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if c.csrf != "" {
			f.Set("csrf", c.csrf)
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/console/push", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "pushd_session", Value: cookie})
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
}

func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}
