package meizu

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"sort"
)

// sign is Meizu's request signature (vendor-protocols.md §7 "Auth"):
// lower-case hex MD5 of every parameter but sign, sorted by key and written
// as k=v with the raw (not URL-encoded) value, followed by the app secret.
// Meizu has no token exchange: every request carries its own sign.
func sign(params url.Values, appSecret []byte) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	h := md5.New()
	for _, k := range keys {
		h.Write([]byte(k + "=" + params.Get(k)))
	}
	h.Write(appSecret)
	return hex.EncodeToString(h.Sum(nil))
}
