package meizu

import (
	"net/url"
	"testing"
)

// The expected digests were computed outside Go, with
//
//	printf '%s' 'appId=100999messageJson={"a":1}pushIds=ULY1,ULY2meizu-secret' | md5sum
//	printf '%s' 'appId=100999messageJson={"noticeBarInfo":{"title":"标题 & a=b"}}pushIds=ULYabc,ULYdef秘密' | md5sum
//
// so they check the formula (sorted keys, raw values, secret last), not the
// code against itself. The second shows values are signed unencoded.
func TestSignFixedVectors(t *testing.T) {
	cases := []struct {
		params url.Values
		secret string
		want   string
	}{
		{url.Values{"pushIds": {"ULY1,ULY2"}, "appId": {"100999"}, "messageJson": {`{"a":1}`}}, "meizu-secret",
			"66987239610a01d3f33b75ad4377b4c7"},
		{url.Values{"messageJson": {`{"noticeBarInfo":{"title":"标题 & a=b"}}`}, "pushIds": {"ULYabc,ULYdef"},
			"appId": {"100999"}, "sign": {"ignored"}}, "秘密", "16470237714aea11e32671218a0e12ad"},
	}
	for i, c := range cases {
		if got := sign(c.params, []byte(c.secret)); got != c.want {
			t.Errorf("case %d: sign = %s, want %s", i, got, c.want)
		}
	}
}
