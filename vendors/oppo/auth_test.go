package oppo

import (
	"net/url"
	"testing"
)

// The expected digests were computed outside Go, with
//
//	printf '%s' 'appkey1700000000000secret' | sha256sum
//	printf '%s' 'oppo-app-key-11764064800000oppo-master-secret' | sha256sum
//	printf '%s' 'oppo-key1795600800000oppo-master' | sha256sum
//
// so they check the formula, not the code against itself.
func TestSignFixedVectors(t *testing.T) {
	cases := []struct{ key, ts, secret, want string }{
		{"appkey", "1700000000000", "secret", "2e40dd50a55be3227d415931c7db4aede3b6d25cd61d8761b732d90d2ad0eb4b"},
		{"oppo-app-key-1", "1764064800000", "oppo-master-secret", "3001ce14788c7ba9f93a05a211752efc33648c7d4a749c7855295f172890911e"},
	}
	for _, c := range cases {
		if got := sign(c.key, c.ts, []byte(c.secret)); got != c.want {
			t.Errorf("sign(%q, %q) = %s, want %s", c.key, c.ts, got, c.want)
		}
	}
}

// TestAuthRequestIsSigned checks the auth call the sender makes at the fixed
// test clock (2026-11-25T10:00:00Z = 1795600800000 ms).
func TestAuthRequestIsSigned(t *testing.T) {
	f, s, _ := newFixture(t)
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Path != authPath {
		t.Fatalf("requests %v", paths(reqs))
	}
	form, err := url.ParseQuery(string(reqs[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"app_key":   {testAppKey},
		"timestamp": {"1795600800000"},
		"sign":      {"a9a7774cd78b93f353d89ca30b075b28526eb8113b09a6a0988498c2889f00ff"},
	}
	if form.Encode() != want.Encode() {
		t.Errorf("auth form %v, want %v", form, want)
	}
}
