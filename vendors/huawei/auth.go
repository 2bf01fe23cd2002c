package huawei

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// OAuth 2.0 client credentials [vendor-protocols.md §4 Auth; HWDOC oauth2]:
// POST {auth}/oauth2/v3/token with client_id = AppID and client_secret =
// AppSecret, answered with an access token that lives expires_in (3600) s.
const (
	tokenPath = "/oauth2/v3/token"
	// refreshMargin renews the token this long before it expires, as MZS
	// does, so no send races the expiry.
	refreshMargin = 2 * time.Minute
	// defaultTokenTTL is assumed when the answer omits expires_in.
	defaultTokenTTL = time.Hour
)

// tokenAnswer is the token endpoint's success or error body. Errors come
// back as HTTP 400 {"error":1101,"sub_error":20002,"error_description":…}.
type tokenAnswer struct {
	AccessToken string     `json:"access_token"`
	ExpiresIn   flexString `json:"expires_in"`
	Error       flexString `json:"error"`
	SubError    flexString `json:"sub_error"`
	Description string     `json:"error_description"`
}

// fetchToken obtains an access token; tokencache calls it, at most once at
// a time.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	a, err := hms.RequestToken(ctx, c.http, vendors.Huawei, c.authURL, c.set.AppID, c.secret, maxResponse)
	if err != nil {
		return "", 0, err
	}
	return parseToken(a.Status, a.Header, a.Body, c.now())
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
		return "", 0, &vendors.Error{Vendor: vendors.Huawei, Kind: vendors.Auth, Status: status,
			Code: string(a.Error), Message: fmt.Sprintf("access token refused (sub_error %s): %s", a.SubError, a.Description)}
	}
	return "", 0, hms.TokenStatusError(vendors.Huawei, status, h, body, now, rateLimitWait)
}
