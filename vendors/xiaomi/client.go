// Package xiaomi delivers notifications through Xiaomi Mi Push's
// /v3/message/regid API: one form-encoded request per batch of up to 1000
// registration ids, authorized by the certificate's AppSecret
// (vendor-protocols.md §3).
package xiaomi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Production hosts by certificate region [vendor-protocols.md §3 Hosts].
const (
	HostChina  = "https://api.xmpush.xiaomi.com"
	HostGlobal = "https://api.xmpush.global.xiaomi.com"
)

const (
	sendPath    = "/v3/message/regid"
	contentType = "application/x-www-form-urlencoded;charset=UTF-8"
	// maxBatch is the SDK's registration_id limit [§3, OFFICIAL SDK Sender].
	maxBatch = 1000
	// maxResponse bounds how much of an answer is read.
	maxResponse = 1 << 20
)

// The certificate regions.
const (
	RegionChina  = "cn"
	RegionGlobal = "global"
)

var (
	_ vendors.Builder = New
	_ vendors.Sender  = (*Sender)(nil)
)

// Sender sends through Xiaomi with one certificate. It is safe for
// concurrent use.
type Sender struct {
	sendURL string
	secret  []byte
	set     settings
	http    *http.Client
	now     func() time.Time
	// ChannelCounter counts sends without a channel_id (MissingChannel,
	// OnMissingChannel): Xiaomi's default channel allows about one
	// message per device a day [vendor-protocols.md §3 extra.channel_id],
	// so the app reports a warning metric, as for OPPO.
	vendorhttp.ChannelCounter
	// Batch names Xiaomi and its registration_id limit.
	vendorhttp.Batch
}

// New returns the Xiaomi Sender of cred. ep.URL replaces the region's
// production host; ep.Client replaces the default HTTP client.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := vendorhttp.Require(vendors.Xiaomi, cred, vendors.FieldPackage, vendors.SecretAppSecret); err != nil {
		return nil, err
	}
	set, err := settingsOf(cred)
	if err != nil {
		return nil, err
	}
	host, err := hostOf(cred, ep.URL)
	if err != nil {
		return nil, err
	}
	c := &Sender{sendURL: host + sendPath, secret: cred.Secret(vendors.SecretAppSecret),
		set: set, http: vendorhttp.NewClient(vendors.Xiaomi, ep), now: time.Now,
		Batch: vendorhttp.Batch{V: vendors.Xiaomi, Max: maxBatch}}
	return c, nil
}

// hostOf picks the send host: the endpoint override, else the region's.
func hostOf(cred *vendors.Credential, override string) (string, error) {
	region := cred.Field(vendors.FieldRegion)
	if region != "" && region != RegionChina && region != RegionGlobal {
		return "", fmt.Errorf("xiaomi certificate %d: region %q (want cn or global)", cred.ID, region)
	}
	switch {
	case override != "":
		return strings.TrimRight(override, "/"), nil
	case region == RegionGlobal:
		return HostGlobal, nil
	}
	return HostChina, nil
}

// Send delivers n to tokens in one request and returns one Result per token.
func (c *Sender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	if len(tokens) == 0 {
		return nil
	}
	req, err := c.newRequest(ctx, n, tokens)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	if n.ValidateOnly {
		return vendorhttp.ValidateUnsupported(vendors.Xiaomi, tokens)
	}
	if channelID(n, c.set) == "" {
		c.Count(len(tokens))
	}
	a, err := vendorhttp.Exchange(c.http, req, vendors.Xiaomi, maxResponse, "")
	vendors.CaptureAnswer(req.Context(), a.Status, a.Header, a.Body)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	return parseResponse(a.Status, a.Header, a.Body, tokens, c.now())
}

// DryRun returns the request Send would make, with the AppSecret redacted.
func (c *Sender) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("xiaomi: no tokens")
	}
	req, err := c.newRequest(ctx, n, tokens)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	return []vendors.Request{{Method: req.Method, URL: req.URL.String(),
		Header: vendors.HeaderMap(req.Header, headerAuth), Body: string(body)}}, nil
}

// newRequest builds the authorized POST of n to tokens.
func (c *Sender) newRequest(ctx context.Context, n *vendors.Notification, tokens []string) (*http.Request, error) {
	if err := c.TooMany(tokens); err != nil {
		return nil, err
	}
	form := buildForm(*n, c.set, tokens, c.now())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sendURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	authorize(req, c.secret)
	return req, nil
}
