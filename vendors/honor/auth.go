package honor

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// OAuth 2.0 client credentials against Honor's Keycloak realm
// [vendor-protocols.md §8 Auth]: POST the realm token path with client_id
// and client_secret. Some clients use the short path /auth/token on the
// same host [UNCERTAIN which is current], so a 404 on the realm path falls
// back to it.
const (
	tokenPath      = "/auth/realms/developer/protocol/openid-connect/token"
	shortTokenPath = "/auth/token"
	// refreshMargin renews the token this long before it expires.
	refreshMargin = 2 * time.Minute
	// defaultTokenTTL is assumed when the answer omits expires_in [§8:
	// implementations default to 3600 s].
	defaultTokenTTL = time.Hour
)

// tokenAnswer is the token endpoint's success or OAuth error body, e.g.
// {"error":"unauthorized_client","error_description":"Invalid client or
// Invalid client credentials"}.
type tokenAnswer struct {
	AccessToken string     `json:"access_token"`
	ExpiresIn   flexString `json:"expires_in"`
	Error       flexString `json:"error"`
	Description string     `json:"error_description"`
}

// fetchToken obtains an access token; tokencache calls it, at most once at
// a time.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var (
		tok string
		ttl time.Duration
		err error
	)
	for _, u := range []string{c.authBase + tokenPath, c.authBase + shortTokenPath} {
		var status int
		tok, ttl, status, err = c.tryToken(ctx, u)
		if status != http.StatusNotFound {
			break
		}
	}
	return tok, ttl, err
}

// tryToken asks one token URL and also returns the HTTP status.
func (c *Client) tryToken(ctx context.Context, u string) (string, time.Duration, int, error) {
	a, err := hms.RequestToken(ctx, c.http, vendors.Honor, u, c.clientID, c.secret, maxResponse)
	if err != nil {
		return "", 0, a.Status, err
	}
	tok, ttl, err := parseToken(a.Status, a.Header, a.Body, c.now())
	return tok, ttl, a.Status, err
}

// parseToken reads a token answer. A refusal of our credentials is Auth:
// the certificate needs fixing; outages are Retryable.
func parseToken(status int, h http.Header, body []byte, now time.Time) (string, time.Duration, error) {
	var a tokenAnswer
	decodeErr := json.Unmarshal(body, &a)
	if decodeErr == nil && status/100 == 2 && a.AccessToken != "" && a.Error == "" {
		return a.AccessToken, hms.TokenTTL(string(a.ExpiresIn), defaultTokenTTL), nil
	}
	if decodeErr == nil && a.Error != "" {
		return "", 0, &vendors.Error{Vendor: vendors.Honor, Kind: vendors.Auth, Status: status,
			Code: string(a.Error), Message: "access token refused: " + a.Description}
	}
	return "", 0, hms.TokenStatusError(vendors.Honor, status, h, body, now, rateLimitWait)
}
