package app

import (
	"net/http"
	"testing"

	"github.com/pushd/pushd/vendors"
)

// TestPreviewUserAndConversation: in a full-preview app, a user's own
// sender_only applies to every conversation but one, which the user set
// to hidden through its receive options.
func TestPreviewUserAndConversation(t *testing.T) {
	h, users := previewHarness(t, "full")
	for _, u := range users {
		h.do(http.MethodPut, "/v1/apps/"+testApp+"/users/"+u+"/settings", map[string]any{"preview": "sender_only"}, nil)
	}
	got := vendorTexts(t, h, "prv-u-1", groupJob("prv-u-1", users))
	if f := got[vendors.Xiaomi]; f.body != "Den sent a message in Hiking" {
		t.Errorf("user sender_only on Xiaomi: %q", f.body)
	}
	for _, u := range users {
		h.do(http.MethodPut, "/v1/apps/"+testApp+"/users/"+u+"/receive-options/group/g1", map[string]any{"preview": "hidden"}, nil)
	}
	for v, f := range vendorTexts(t, h, "prv-u-2", groupJob("prv-u-2", users)) {
		if f.body != "New message" {
			t.Errorf("conversation hidden on %s: %q", v, f.body)
		}
	}
}
