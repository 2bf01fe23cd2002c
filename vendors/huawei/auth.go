package huawei

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// OAuth 2.0 client credentials [vendor-protocols.md §4 Auth; HWDOC oauth2]:
// POST {auth}/oauth2/v3/token with client_id = AppID and client_secret =
// AppSecret, answered with an access token that lives expires_in (3600) s.
const (
	tokenPath = "/oauth2/v3/token"
	formType  = "application/x-www-form-urlencoded"
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
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.set.AppID},
		"client_secret": {string(c.secret)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.authURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", formType)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", 0, &vendors.Error{Vendor: vendors.Huawei, Kind: vendors.Retryable,
			Message: "access token: " + err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", 0, &vendors.Error{Vendor: vendors.Huawei, Kind: vendors.Retryable,
			Status: resp.StatusCode, Message: "access token: " + err.Error()}
	}
	return parseToken(resp.StatusCode, resp.Header, body, c.now())
}

// parseToken reads a token answer. A refusal of our credentials is Auth:
// the certificate needs fixing; outages are Retryable.
func parseToken(status int, h http.Header, body []byte, now time.Time) (string, time.Duration, error) {
	var a tokenAnswer
	decodeErr := json.Unmarshal(body, &a)
	if decodeErr == nil && status/100 == 2 && a.AccessToken != "" && a.Error == "" {
		ttl := defaultTokenTTL
		if s, err := time.ParseDuration(string(a.ExpiresIn) + "s"); err == nil && s > 0 {
			ttl = s
		}
		return a.AccessToken, ttl, nil
	}
	if decodeErr == nil && a.Error != "" {
		return "", 0, &vendors.Error{Vendor: vendors.Huawei, Kind: vendors.Auth, Status: status,
			Code: string(a.Error), Message: fmt.Sprintf("access token refused (sub_error %s): %s", a.SubError, a.Description)}
	}
	e := statusError(status, h, "access token: "+snippet(body), now)
	if status >= 400 && status < 500 && e.Kind == vendors.Rejected {
		e.Kind = vendors.Auth
	}
	return "", 0, e
}
