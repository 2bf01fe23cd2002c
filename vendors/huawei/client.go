// Package huawei delivers notifications through Huawei Push Kit's v1 send
// API: one JSON request per batch of up to 1000 tokens, authorized by an
// OAuth 2.0 access token cached per certificate (vendor-protocols.md §4).
package huawei

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/tokencache"
	"github.com/pushd/pushd/vendors"
)

// Production hosts [vendor-protocols.md §4 Auth and Send].
const (
	SendHost = "https://push-api.cloud.huawei.com"
	AuthHost = "https://oauth-login.cloud.huawei.com"
)

const (
	contentType = "application/json;charset=UTF-8"
	headerAuth  = "Authorization"
	// maxBatch is the token limit of one request [§4 Limits].
	maxBatch = 1000
	// maxResponse bounds how much of an answer is read.
	maxResponse = 1 << 20
)

var _ vendors.Builder = New

// Client sends through Huawei with one certificate. It is safe for
// concurrent use; its access token is shared by all senders.
type Client struct {
	sendURL string
	authURL string
	secret  []byte
	set     settings
	http    *http.Client
	now     func() time.Time
	tokens  *tokencache.Cache
}

// New returns the Huawei Sender of cred. ep.URL replaces the send host,
// ep.AuthURL the OAuth host, ep.Client the default HTTP client.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if cred == nil {
		return nil, fmt.Errorf("huawei: nil credential")
	}
	if err := cred.Require(vendors.FieldAppID, vendors.SecretAppSecret); err != nil {
		return nil, err
	}
	set, err := settingsOf(cred)
	if err != nil {
		return nil, err
	}
	c := &Client{
		sendURL: base(ep.URL, SendHost) + "/v1/" + url.PathEscape(set.AppID) + "/messages:send",
		authURL: base(ep.AuthURL, AuthHost) + tokenPath,
		secret:  cred.Secret(vendors.SecretAppSecret),
		set:     set, http: ep.Client, now: time.Now,
	}
	if c.http == nil {
		c.http = defaultClient()
	}
	c.tokens = tokencache.New(c.fetchToken, refreshMargin, func() time.Time { return c.now() })
	return c, nil
}

func base(override, def string) string {
	if override != "" {
		return strings.TrimRight(override, "/")
	}
	return def
}

// defaultClient bounds every phase of a request so a stuck vendor cannot
// hold a worker.
func defaultClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   16,
		},
	}
}

// Vendor returns vendors.Huawei.
func (c *Client) Vendor() vendors.Vendor { return vendors.Huawei }

// MaxBatch returns 1000, Huawei's token limit per request.
func (c *Client) MaxBatch() int { return maxBatch }

// Send delivers n to tokens in one request and returns one Result per
// token. When Huawei refuses the access token, Send drops it, fetches a
// new one and resends exactly once.
func (c *Client) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	if len(tokens) == 0 {
		return nil
	}
	body, err := c.body(n, tokens)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	rs, tok := c.sendWithToken(ctx, body, tokens)
	if tok == "" || !authFailed(rs) {
		return rs
	}
	c.tokens.Invalidate(tok)
	rs, _ = c.sendWithToken(ctx, body, tokens)
	return rs
}

// sendWithToken posts body with the cached access token and returns the
// results and the token used ("" when none could be had).
func (c *Client) sendWithToken(ctx context.Context, body []byte, tokens []string) ([]vendors.Result, string) {
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return vendors.Fail(tokens, err), ""
	}
	req, err := c.newRequest(ctx, body, tok)
	if err != nil {
		return vendors.Fail(tokens, err), tok
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return vendors.Fail(tokens, &vendors.Error{Vendor: vendors.Huawei, Kind: vendors.Retryable,
			Message: err.Error()}), tok
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return vendors.Fail(tokens, &vendors.Error{Vendor: vendors.Huawei, Kind: vendors.Retryable,
			Status: resp.StatusCode, Message: "reading the answer: " + err.Error()}), tok
	}
	return parseResponse(resp.StatusCode, resp.Header, answer, tokens, c.now()), tok
}

// authFailed reports a whole-request auth refusal (per-token results are
// never Auth).
func authFailed(rs []vendors.Result) bool {
	return len(rs) > 0 && rs[0].Kind() == vendors.Auth
}

// DryRun returns the request Send would make, without fetching an access
// token: the Authorization header is shown redacted.
func (c *Client) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("huawei: no tokens")
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
	if len(tokens) > maxBatch {
		return nil, &vendors.Error{Vendor: vendors.Huawei, Kind: vendors.Rejected,
			Message: fmt.Sprintf("%d tokens exceed the batch limit of %d", len(tokens), maxBatch)}
	}
	return buildBody(*n, c.set, tokens, c.now())
}

func (c *Client) newRequest(ctx context.Context, body []byte, accessToken string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sendURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(headerAuth, "Bearer "+accessToken)
	return req, nil
}
