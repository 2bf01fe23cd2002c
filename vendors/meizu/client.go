// Package meizu delivers notifications through Meizu Flyme Push: a
// form-encoded pushByPushId request for up to 100 pushIds, signed with the
// app secret on every request (vendor-protocols.md §7).
package meizu

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// DefaultURL is Meizu's push API host as the official server SDK calls it.
// Meizu documents it over plain HTTP; whether it serves HTTPS is not
// documented, so an operator who has checked sets vendors.meizu.endpoint to
// https://server-api-push.meizu.com. The sign protects the secret either way.
const DefaultURL = "http://server-api-push.meizu.com"

// MaxBatch is pushByPushId's limit of pushIds per request.
const MaxBatch = 100

const (
	formContentType = "application/x-www-form-urlencoded;charset=UTF-8"
	maxAnswer       = 4 << 20
)

// Sender sends through Meizu Push with one certificate. It holds no token:
// each request is signed. It is safe for concurrent use.
type Sender struct {
	appSecret []byte
	st        settings
	sendURL   string
	client    *http.Client
	// now is the clock used for validity and quota resets.
	now func() time.Time
	// Batch names Meizu and pushByPushId's limit.
	vendorhttp.Batch
}

var (
	_ vendors.Sender  = (*Sender)(nil)
	_ vendors.Builder = New
)

// New builds the Meizu Sender of cred (app_id, app_secret, package).
// ep.URL replaces DefaultURL and ep.Client the HTTP client; Meizu has no
// auth endpoint, so ep.AuthURL is unused.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := vendorhttp.Require(vendors.Meizu, cred, vendors.FieldAppID, vendors.SecretAppSecret, vendors.FieldPackage); err != nil {
		return nil, err
	}
	click, err := cred.Click.Normalize()
	if err != nil {
		return nil, fmt.Errorf("meizu certificate %d: %w", cred.ID, err)
	}
	s := &Sender{
		appSecret: cred.Secret(vendors.SecretAppSecret),
		st:        settings{AppID: cred.Field(vendors.FieldAppID), Click: click},
		sendURL:   vendorhttp.Base(ep.URL, DefaultURL),
		client:    vendorhttp.NewClient(vendors.Meizu, ep),
		now:       time.Now,
		Batch:     vendorhttp.Batch{V: vendors.Meizu, Max: MaxBatch},
	}
	return s, nil
}

// Send delivers n to up to 100 pushIds in one signed request.
func (s *Sender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	if len(tokens) == 0 {
		return nil
	}
	form, err := s.form(n, tokens)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	if n.ValidateOnly {
		return vendorhttp.ValidateUnsupported(vendors.Meizu, tokens)
	}
	rep, err := s.post(ctx, form)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	return parse(rep.status, rep.body, rep.retryAfter, tokens, s.now())
}

// DryRun returns the signed request Send would make. The sign is shown: it
// is a digest of this request, valid for nothing else; the secret is not.
func (s *Sender) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("meizu: no tokens")
	}
	form, err := s.form(n, tokens)
	if err != nil {
		return nil, err
	}
	return []vendors.Request{{Method: http.MethodPost, URL: s.sendURL + pushByPushIDPath,
		Header: map[string]string{"Content-Type": formContentType}, Body: form.Encode()}}, nil
}

// form builds and signs the request for tokens.
func (s *Sender) form(n *vendors.Notification, tokens []string) (url.Values, error) {
	if err := s.TooMany(tokens); err != nil {
		return nil, err
	}
	form, err := buildParams(n, s.st, tokens, s.now())
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.Meizu, Kind: vendors.Rejected, Message: err.Error()}
	}
	form.Set("sign", sign(form, s.appSecret))
	return form, nil
}

// reply is a raw vendor answer.
type reply struct {
	status     int
	body       []byte
	retryAfter time.Duration
}

// post sends the form and reads the answer whatever its status: Meizu puts
// its code in the body.
func (s *Sender) post(ctx context.Context, form url.Values) (*reply, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, s.sendURL+pushByPushIDPath, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.Meizu, Kind: vendors.Rejected, Message: err.Error()}
	}
	hr.Header.Set("Content-Type", formContentType)
	a, err := vendorhttp.Exchange(s.client, hr, vendors.Meizu, maxAnswer, "")
	vendors.CaptureAnswer(hr.Context(), a.Status, a.Header, a.Body)
	if err != nil {
		return nil, err
	}
	return &reply{status: a.Status, body: a.Body, retryAfter: vendorhttp.RetryAfter(a.Header, s.now(), 0)}, nil
}
