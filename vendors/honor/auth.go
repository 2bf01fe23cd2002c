package honor

// OAuth 2.0 client credentials against Honor's Keycloak realm
// [vendor-protocols.md §8 Auth]: POST the realm token path with client_id
// and client_secret; internal/hms requests and reads it. Some clients use
// the short path /auth/token on the same host [UNCERTAIN which is
// current], so a 404 on the realm path falls back to it.
const (
	tokenPath      = "/auth/realms/developer/protocol/openid-connect/token"
	shortTokenPath = "/auth/token"
)
