package oppo

import (
	"testing"

	"github.com/pushd/pushd/vendors"
)

// vendors.oppo.auth_endpoint is a full auth URL or a base; unset, auth
// goes to the send host.
func TestAuthEndpointIsAFullURLOrABase(t *testing.T) {
	cases := []struct{ url, configured, want string }{
		{"", "", DefaultURL + "/server/v1/auth"},
		{"https://send.example", "", "https://send.example/server/v1/auth"},
		{"", "https://auth.example", "https://auth.example/server/v1/auth"},
		{"", "https://auth.example/", "https://auth.example/server/v1/auth"},
		{"", "https://auth.example/server/v1/auth", "https://auth.example/server/v1/auth"},
	}
	for _, c := range cases {
		s, err := New(newTestCred(nil), vendors.Endpoint{URL: c.url, AuthURL: c.configured})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.(*Sender).authURL; got != c.want {
			t.Errorf("endpoint %q auth_endpoint %q: %s, want %s", c.url, c.configured, got, c.want)
		}
	}
}
