package vivo

import (
	"encoding/json"
	"testing"
)

// The expected digests were computed outside Go, with
//
//	printf '%s' '10004vivo-app-key1700000000000vivo-secret' | md5sum
//	printf '%s' '123vivo-app-key1700000000000 secret with spaces' | md5sum
//	printf '%s' '10004vivo-key1795600800000vivo-secret' | md5sum
//
// so they check the formula, not the code against itself. The second shows
// the trim of vivo's md5(trim(…)).
func TestSignFixedVectors(t *testing.T) {
	cases := []struct{ id, key, ts, secret, want string }{
		{"10004", "vivo-app-key", "1700000000000", "vivo-secret", "4053e0b842211b4669130c82e1ce9d07"},
		{"123", "vivo-app-key", "1700000000000", " secret with spaces ", "ee5f76e29e20b437676c090bc88cef56"},
	}
	for _, c := range cases {
		if got := sign(c.id, c.key, c.ts, []byte(c.secret)); got != c.want {
			t.Errorf("sign(%q, %q, %q) = %s, want %s", c.id, c.key, c.ts, got, c.want)
		}
	}
}

// TestAuthRequestIsSigned checks the auth body the sender posts at the fixed
// test clock (2026-11-25T10:00:00Z = 1795600800000 ms).
func TestAuthRequestIsSigned(t *testing.T) {
	f, s, _ := newFixture(t)
	s.Send(t.Context(), testNotification(), []string{tokenN(1)})
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Path != authPath {
		t.Fatalf("requests %v", paths(reqs))
	}
	var got map[string]any
	if err := json.Unmarshal(reqs[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"appId": float64(10004), "appKey": testAppKey, "timestamp": float64(1795600800000),
		"sign": "eaed578986e59b96f9c4ac9ee489cf6b"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if reqs[1].Header.Get("authToken") == "" {
		t.Error("send without the authToken header")
	}
}
