package app

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/harmony"
)

// hmProjectID is the AppGallery Connect project of the HarmonyOS tests.
const hmProjectID = "101000000000000001"

// harmonyFake returns the sandbox's HarmonyOS fake.
func (h *harness) harmonyFake() *fake.Harmony {
	h.t.Helper()
	f, ok := h.sb.Fake(harmony.Harmony).(*fake.Harmony)
	if !ok {
		h.t.Fatal("the sandbox has no HarmonyOS fake")
	}
	return f
}

// addHarmony uploads a service-account key the HarmonyOS fake trusts.
func (h *harness) addHarmony(app string) int64 {
	h.t.Helper()
	acc, err := h.harmonyFake().NewAccount(hmProjectID)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.addCert(harmonyCert(app, acc, acc.PEM))
}

// harmonyCert is the upload of acc with key as its private_key.
func harmonyCert(app string, acc *testcreds.HarmonyAccount, key []byte) api.CertRequest {
	return api.CertRequest{AppID: app, Vendor: string(harmony.Harmony),
		Fields:  map[string]string{"project_id": acc.ProjectID, "key_id": acc.KeyID, "sub_account": acc.SubAccount},
		Secrets: map[string]string{"private_key": base64.StdEncoding.EncodeToString(key)}}
}

// hmBody is the part of a HarmonyOS request the tests read.
type hmBody struct {
	Payload struct {
		Notification struct {
			Category, Title, Body, Image, Sound string
			SoundDuration                       int
			NotifyID                            int `json:"notifyId"`
			AppMessageID                        string
			ClickAction                         struct {
				ActionType int
				Data       map[string]string
			}
			Badge *struct{ SetNum *int }
		}
	}
	PushOptions *struct {
		TestMessage bool
		TTL         int
	}
}

func harmonyFields(t *testing.T, r fake.Recorded) fields {
	var b hmBody
	decodeJSON(t, r.Body, &b)
	n := b.Payload.Notification
	if r.Header.Get("push-type") != "0" || n.Category != "IM" || n.ClickAction.ActionType != 0 {
		t.Errorf("push-type %q, category %q, action type %d", r.Header.Get("push-type"), n.Category, n.ClickAction.ActionType)
	}
	f := fields{title: n.Title, body: n.Body, ext: n.ClickAction.Data["ext"], ids: []string{strconv.Itoa(n.NotifyID), n.AppMessageID}}
	if n.Badge != nil && n.Badge.SetNum != nil {
		f.badge = strconv.Itoa(*n.Badge.SetNum)
	}
	return f
}

// TestHarmonyEndToEnd uploads a HarmonyOS service-account key file
// through the API, binds a device, enqueues a job with HarmonyOS options
// and checks the request the fake verified: the JWT, the project, the
// push-type and every mapped field.
func TestHarmonyEndToEnd(t *testing.T) {
	h := newHarness(t)
	f := h.harmonyFake()
	acc, err := f.NewAccount(hmProjectID)
	if err != nil {
		t.Fatal(err)
	}
	cert := h.addCert(harmonyCert(testApp, acc, acc.JSON)) // the whole key file
	const tok = "MAMzLg0hmToken0001"
	h.bind(testApp, "hana", cert, tok, "")
	h.background(testApp, "hana", cert, tok, 4)
	const msg = "hm-e2e-1"
	h.enqueue(map[string]any{"app_id": testApp, "msg_id": msg,
		"sender":     map[string]any{"user_id": "denny", "nickname": "Denny"},
		"recipients": []string{"hana"},
		"elems":      []map[string]any{{"type": "text", "text": "See you at 8"}},
		"offline_push": map[string]any{"title": "Plans", "ext": `{"conv":"c2c_denny"}`,
			"harmony": map[string]any{"title": "Plans on HarmonyOS", "category": "WORK", "image": "https://cdn.example.com/a.png",
				"sound": "ring.mp3", "sound_duration": 12}}})
	evs := h.waitDone(testApp, msg, 20*time.Second)
	if got := countEvents(evs); got["sent"] != 1 || len(evs) != 1 {
		t.Fatalf("events %v, want 1 sent", got)
	}
	reqs := f.Requests()
	if len(reqs) != 1 || reqs[0].Status != http.StatusOK || reqs[0].Path != "/v3/"+hmProjectID+"/messages:send" ||
		len(reqs[0].Tokens) != 1 || reqs[0].Tokens[0] != tok {
		t.Fatalf("fake requests %+v, want one accepted send to %s", reqs, tok)
	}
	var b hmBody
	decodeJSON(t, reqs[0].Body, &b)
	n := b.Payload.Notification
	if n.Title != "Plans on HarmonyOS" || n.Body != "Denny: See you at 8" || n.Category != "WORK" ||
		n.Image != "https://cdn.example.com/a.png" || n.Sound != "ring.mp3" || n.SoundDuration != 12 ||
		n.ClickAction.Data["ext"] != `{"conv":"c2c_denny"}` || n.Badge == nil || *n.Badge.SetNum != 5 ||
		n.NotifyID != vendors.NotifyID(msg) || n.AppMessageID != msg || b.PushOptions != nil {
		t.Fatalf("notification %+v, options %+v", n, b.PushOptions)
	}
	assertNoSecrets(t, h.logs.String(), string(acc.PEM), reqs[0].Header.Get("Authorization"))
}

// TestHarmonyUploadIsValidated: the descriptor's Check refuses a key that
// does not parse and a key file of another key id, as 400s naming the
// field without quoting the key, and accepts a PEM pasted with its JSON
// escapes.
func TestHarmonyUploadIsValidated(t *testing.T) {
	h := newHarness(t)
	acc, err := testcreds.NewHarmonyAccount(hmProjectID)
	if err != nil {
		t.Fatal(err)
	}
	const garbage = "not-a-key-0123456789"
	other := harmonyCert(testApp, acc, acc.JSON)
	other.Fields["key_id"] = "another-key"
	for field, req := range map[string]api.CertRequest{
		"private_key": harmonyCert(testApp, acc, []byte(garbage)),
		"key_id":      other,
	} {
		err := h.client.Do(context.Background(), http.MethodPost, "/v1/certs", req, nil)
		if err == nil || !strings.Contains(err.Error(), field) || strings.Contains(err.Error(), garbage) ||
			strings.Contains(err.Error(), "MII") {
			t.Errorf("upload with a bad %s: %v", field, err)
		}
	}
	escaped := strings.ReplaceAll(string(acc.PEM), "\n", `\n`)
	if id := h.addCert(harmonyCert(testApp, acc, []byte(escaped))); id == 0 {
		t.Fatal("no cert id")
	}
}
