package xiaomi

import "net/http"

// Xiaomi has no token exchange: every request carries the AppSecret as
// "Authorization: key=<AppSecret>", with "key" in lower case
// [vendor-protocols.md §3 Auth; MIDOC pId=1559].
const (
	headerAuth = "Authorization"
	authPrefix = "key="
)

// authorize sets the static credential on r.
func authorize(r *http.Request, secret []byte) {
	r.Header.Set(headerAuth, authPrefix+string(secret))
}
