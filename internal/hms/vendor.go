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
// id replaces, with their batch and payload limits, and with v's name,
// production hosts and the certificate fields Open requires (before d's
// own Fields); build is the Builder.
func Describe(d vendors.Descriptor, v Vendor, build vendors.Builder) vendors.Descriptor {
	d.Name, d.Fields = v.Name, append(credentialFields(v), d.Fields...)
	// Both have a data message (message.data without a notification;
	// Honor's "透传消息体" {"data": …}) for id_only pushes.
	d.Android, d.Badge, d.Replaces, d.DataPush = true, true, true, true
	d.Limits, d.Batch = Limits(), MaxBatch
	d.Endpoints, d.Build = v.Endpoints, build
	return d
}

// Limits are both OAuth vendors' text and payload limits: 4096 bytes
// without the tokens (HWDOC; Honor's taken as Huawei's [§8, UNCERTAIN]);
// ext is JSON inside JSON, so it counts about twice.
func Limits() vendors.Limits { return vendors.Limits{Payload: MaxBodyBytes} }

// BadgeClassField is the certificate's launcher Activity class, which both
// vendors' badge names [vendor-protocols.md §4 Badge, §8].
func BadgeClassField() vendors.FieldSpec {
	return vendors.FieldSpec{Name: vendors.FieldBadgeClass, Help: "launcher Activity class for the badge"}
}

// ImportanceField is the certificate's default notification importance,
// LOW or NORMAL on both vendors [§4 android.notification, §8].
func ImportanceField() vendors.FieldSpec {
	return vendors.FieldSpec{Name: vendors.FieldImportance, Help: "LOW or NORMAL", OneOf: []string{"LOW", "NORMAL"}}
}

// credentialFields are the fields Open requires: the app id, the OAuth
// client id when it is not the app id (Huawei's is, Honor's is not), and
// the client secret.
func credentialFields(v Vendor) []vendors.FieldSpec {
	if v.ClientID == vendors.FieldAppID {
		return []vendors.FieldSpec{
			{Name: vendors.FieldAppID, Required: true, Help: "AppID (OAuth client id)"},
			{Name: v.Secret, Secret: true, Required: true, Help: "AppSecret (OAuth client secret)"},
		}
	}
	return []vendors.FieldSpec{
		{Name: vendors.FieldAppID, Required: true, Help: "AppID"},
		{Name: v.ClientID, Required: true, Help: "OAuth client id"},
		{Name: v.Secret, Secret: true, Required: true, Help: "OAuth client secret"},
	}
}
