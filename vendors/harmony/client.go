// Package harmony delivers notifications to HarmonyOS NEXT (5.x) devices
// through Huawei Push Kit's v3 "scenario-specific messages" API: one JSON
// request per batch of up to 1000 tokens, authorized by a service-account
// JWT signed PS256 and reused for an hour (vendor-protocols-harmony.md).
package harmony

import (
	"bytes"
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

// SendHost is the production host [§0 Send URL; HWSTRUCT].
const SendHost = "https://push-api.cloud.huawei.com"

const (
	contentType = "application/json"
	headerAuth  = "Authorization"
	// headerPushType names the message type of the body [§0; HWSTRUCT].
	headerPushType = "push-type"
	// maxBatch is the token limit of one request, and maxTestBatch that of
	// a test message [§0 Tokens; 80300010, 80300030].
	maxBatch     = 1000
	maxTestBatch = 10
	// maxResponse bounds how much of an answer is read.
	maxResponse = 1 << 20
)

var (
	_ vendors.Builder = New
	_ vendors.Sender  = (*Client)(nil)
)

// Client sends through Push Kit with one certificate. It is safe for
// concurrent use; its JWT is shared by all senders.
type Client struct {
	sendURL string
	set     settings
	http    *http.Client
	now     func() time.Time
	signer  *signer
	tokens  *tokencache.Cache
	sender  hms.Sender
}

// New returns the HarmonyOS Sender of cred. ep.URL replaces the send host
// and ep.Client the default HTTP client; there is no auth host, the JWT
// is signed locally.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if cred == nil {
		return nil, fmt.Errorf("harmony: nil credential")
	}
	if err := cred.Require(vendors.FieldProjectID, vendors.FieldKeyID, FieldSubAccount, SecretPrivateKey); err != nil {
		return nil, err
	}
	if err := checkCredential(cred.Fields, cred.Secrets); err != nil {
		return nil, fmt.Errorf("harmony certificate %d: %w", cred.ID, err)
	}
	key, _ := parseKey(cred.Secret(SecretPrivateKey), cred.Fields)
	set, err := settingsOf(cred)
	if err != nil {
		return nil, err
	}
	c := &Client{
		sendURL: vendorhttp.Base(ep.URL, SendHost) + "/v3/" + url.PathEscape(set.ProjectID) + "/messages:send",
		set:     set, http: vendorhttp.NewClient(Harmony, ep), now: time.Now,
	}
	c.signer = &signer{key: key, kid: cred.Field(vendors.FieldKeyID), iss: cred.Field(FieldSubAccount),
		now: func() time.Time { return c.now() }}
	c.tokens = tokencache.New(c.signer.mint, refreshMargin, func() time.Time { return c.now() })
	c.sender = hms.Sender{ID: Harmony, Name: "harmony", Batch: c.MaxBatch(), Limit: maxResponse,
		HTTP: c.http, Tokens: c.tokens, Build: c.build, NewRequest: c.newRequest, Parse: c.parse}
	return c, nil
}

// Vendor returns Harmony.
func (c *Client) Vendor() vendors.Vendor { return Harmony }

// MaxBatch returns 1000, or 10 for a development certificate, whose
// messages are test messages.
func (c *Client) MaxBatch() int {
	if c.set.Test {
		return maxTestBatch
	}
	return maxBatch
}

// Send delivers n to tokens in one request and returns one Result per
// token. When Push Kit refuses the JWT, Send mints a new one and resends
// exactly once.
func (c *Client) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	return c.sender.Send(ctx, n, tokens)
}

// DryRun returns the request Send would make, without signing a JWT: the
// Authorization header is shown redacted.
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

// newRequest sets the content type, the JWT and the push-type.
func (c *Client) newRequest(ctx context.Context, body []byte, jwt string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sendURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(headerAuth, bearer(jwt))
	req.Header.Set(headerPushType, pushTypeAlert)
	return req, nil
}
