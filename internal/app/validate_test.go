package app

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/harmony"
)

// A validate-only notification (pushd push --validate-only) alerts no
// phone on any vendor: FCM and Huawei send validate_only and vivo pushMode
// 1, and their fakes check the request and record it as Validated, not
// delivered; Honor, OPPO and HarmonyOS, which have no such mode, only
// authenticate (HarmonyOS signs its JWT);
// APNs, Xiaomi and Meizu, which authenticate only with a send, send
// nothing and say so.
func TestValidateOnlyAlertsNoPhoneOnAnyVendor(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	type want struct {
		validated   bool // one request, accepted and recorded as Validated
		authOnly    bool // OK with no send request
		unsupported bool // CodeValidateUnsupported with no send request
	}
	wants := map[vendors.Vendor]want{
		vendors.FCM: {validated: true}, vendors.Huawei: {validated: true}, vendors.Vivo: {validated: true},
		vendors.Honor: {authOnly: true}, vendors.OPPO: {authOnly: true}, harmony.Harmony: {authOnly: true},
		vendors.APNs: {unsupported: true}, vendors.Xiaomi: {unsupported: true}, vendors.Meizu: {unsupported: true},
	}
	for i, v := range vendors.All() {
		w, ok := wants[v]
		if !ok {
			t.Fatalf("no expectation for %s", v)
		}
		s, _, err := h.app.Pool.Sender(ctx, h.addVendor(testApp, v))
		if err != nil {
			t.Fatal(err)
		}
		n := &vendors.Notification{ID: "validate-" + string(v), Title: "Check", Body: "credential and token", ValidateOnly: true}
		tokens := []string{deviceToken(v, i)}
		if v == vendors.Vivo {
			tokens = append(tokens, deviceToken(v, i+100)) // the list path carries pushMode too
		}
		rs := s.Send(ctx, n, tokens)
		reqs := sends(h.sb, v)
		switch {
		case w.validated:
			if len(rs) != len(tokens) || rs[0].Err != nil || len(reqs) == 0 {
				t.Fatalf("%s: results %+v, %d requests; want accepted", v, rs, len(reqs))
			}
			last := reqs[len(reqs)-1]
			if !last.Validated || last.Status != http.StatusOK {
				t.Errorf("%s: last request %s status %d validated %v, want a validated, undelivered request", v, last.Path, last.Status, last.Validated)
			}
			checkValidateFlag(t, v, last.Body)
		case w.authOnly:
			if len(rs) != 1 || rs[0].Err != nil || rs[0].MessageID != "" || len(reqs) != 0 {
				t.Errorf("%s: results %+v, %d send requests; want OK after auth only, nothing sent", v, rs, len(reqs))
			}
		case w.unsupported:
			if len(rs) != 1 || vendors.CodeOf(rs[0].Err) != vendors.CodeValidateUnsupported || len(reqs) != 0 {
				t.Errorf("%s: results %+v, %d send requests; want %s, nothing sent", v, rs, len(reqs), vendors.CodeValidateUnsupported)
			}
		}
	}
	if h.sb.OPPO.TokenRequests() != 1 || h.sb.Honor.TokenRequests() != 1 {
		t.Errorf("auth calls: OPPO %d, Honor %d; want one each", h.sb.OPPO.TokenRequests(), h.sb.Honor.TokenRequests())
	}
}

// checkValidateFlag checks the vendor's own validate-only field in body.
func checkValidateFlag(t *testing.T, v vendors.Vendor, body []byte) {
	t.Helper()
	var b struct {
		ValidateOnly bool `json:"validate_only"`
		PushMode     *int `json:"pushMode"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("%s body: %v", v, err)
	}
	if v == vendors.Vivo {
		if b.PushMode == nil || *b.PushMode != 1 {
			t.Errorf("vivo pushMode %v, want 1", b.PushMode)
		}
		return
	}
	if !b.ValidateOnly {
		t.Errorf("%s: validate_only not set in %s", v, body)
	}
}
