package vivo

import (
	"testing"

	"github.com/pushd/pushd/vendors"
)

// vendors.vivo.auth_endpoint is a full auth URL or a base; unset, auth
// goes to the send host.
func TestAuthEndpointIsAFullURLOrABase(t *testing.T) {
	cases := []struct{ url, configured, want string }{
		{"", "", DefaultURL + "/message/auth"},
		{"https://send.example", "", "https://send.example/message/auth"},
		{"", "https://auth.example", "https://auth.example/message/auth"},
		{"", "https://auth.example/", "https://auth.example/message/auth"},
		{"", "https://auth.example/message/auth", "https://auth.example/message/auth"},
	}
	for _, c := range cases {
		s, err := New(newTestCred(), vendors.Endpoint{URL: c.url, AuthURL: c.configured})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.(*Sender).authURL; got != c.want {
			t.Errorf("endpoint %q auth_endpoint %q: %s, want %s", c.url, c.configured, got, c.want)
		}
	}
}
