package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/internal/app"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// TestStaleUnregisteredKeepsReregisteredToken has APNs answer 410
// Unregistered for two users' devices. The fake's clock runs 30 s behind,
// so the 410 says the tokens died 30 s ago. Olga's binding was last
// reported two minutes ago: it is removed. Kira re-registered her token
// just now, after the time APNs gives: her binding stays. Both outcomes
// reach the event stream and the signed webhook as token_invalid.
func TestStaleUnregisteredKeepsReregisteredToken(t *testing.T) {
	t.Parallel()
	const lag = 30 * time.Second
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{Now: func() time.Time { return time.Now().Add(-lag) }})
	secret := randomSecret("whsec-")
	e.scan.secret("webhook secret", secret)
	wh := newHook(t, secret)
	cfg := e.config(db.URL)
	cfg.Events.Webhook = configs.Webhook{URL: wh.URL, Secret: secret, Batch: 10, Flush: 100 * time.Millisecond}
	n := e.start(cfg, app.Options{})
	cert := e.addCert(n.client)
	toks := tokens(0x41, 2)
	kept, gone := toks[0], toks[1]
	ctx := context.Background()

	earlier := devices.New(db.Client, devices.Options{Now: func() time.Time { return time.Now().Add(-2 * time.Minute) }})
	if err := earlier.Bind(ctx, devices.Binding{AppID: appID, UserID: "olga", CertID: cert, Token: gone}); err != nil {
		t.Fatal(err)
	}
	bind := fmt.Sprintf("/v1/apps/%s/users/kira/devices/%d/%s", appID, cert, url.PathEscape(kept))
	if err := n.client.Do(ctx, http.MethodPut, bind, api.BindRequest{Platform: "ios"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		e.apns.FailToken(tok, fake.Failure{Code: "Unregistered"})
	}
	job := map[string]any{"app_id": appID, "msg_id": "gone-1", "sender": map[string]any{"user_id": "denny"},
		"recipients": []string{"kira", "olga"}, "elems": []map[string]any{{"type": "text", "text": "still there?"}}}
	if err := n.client.Do(ctx, http.MethodPost, "/v1/messages", job, nil); err != nil {
		t.Fatal(err)
	}
	var invalid map[string]bool
	waitFor(t, "token_invalid for both devices at the webhook", 10*time.Second, func() bool {
		invalid = map[string]bool{}
		for _, ev := range wh.events(t) {
			if ev.Type == dispatcher.EventTokenInvalid {
				invalid[ev.Token] = true
			}
		}
		return invalid[vendors.TokenHash(kept)] && invalid[vendors.TokenHash(gone)]
	})
	left := func(user string) int {
		bs, err := n.app.Devices.List(ctx, appID, user)
		if err != nil {
			t.Fatal(err)
		}
		return len(bs)
	}
	if left("kira") != 1 {
		t.Error("the re-registered token was removed by a 410 older than its report")
	}
	if left("olga") != 0 {
		t.Error("the token last reported before the 410's timestamp was kept")
	}
	if len(e.apns.Requests()) != 2 {
		t.Errorf("%d requests, want one per device (an invalid token is never retried)", len(e.apns.Requests()))
	}
	report(t, map[string]any{
		"apns_410_lag_seconds":        seconds(lag),
		"reregistered_binding_kept":   left("kira") == 1,
		"stale_binding_removed":       left("olga") == 0,
		"token_invalid_events_posted": len(invalid),
	})
}

// TestRejectedCredentialsMarkTheCertificate uploads a p8 key APNs does not
// know: every send ends in 403 InvalidProviderToken after the adapter's
// own token refresh and retry. The certificate is marked unhealthy (as
// `pushd certs list` shows), the devices are retried twice and their task
// is archived with the reason. Once APNs trusts the key, replaying the
// archived job delivers it and the certificate is healthy again.
func TestRejectedCredentialsMarkTheCertificate(t *testing.T) {
	t.Parallel()
	db := testredis.New(t)
	e := newEnv(t, fake.APNsOptions{})
	other, err := testcreds.NewP8()
	if err != nil {
		t.Fatal(err)
	}
	e.apns.AddKey(keyID, teamID, &other.Key.PublicKey) // APNs knows the key id with another key

	n := e.start(e.config(db.URL), app.Options{})
	cert := e.addCert(n.client)
	tok := tokens(0x7a, 1)[0]
	enqueueDirect(t, db.URL, []*dispatcher.Job{deviceJob("auth-1", cert, tok)})

	start := time.Now()
	taskID := dispatcher.RetryTaskID(appID, "auth-1", cert)
	var info *asynq.TaskInfo
	waitFor(t, "the retry task archived", 20*time.Second, func() bool {
		var err error
		info, err = n.app.Inspector.GetTaskInfo(dispatcher.Queue, taskID)
		return err == nil && info.State == asynq.TaskStateArchived
	})
	if !strings.Contains(info.LastErr, "InvalidProviderToken") || !strings.Contains(info.LastErr, "credentials") {
		t.Errorf("archived with %q, want the auth failure named", info.LastErr)
	}
	refused := len(e.apns.Requests())
	toArchive := time.Since(start)
	got := certInfo(t, n.client, cert)
	if got.Healthy || !strings.Contains(got.HealthReason, "InvalidProviderToken") {
		t.Errorf("certificate healthy=%v reason %q, want unhealthy naming the vendor's refusal", got.Healthy, got.HealthReason)
	}
	listed := certsList(t, n.client.Base)

	e.apns.AddKey(keyID, teamID, &e.p8.Key.PublicKey)
	var replay struct{ Replayed int }
	if err := n.client.Do(context.Background(), http.MethodPost, "/v1/jobs/replay", api.ReplayRequest{TaskID: taskID}, &replay); err != nil || replay.Replayed != 1 {
		t.Fatalf("replay: %+v %v", replay, err)
	}
	replayed := time.Now()
	waitFor(t, "the replayed job delivered and the certificate healthy", 20*time.Second, func() bool {
		return okByToken(e.apns.Requests())[tok] == 1 && certInfo(t, n.client, cert).Healthy
	})
	report(t, map[string]any{
		"sends_before_archive":      1 + dispatcher.DefaultAuthRetries,
		"seconds_to_archive":        seconds(toArchive),
		"replay_to_healthy_seconds": seconds(time.Since(replayed)),
		"requests_refused":          refused,
		"archived_reason":           info.LastErr,
		"certs_list_shows":          listed,
		"healthy_after_new_key":     true,
		"delivered_after_replay":    true,
		"retries_before_archiving":  info.Retried,
	})
}

func certInfo(t *testing.T, c *api.Client, id int64) certs.Info {
	t.Helper()
	var info certs.Info
	if err := c.Do(context.Background(), http.MethodGet, fmt.Sprintf("/v1/certs/%d", id), nil, &info); err != nil {
		t.Fatal(err)
	}
	return info
}

// certsList runs `pushd certs list` against the server and returns its
// health column, which must flag the certificate.
func certsList(t *testing.T, base string) string {
	t.Helper()
	cmd := exec.Command(pushdBinary(t), "certs", "list", "--server", base)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pushd certs list: %v\n%s", err, out)
	}
	i := strings.Index(string(out), "UNHEALTHY")
	if i < 0 {
		t.Fatalf("pushd certs list does not flag the certificate:\n%s", out)
	}
	line, _, _ := strings.Cut(string(out[i:]), "\n")
	return strings.TrimSpace(line)
}
