// Package honor delivers notifications through Honor Push's sendMessage
// API: one JSON request per batch of up to 1000 tokens, authorized by an
// OAuth 2.0 access token cached per certificate and a millisecond
// timestamp header (vendor-protocols.md §8). The client itself is
// internal/hms's, shared with Huawei; this package gives its hosts, token
// paths, header, wire fields and result codes.
package honor

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Production hosts [vendor-protocols.md §8 Auth and Send].
const (
	SendHost = "https://push-api.cloud.hihonor.com"
	AuthHost = "https://iam.developer.hihonor.com"
)

const (
	contentType     = "application/json; charset=UTF-8"
	headerTimestamp = "timestamp"
	// maxBatch is the token limit of one request [§8, assumed ≤1000 like
	// Huawei's, UNCERTAIN].
	maxBatch = 1000
)

var (
	_ vendors.Builder = New
	_ vendors.Sender  = (*Sender)(nil)
)

// Sender sends through Honor with one certificate. It is safe for
// concurrent use; its access token is shared by all senders.
type Sender struct {
	*hms.Client
	set settings
}

// New returns the Honor Sender of cred. ep.URL replaces the send host,
// ep.AuthURL the OAuth token URL (a full URL or a base, see
// vendors.Endpoints.AuthURL), ep.Client the default HTTP client.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := vendorhttp.Require(vendors.Honor, cred, vendors.FieldAppID, vendors.FieldClientID, vendors.SecretClientSecret); err != nil {
		return nil, err
	}
	set, err := settingsOf(cred)
	if err != nil {
		return nil, err
	}
	s := &Sender{set: set}
	s.Client = hms.NewClient(hms.Params{
		Vendor: vendors.Honor, Batch: maxBatch, ContentType: contentType,
		SendURL:   vendorhttp.Base(ep.URL, SendHost) + "/api/v1/" + url.PathEscape(set.AppID) + "/sendMessage",
		TokenURLs: tokenURLs(endpoints().AuthURL(ep.AuthURL)),
		ClientID:  cred.Field(vendors.FieldClientID), Secret: cred.Secret(vendors.SecretClientSecret),
		Build: s.build, Parse: parse, Header: timestamp,
	}, ep)
	return s, nil
}

// tokenURLs is the realm token URL and, when it ends in the realm path,
// the short path on the same host, asked when the realm path answers 404.
func tokenURLs(realm string) []string {
	if base, ok := strings.CutSuffix(realm, tokenPath); ok {
		return []string{realm, base + shortTokenPath}
	}
	return []string{realm}
}

// build encodes n for tokens at now.
func (s *Sender) build(n vendors.Notification, tokens []string, now time.Time) ([]byte, error) {
	return buildBody(n, s.set, tokens, now)
}

// parse reads one answer to a send to tokens.
func parse(a vendorhttp.Answer, tokens []string, now time.Time) []vendors.Result {
	return parseResponse(a.Status, a.Header, a.Body, tokens, now)
}

// timestamp sets the current time in milliseconds, which Honor requires.
// Honor's header is lower-case "timestamp"; Go canonicalizes it, and HTTP
// header names are case-insensitive.
func timestamp(h http.Header, now time.Time) {
	h.Set(headerTimestamp, strconv.FormatInt(now.UnixMilli(), 10))
}
