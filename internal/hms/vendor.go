package hms

import (
	"net/http"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Both OAuth vendors' send limits [vendor-protocols.md §4 Limits; §8,
// assumed like Huawei's, UNCERTAIN].
const (
	// MaxBodyBytes is the message body limit, tokens excluded.
	MaxBodyBytes = 4096
	// MaxBatch is the token limit of one request.
	MaxBatch = 1000
)

// Vendor is what one OAuth HMS vendor (Huawei, Honor) is apart from a
// certificate: its package's descriptor-level facts. Open completes it
// with a certificate into the vendor's Sender.
type Vendor struct {
	// Name names the vendor in errors and results.
	Name vendors.Vendor
	// ClientID and Secret name the certificate's OAuth client id (Huawei's
	// is the app id) and client secret; both and the app id are required.
	ClientID, Secret string
	// Check, when set, refuses a click action the vendor cannot open.
	Check func(vendors.Click) error
	// ContentType is the send's content type.
	ContentType string
	// Endpoints are the production hosts and the token path below a base
	// auth_endpoint.
	Endpoints vendors.Endpoints
	// SendPath is the path of the send URL of an app id, already escaped.
	SendPath func(appID string) string
	// TokenURLs, when set, are the token URLs to try for the one
	// auth_endpoint gives (Honor has two paths).
	TokenURLs func(tokenURL string) []string
	// Build encodes n for tokens at now with the certificate's Settings.
	Build func(n vendors.Notification, s Settings, tokens []string, now time.Time) ([]byte, error)
	// Parse, Header and ValidateField are as in Params.
	Parse         Parser
	Header        func(h http.Header, now time.Time)
	ValidateField bool
}

// Parser turns an answer to a send to tokens into one Result per token.
type Parser func(status int, h http.Header, body []byte, tokens []string, now time.Time) []vendors.Result

// Open returns the Client of v for cred, sending to ep.URL (or the
// production send host) and fetching tokens from ep.AuthURL (a full URL or
// a base, see vendors.Endpoints.AuthURL) with ep.Client. It refuses an
// incomplete certificate and a click action v cannot open.
func Open(v Vendor, cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := vendorhttp.Require(v.Name, cred, vendors.FieldAppID, v.ClientID, v.Secret); err != nil {
		return nil, err
	}
	set, err := SettingsOf(v.Name, cred, v.Check)
	if err != nil {
		return nil, err
	}
	tokenURLs := []string{v.Endpoints.AuthURL(ep.AuthURL)}
	if v.TokenURLs != nil {
		tokenURLs = v.TokenURLs(tokenURLs[0])
	}
	return NewClient(Params{
		Vendor: v.Name, Batch: MaxBatch, ContentType: v.ContentType,
		SendURL:   vendorhttp.Base(ep.URL, v.Endpoints.Send) + v.SendPath(set.AppID),
		TokenURLs: tokenURLs,
		ClientID:  cred.Field(v.ClientID), Secret: cred.Secret(v.Secret),
		Build: func(n vendors.Notification, tokens []string, now time.Time) ([]byte, error) {
			return v.Build(n, set, tokens, now)
		},
		Parse: v.Parse, Header: v.Header, ValidateField: v.ValidateField,
	}, ep), nil
}

// Describe completes d with what both OAuth vendors are: Android
// vendors with a launcher badge, whose shown notification the same notify
// id replaces, with their batch and payload limits, the production hosts
// of v and build as the Builder.
func Describe(d vendors.Descriptor, v Vendor, build vendors.Builder) vendors.Descriptor {
	d.Android, d.Badge, d.Replaces = true, true, true
	d.Limits, d.Batch = Limits(), MaxBatch
	d.Endpoints, d.Build = v.Endpoints, build
	return d
}

// Limits are both OAuth vendors' text and payload limits: 4096 bytes
// without the tokens (HWDOC; Honor's taken as Huawei's [§8, UNCERTAIN]);
// ext is JSON inside JSON, so it counts about twice.
func Limits() vendors.Limits { return vendors.Limits{Payload: MaxBodyBytes} }
