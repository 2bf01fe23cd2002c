// Package harmony delivers notifications to HarmonyOS NEXT (5.x) devices
// through Huawei Push Kit's v3 "scenario-specific messages" API: one JSON
// request per batch of up to 1000 tokens, authorized by a service-account
// JWT signed PS256 and reused for an hour (vendor-protocols-harmony.md).
package harmony

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/pushd/pushd/internal/hms"
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
	_ vendors.Sender  = (*Sender)(nil)
)

// Sender sends through Push Kit with one certificate: the HMS-style
// client of internal/hms with a JWT signed here instead of an OAuth
// exchange. It is safe for concurrent use; its JWT is shared by all sends.
type Sender struct {
	*hms.Client
	set    settings
	signer *signer
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
	s := &Sender{set: set}
	s.signer = &signer{key: key, kid: cred.Field(vendors.FieldKeyID), iss: cred.Field(FieldSubAccount),
		now: func() time.Time { return s.Now() }}
	batch := maxBatch
	if set.Test {
		batch = maxTestBatch
	}
	s.Client = hms.NewClient(hms.Params{
		Vendor: Harmony, Batch: batch, ContentType: contentType,
		SendURL: vendorhttp.Base(ep.URL, SendHost) + "/v3/" + url.PathEscape(set.ProjectID) + "/messages:send",
		Build: func(n vendors.Notification, tokens []string, now time.Time) ([]byte, error) {
			return buildBody(n, set, tokens, now)
		},
		Parse:  parseResponse,
		Header: func(h http.Header, _ time.Time) { h.Set(headerPushType, pushTypeAlert) },
		Mint:   s.signer.mint,
	}, ep)
	return s, nil
}

// sendURL is the URL the sender posts to.
func (s *Sender) sendURL() string {
	u, _ := s.URLs()
	return u
}
