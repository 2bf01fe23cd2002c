package hms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// formType is the content type of the OAuth token request.
const formType = "application/x-www-form-urlencoded"

// tokenAnswer is a token endpoint's success or OAuth error body: Huawei
// answers HTTP 400 {"error":1101,"sub_error":20002,"error_description":…}
// [§4 Auth], Honor's Keycloak {"error":"unauthorized_client",…} [§8 Auth].
type tokenAnswer struct {
	AccessToken string                `json:"access_token"`
	ExpiresIn   vendorhttp.FlexString `json:"expires_in"`
	Error       vendorhttp.FlexString `json:"error"`
	SubError    vendorhttp.FlexString `json:"sub_error"`
	Description string                `json:"error_description"`
}

// fetchToken obtains an access token from the first token URL that does
// not answer 404; tokencache calls it, at most once at a time.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var (
		tok string
		ttl time.Duration
		err error
	)
	for _, u := range c.p.TokenURLs {
		var a vendorhttp.Answer
		a, err = RequestToken(ctx, c.http, c.p.Vendor, u, c.p.ClientID, c.p.Secret, MaxResponse)
		if err != nil {
			return "", 0, err
		}
		tok, ttl, err = ParseToken(c.p.Vendor, a.Status, a.Header, a.Body, c.Now())
		if a.Status != http.StatusNotFound {
			break
		}
	}
	return tok, ttl, err
}

// RequestToken posts an OAuth 2.0 client-credentials request to tokenURL.
// The answer is returned whatever its status; ParseToken reads it.
func RequestToken(ctx context.Context, hc *http.Client, v vendors.Vendor, tokenURL, clientID string,
	secret []byte, limit int64) (vendorhttp.Answer, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID},
		"client_secret": {string(secret)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return vendorhttp.Answer{}, err
	}
	req.Header.Set("Content-Type", formType)
	return vendorhttp.Exchange(hc, req, v, limit, "access token: ")
}

// ParseToken reads a token answer of v. A refusal of our credentials is
// Auth: the certificate needs fixing; outages are Retryable.
func ParseToken(v vendors.Vendor, status int, h http.Header, body []byte, now time.Time) (string, time.Duration, error) {
	var a tokenAnswer
	decodeErr := json.Unmarshal(body, &a)
	if decodeErr == nil && status/100 == 2 && a.AccessToken != "" && a.Error == "" {
		return a.AccessToken, TokenTTL(string(a.ExpiresIn), DefaultTokenTTL), nil
	}
	if decodeErr == nil && a.Error != "" {
		msg := "access token refused: " + a.Description
		if a.SubError != "" {
			msg = "access token refused (sub_error " + string(a.SubError) + "): " + a.Description
		}
		return "", 0, &vendors.Error{Vendor: v, Kind: vendors.Auth, Status: status, Code: string(a.Error), Message: msg}
	}
	return "", 0, TokenStatusError(v, status, h, body, now)
}

// TokenTTL is expires_in seconds, or def when it is missing or unreadable.
func TokenTTL(expiresIn string, def time.Duration) time.Duration {
	if s, err := time.ParseDuration(expiresIn + "s"); err == nil && s > 0 {
		return s
	}
	return def
}

// TokenStatusError classifies a token answer that is not a token nor an
// OAuth error by its status. A 4xx refusal is Auth rather than Rejected:
// the certificate needs fixing, not the message.
func TokenStatusError(v vendors.Vendor, status int, h http.Header, body []byte, now time.Time) *vendors.Error {
	e := StatusError(v, status, h, "access token: "+vendorhttp.Snippet(body), now)
	if status >= 400 && status < 500 && e.Kind == vendors.Rejected {
		e.Kind = vendors.Auth
	}
	return e
}
