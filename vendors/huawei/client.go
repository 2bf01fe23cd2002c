// Package huawei delivers notifications through Huawei Push Kit's v1 send
// API: one JSON request per batch of up to 1000 tokens, authorized by an
// OAuth 2.0 access token cached per certificate (vendor-protocols.md §4).
// The client itself is internal/hms's, shared with Honor; this package
// gives its hosts, wire fields and result codes.
package huawei

import (
	"net/url"
	"time"

	"github.com/pushd/pushd/internal/hms"
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
	// maxBatch is the token limit of one request [§4 Limits].
	maxBatch = 1000
)

var (
	_ vendors.Builder = New
	_ vendors.Sender  = (*Sender)(nil)
)

// Sender sends through Huawei with one certificate. It is safe for
// concurrent use; its access token is shared by all senders.
type Sender struct {
	*hms.Client
	set settings
}

// New returns the Huawei Sender of cred. ep.URL replaces the send host,
// ep.AuthURL the OAuth token URL (a full URL or a base, see
// vendors.Endpoints.AuthURL), ep.Client the default HTTP client.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := vendorhttp.Require(vendors.Huawei, cred, vendors.FieldAppID, vendors.SecretAppSecret); err != nil {
		return nil, err
	}
	set, err := settingsOf(cred)
	if err != nil {
		return nil, err
	}
	s := &Sender{set: set}
	s.Client = hms.NewClient(hms.Params{
		Vendor: vendors.Huawei, Batch: maxBatch, ContentType: contentType,
		SendURL:   vendorhttp.Base(ep.URL, SendHost) + "/v1/" + url.PathEscape(set.AppID) + "/messages:send",
		TokenURLs: []string{endpoints().AuthURL(ep.AuthURL)},
		ClientID:  set.AppID, Secret: cred.Secret(vendors.SecretAppSecret),
		Build: s.build, Parse: parse, ValidateField: true,
	}, ep)
	return s, nil
}

// build encodes n for tokens at now.
func (s *Sender) build(n vendors.Notification, tokens []string, now time.Time) ([]byte, error) {
	return buildBody(n, s.set, tokens, now)
}

// parse reads one answer to a send to tokens.
func parse(a vendorhttp.Answer, tokens []string, now time.Time) []vendors.Result {
	return parseResponse(a.Status, a.Header, a.Body, tokens, now)
}
