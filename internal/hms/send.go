// Package hms holds the logic Huawei Push Kit and Honor Push share, Honor's
// API being a fork of Huawei's (vendor-protocols.md §4, §8): the OAuth
// client-credentials token request, the send that refreshes the token
// exactly once, the HTTP-status fallback classification and the click,
// badge, intent and TTL values of the payload. Wire field names, result
// codes and their classification tables stay in each vendor's package.
package hms

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/tokencache"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// formType is the content type of the OAuth token request.
const formType = "application/x-www-form-urlencoded"

// Sender is the send side of an HMS-style client: it encodes a message
// once, posts it with a cached OAuth access token and resends once with a
// fresh token when the vendor refuses the old one.
type Sender struct {
	// ID names the vendor in errors; Name prefixes plain errors.
	ID   vendors.Vendor
	Name string
	// Batch is the token limit of one request.
	Batch int
	// Limit bounds how much of an answer is read.
	Limit  int64
	HTTP   *http.Client
	Tokens *tokencache.Cache
	// Build encodes n for tokens.
	Build func(n *vendors.Notification, tokens []string) ([]byte, error)
	// NewRequest builds the authorized POST of body.
	NewRequest func(ctx context.Context, body []byte, accessToken string) (*http.Request, error)
	// Parse turns an answer into one Result per token.
	Parse func(a vendorhttp.Answer, tokens []string) []vendors.Result
}

// MaxBatch returns the token limit of one request.
func (s *Sender) MaxBatch() int { return s.Batch }

// Send delivers n to tokens in one request and returns one Result per
// token. When the vendor refuses the access token, Send drops it, fetches
// a new one and resends exactly once.
func (s *Sender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	if len(tokens) == 0 {
		return nil
	}
	body, err := s.body(n, tokens)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	rs, tok := s.once(ctx, body, tokens)
	if tok == "" || !AuthFailed(rs) {
		return rs
	}
	s.Tokens.Invalidate(tok)
	rs, _ = s.once(ctx, body, tokens)
	return rs
}

// once posts body with the cached access token and returns the results
// and the token used ("" when none could be had).
func (s *Sender) once(ctx context.Context, body []byte, tokens []string) ([]vendors.Result, string) {
	tok, err := s.Tokens.Token(ctx)
	if err != nil {
		return vendors.Fail(tokens, err), ""
	}
	req, err := s.NewRequest(ctx, body, tok)
	if err != nil {
		return vendors.Fail(tokens, err), tok
	}
	a, err := vendorhttp.Exchange(s.HTTP, req, s.ID, s.Limit, "")
	if err != nil {
		return vendors.Fail(tokens, err), tok
	}
	// The raw answer of the push request (never of the token exchange,
	// whose body is a credential), for a test push that asks for it.
	vendors.CaptureAnswer(req.Context(), a.Status, a.Header, a.Body)
	return s.Parse(a, tokens), tok
}

// DryRun returns the request Send would make without fetching an access
// token: the header named secretHeader is shown redacted.
func (s *Sender) DryRun(ctx context.Context, n *vendors.Notification, tokens []string,
	secretHeader string) ([]vendors.Request, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("%s: no tokens", s.Name)
	}
	body, err := s.body(n, tokens)
	if err != nil {
		return nil, err
	}
	req, err := s.NewRequest(ctx, body, vendors.Redacted)
	if err != nil {
		return nil, err
	}
	return []vendors.Request{{Method: req.Method, URL: req.URL.String(),
		Header: vendors.HeaderMap(req.Header, secretHeader), Body: string(body)}}, nil
}

// body checks the batch size and encodes the message.
func (s *Sender) body(n *vendors.Notification, tokens []string) ([]byte, error) {
	if len(tokens) > s.Batch {
		return nil, &vendors.Error{Vendor: s.ID, Kind: vendors.Rejected,
			Message: fmt.Sprintf("%d tokens exceed the batch limit of %d", len(tokens), s.Batch)}
	}
	return s.Build(n, tokens)
}

// AuthFailed reports a whole-request auth refusal (per-token results are
// never Auth).
func AuthFailed(rs []vendors.Result) bool {
	return len(rs) > 0 && rs[0].Kind() == vendors.Auth
}

// RequestToken posts an OAuth 2.0 client-credentials request to tokenURL.
// The answer is returned whatever its status; the vendor reads it.
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
func TokenStatusError(v vendors.Vendor, status int, h http.Header, body []byte, now time.Time,
	rateLimitWait time.Duration) *vendors.Error {
	e := StatusError(v, status, h, "access token: "+vendorhttp.Snippet(body), now, rateLimitWait)
	if status >= 400 && status < 500 && e.Kind == vendors.Rejected {
		e.Kind = vendors.Auth
	}
	return e
}

// BearerPost builds the POST of a JSON body to sendURL authorized by an
// OAuth access token, as both vendors' send APIs expect it.
func BearerPost(ctx context.Context, sendURL, contentType string, body []byte, accessToken string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sendURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	return req, nil
}
