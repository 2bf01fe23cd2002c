// Package hms is the one client Huawei Push Kit and Honor Push share, Honor's
// API being a fork of Huawei's (vendor-protocols.md §4, §8): the OAuth
// client-credentials token request and its answer, the send that refreshes
// the token exactly once, the HTTP-status fallback classification and the
// click, badge, intent and TTL values of the payload. Each vendor's package
// gives its Params: hosts, token paths, wire field names (Build), result
// codes and their classification table (Parse).
package hms

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pushd/pushd/internal/tokencache"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Both vendors' timings [vendor-protocols.md §4 Auth, §8 Auth].
const (
	// RefreshMargin renews the access token this long before it expires,
	// so no send races the expiry.
	RefreshMargin = 2 * time.Minute
	// DefaultTokenTTL is assumed when a token answer omits expires_in
	// (both document 3600 s).
	DefaultTokenTTL = time.Hour
	// RateLimitWait is the pause after an HTTP 429 without Retry-After.
	RateLimitWait = 5 * time.Second
	// MaxResponse bounds how much of an answer is read.
	MaxResponse = 1 << 20
	// headerAuth carries the Bearer access token.
	headerAuth = "Authorization"
)

// Params are what one HMS-style vendor is.
type Params struct {
	// Vendor names the vendor in errors and results.
	Vendor vendors.Vendor
	// Batch is the token limit of one request.
	Batch int
	// SendURL is the full send URL; ContentType the send's content type.
	SendURL, ContentType string
	// TokenURLs are the OAuth token URLs, tried in order while the answer
	// is 404 (Honor has two paths).
	TokenURLs []string
	// ClientID and Secret are the OAuth client credentials.
	ClientID string
	Secret   []byte
	// Build encodes n for tokens at now.
	Build func(n vendors.Notification, tokens []string, now time.Time) ([]byte, error)
	// Parse turns an answer to a send to tokens into one Result per token.
	Parse Parser
	// Header, when set, adds the vendor's own headers to a send (Honor's
	// millisecond timestamp).
	Header func(h http.Header, now time.Time)
	// Mint, when set, makes the access token instead of the OAuth
	// exchange (HarmonyOS signs a JWT itself); TokenURLs, ClientID and
	// Secret are then unused.
	Mint func(ctx context.Context) (string, time.Duration, error)
	// ValidateField means Build carries Notification.ValidateOnly in the
	// body (Huawei's validate_only); without it (Honor has none
	// [vendor-protocols.md §8 Body]) a validate-only notification only
	// fetches the access token and sends nothing.
	ValidateField bool
}

// Client sends through one HMS-style vendor with one certificate. It is
// safe for concurrent use; its access token is shared by all senders. It
// implements vendors.Sender.
type Client struct {
	// Batch names the vendor and the token limit of one request.
	vendorhttp.Batch
	p      Params
	http   *http.Client
	tokens *tokencache.Cache
	// Now is the clock of payload TTLs, token expiry and headers; tests
	// replace it before the first send.
	Now func() time.Time
}

// NewClient returns the client of p sending with the HTTP client of ep.
func NewClient(p Params, ep vendors.Endpoint) *Client {
	c := &Client{p: p, http: vendorhttp.NewClient(p.Vendor, ep), Now: time.Now,
		Batch: vendorhttp.Batch{V: p.Vendor, Max: p.Batch}}
	source := c.fetchToken
	if p.Mint != nil {
		source = p.Mint
	}
	c.tokens = tokencache.New(source, RefreshMargin, func() time.Time { return c.Now() })
	return c
}

// URLs returns the send URL and the token URLs the client posts to (never
// its secret), for a test or an operator's check of auth_endpoint.
func (c *Client) URLs() (send string, token []string) {
	return c.p.SendURL, append([]string(nil), c.p.TokenURLs...)
}

// Send delivers n to tokens in one request and returns one Result per
// token. When the vendor refuses the access token, Send drops it, fetches
// a new one and resends exactly once.
func (c *Client) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	if len(tokens) == 0 {
		return nil
	}
	body, err := c.body(n, tokens)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	if n.ValidateOnly && !c.p.ValidateField {
		_, err := c.tokens.Token(ctx)
		return vendorhttp.Authenticated(tokens, err)
	}
	rs, tok := c.once(ctx, body, tokens)
	if tok == "" || !AuthFailed(rs) {
		return rs
	}
	c.tokens.Invalidate(tok)
	rs, _ = c.once(ctx, body, tokens)
	return rs
}

// once posts body with the cached access token and returns the results
// and the token used ("" when none could be had).
func (c *Client) once(ctx context.Context, body []byte, tokens []string) ([]vendors.Result, string) {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return vendors.Fail(tokens, err), ""
	}
	req, err := c.newRequest(ctx, body, tok)
	if err != nil {
		return vendors.Fail(tokens, err), tok
	}
	a, err := vendorhttp.Exchange(c.http, req, c.p.Vendor, MaxResponse, "")
	if err != nil {
		return vendors.Fail(tokens, err), tok
	}
	// The raw answer of the push request (never of the token exchange,
	// whose body is a credential), for a test push that asks for it.
	vendors.CaptureAnswer(req.Context(), a.Status, a.Header, a.Body)
	return c.p.Parse(a.Status, a.Header, a.Body, tokens, c.Now()), tok
}

// DryRun returns the request Send would make without fetching an access
// token: the Authorization header is shown redacted.
func (c *Client) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("%s: no tokens", c.p.Vendor)
	}
	body, err := c.body(n, tokens)
	if err != nil {
		return nil, err
	}
	req, err := c.newRequest(ctx, body, vendors.Redacted)
	if err != nil {
		return nil, err
	}
	return []vendors.Request{{Method: req.Method, URL: req.URL.String(),
		Header: vendors.HeaderMap(req.Header, headerAuth), Body: string(body)}}, nil
}

// body checks the batch size and encodes the message.
func (c *Client) body(n *vendors.Notification, tokens []string) ([]byte, error) {
	if err := c.TooMany(tokens); err != nil {
		return nil, err
	}
	return c.p.Build(*n, tokens, c.Now())
}

// newRequest builds the POST of a JSON body authorized by an OAuth access
// token, with the vendor's own headers.
func (c *Client) newRequest(ctx context.Context, body []byte, accessToken string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.p.SendURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", c.p.ContentType)
	req.Header.Set(headerAuth, "Bearer "+accessToken)
	if c.p.Header != nil {
		c.p.Header(req.Header, c.Now())
	}
	return req, nil
}

// AuthFailed reports a whole-request auth refusal (per-token results are
// never Auth).
func AuthFailed(rs []vendors.Result) bool {
	return len(rs) > 0 && rs[0].Kind() == vendors.Auth
}
