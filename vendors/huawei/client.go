// Package huawei delivers notifications through Huawei Push Kit's v1 send
// API: one JSON request per batch of up to 1000 tokens, authorized by an
// OAuth 2.0 access token cached per certificate (vendor-protocols.md §4).
package huawei

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/internal/tokencache"
	"github.com/pushd/pushd/internal/vendorhttp"
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
	sender  hms.Sender
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
		sendURL: vendorhttp.Base(ep.URL, SendHost) + "/v1/" + url.PathEscape(set.AppID) + "/messages:send",
		authURL: vendorhttp.Base(ep.AuthURL, AuthHost) + tokenPath,
		secret:  cred.Secret(vendors.SecretAppSecret),
		set:     set, http: vendorhttp.NewClient(vendors.Huawei, ep), now: time.Now,
	}
	c.tokens = tokencache.New(c.fetchToken, refreshMargin, func() time.Time { return c.now() })
	c.sender = hms.Sender{ID: vendors.Huawei, Name: "huawei", Batch: maxBatch, Limit: maxResponse,
		HTTP: c.http, Tokens: c.tokens, Build: c.build, NewRequest: c.newRequest, Parse: c.parse}
	return c, nil
}

// Vendor returns vendors.Huawei.
func (c *Client) Vendor() vendors.Vendor { return vendors.Huawei }

// MaxBatch returns 1000, Huawei's token limit per request.
func (c *Client) MaxBatch() int { return maxBatch }

// Send delivers n to tokens in one request and returns one Result per
// token. When Huawei refuses the access token, Send drops it, fetches a
// new one and resends exactly once.
func (c *Client) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	return c.sender.Send(ctx, n, tokens)
}

// DryRun returns the request Send would make, without fetching an access
// token: the Authorization header is shown redacted.
func (c *Client) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	return c.sender.DryRun(ctx, n, tokens, headerAuth)
}

// build encodes n for tokens at the client's current time.
func (c *Client) build(n *vendors.Notification, tokens []string) ([]byte, error) {
	return buildBody(*n, c.set, tokens, c.now())
}

// parse reads one answer to a send to tokens.
func (c *Client) parse(a vendorhttp.Answer, tokens []string) []vendors.Result {
	return parseResponse(a.Status, a.Header, a.Body, tokens, c.now())
}

// newRequest sets the JSON content type and the Bearer token.
func (c *Client) newRequest(ctx context.Context, body []byte, accessToken string) (*http.Request, error) {
	return hms.BearerPost(ctx, c.sendURL, contentType, body, accessToken)
}
