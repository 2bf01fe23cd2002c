package fcm

import (
	"testing"

	"github.com/pushd/pushd/vendors/fake"
)

// vendors.fcm.auth_endpoint is a full token URL or a base: both reach the
// fake's POST /token and the send goes through.
func TestAuthEndpointIsAFullURLOrABase(t *testing.T) {
	f := fake.NewFCM(fake.FCMOptions{})
	t.Cleanup(f.Close)
	sa, err := f.NewServiceAccount(testProject)
	if err != nil {
		t.Fatal(err)
	}
	for i, configured := range []string{f.URL(), f.URL() + "/", f.TokenURI()} {
		ep := f.Endpoint()
		ep.AuthURL = configured
		if r := sendOneToken(t, newSender(t, sa.JSON, ep), "device-token-1"); r.Err != nil {
			t.Errorf("auth_endpoint %q: %v", configured, r.Err)
		}
		if got := f.TokenRequests(); got != i+1 {
			t.Errorf("auth_endpoint %q: %d token requests in all, want %d", configured, got, i+1)
		}
	}
	if got := endpoints().AuthURL(""); got != "https://oauth2.googleapis.com/token" {
		t.Errorf("default token URL %s", got)
	}
}
