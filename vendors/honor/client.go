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
)

var _ vendors.Builder = New

// Sender sends through Honor with one certificate: internal/hms's client.
// It is safe for concurrent use; its access token is shared by all sends.
type Sender = hms.Client

// New returns the Honor Sender of cred. ep.URL replaces the send host,
// ep.AuthURL the OAuth token URL (a full URL or a base, see
// vendors.Endpoints.AuthURL), ep.Client the default HTTP client.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	return hms.Open(vendor(), cred, ep)
}

// vendor is Honor for internal/hms: OAuth client id and secret of their
// own, two token paths, a timestamp header and no validation mode (a
// validate-only notification only fetches the access token [§8 Body]).
func vendor() hms.Vendor {
	return hms.Vendor{Name: vendors.Honor, ContentType: contentType,
		ClientID: vendors.FieldClientID, Secret: vendors.SecretClientSecret, TokenURLs: tokenURLs, Header: timestamp,
		Endpoints: vendors.Endpoints{Send: SendHost, Auth: AuthHost, AuthPath: tokenPath},
		SendPath:  func(app string) string { return "/api/v1/" + url.PathEscape(app) + "/sendMessage" },
		Build:     buildBody, Parse: parseResponse}
}

// tokenURLs is the realm token URL and, when it ends in the realm path,
// the short path on the same host, asked when the realm path answers 404.
func tokenURLs(realm string) []string {
	if base, ok := strings.CutSuffix(realm, tokenPath); ok {
		return []string{realm, base + shortTokenPath}
	}
	return []string{realm}
}

// timestamp sets the current time in milliseconds, which Honor requires.
// Honor's header is lower-case "timestamp"; Go canonicalizes it, and HTTP
// header names are case-insensitive.
func timestamp(h http.Header, now time.Time) {
	h.Set(headerTimestamp, strconv.FormatInt(now.UnixMilli(), 10))
}
