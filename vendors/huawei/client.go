// Package huawei delivers notifications through Huawei Push Kit's v1 send
// API: one JSON request per batch of up to 1000 tokens, authorized by an
// OAuth 2.0 access token cached per certificate (vendor-protocols.md §4).
// The client itself is internal/hms's, shared with Honor; this package
// gives its hosts, wire fields and result codes.
package huawei

import (
	"net/url"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// Production hosts [vendor-protocols.md §4 Auth and Send].
const (
	SendHost = "https://push-api.cloud.huawei.com"
	AuthHost = "https://oauth-login.cloud.huawei.com"
)

// contentType is the send's content type [§4 Send].
const contentType = "application/json;charset=UTF-8"

var _ vendors.Builder = New

// Sender sends through Huawei with one certificate: internal/hms's
// client. It is safe for concurrent use; its access token is shared by all
// senders.
type Sender = hms.Client

// New returns the Huawei Sender of cred. ep.URL replaces the send host,
// ep.AuthURL the OAuth token URL (a full URL or a base, see
// vendors.Endpoints.AuthURL), ep.Client the default HTTP client.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	return hms.Open(vendor(), cred, ep)
}

// vendor is Huawei for internal/hms: the app id is the OAuth client id,
// click URLs must be https:// and validate_only is a body field.
func vendor() hms.Vendor {
	return hms.Vendor{
		Name: vendors.Huawei, ClientID: vendors.FieldAppID, Secret: vendors.SecretAppSecret, Check: httpsOnly,
		Endpoints:   vendors.Endpoints{Send: SendHost, Auth: AuthHost, AuthPath: tokenPath},
		SendPath:    func(app string) string { return "/v1/" + url.PathEscape(app) + "/messages:send" },
		ContentType: contentType, ValidateField: true, Build: buildBody, Parse: parseResponse,
	}
}
