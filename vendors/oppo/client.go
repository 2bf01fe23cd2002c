// Package oppo delivers notifications through OPPO Push (OPUSH / HeyTap):
// a signed auth call for a 24-hour auth_token, then form-encoded unicast and
// unicast_batch requests (vendor-protocols.md §5).
package oppo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/tokencache"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// DefaultURL is OPPO's China push host (OPPODOC). Overseas apps point
// vendors.oppo.endpoint at https://api-intl.push.oppomobile.com instead.
const DefaultURL = "https://api.push.oppomobile.com"

// MaxBatch is unicast_batch's limit of messages per request (OPPODOC).
const MaxBatch = 1000

const (
	formContentType = "application/x-www-form-urlencoded; charset=UTF-8"
	// maxAnswer bounds how much of an answer is read: OPPO's largest, a
	// 1000-item batch result, is far below it.
	maxAnswer = 4 << 20
)

// Sender sends through OPPO Push with one certificate. It is safe for
// concurrent use; all sends share one cached auth_token.
type Sender struct {
	appKey       string
	masterSecret []byte
	st           settings
	sendURL      string
	authURL      string
	client       *http.Client
	// now is the clock used for signatures, TTLs and quota resets.
	now    func() time.Time
	tokens *tokencache.Cache

	// ChannelCounter counts sends without a channel_id (MissingChannel,
	// OnMissingChannel): OPPO accepts them, but Android 8+ devices may not
	// show the notification, so the app reports a warning metric.
	vendorhttp.ChannelCounter
	// Batch names OPPO and unicast_batch's limit.
	vendorhttp.Batch
}

var (
	_ vendors.Sender  = (*Sender)(nil)
	_ vendors.Builder = New
)

// New builds the OPPO Sender of cred (app_key, master_secret, optional
// channel_id). ep.URL replaces DefaultURL, ep.AuthURL the auth host (default:
// the send host), ep.Client the HTTP client.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := vendorhttp.Require(vendors.OPPO, cred, vendors.FieldAppKey, vendors.SecretMasterSecret); err != nil {
		return nil, err
	}
	click, err := cred.Click.Normalize()
	if err != nil {
		return nil, fmt.Errorf("oppo certificate %d: %w", cred.ID, err)
	}
	s := &Sender{
		appKey:       cred.Field(vendors.FieldAppKey),
		masterSecret: cred.Secret(vendors.SecretMasterSecret),
		st:           settings{Click: click, ChannelID: cred.Field(vendors.FieldChannelID)},
		sendURL:      vendorhttp.Base(ep.URL, DefaultURL),
		client:       vendorhttp.NewClient(vendors.OPPO, ep),
		now:          time.Now,
		Batch:        vendorhttp.Batch{V: vendors.OPPO, Max: MaxBatch},
	}
	s.authURL = vendorhttp.AuthURL(endpoints(), ep.AuthURL, s.sendURL)
	s.tokens = tokencache.New(s.fetchToken, tokenMargin, func() time.Time { return s.now() })
	return s, nil
}

// Send delivers n to tokens: unicast for one token, unicast_batch for more.
func (s *Sender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	if rs, refused := s.Refused(tokens); refused {
		return rs
	}
	req, err := build(n, s.st, tokens, s.now())
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	if n.ValidateOnly {
		// OPPO has no validation mode: authenticate only [vendor-protocols.md §5].
		_, err := s.tokens.Token(ctx)
		return vendorhttp.Authenticated(tokens, err)
	}
	if req.MissingChannel {
		s.Count(len(tokens))
	}
	rep, err := s.call(ctx, req)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	if len(tokens) == 1 {
		return []vendors.Result{parseUnicast(rep.status, rep.body, rep.retryAfter, tokens[0], s.now())}
	}
	return parseBatch(rep.status, rep.body, rep.retryAfter, tokens, s.now())
}

// DryRun returns the request Send would make, with the auth_token redacted.
// It makes no network call, not even for a token.
func (s *Sender) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	if err := s.Sized(tokens); err != nil {
		return nil, err
	}
	req, err := build(n, s.st, tokens, s.now())
	if err != nil {
		return nil, err
	}
	return []vendors.Request{{
		Method: http.MethodPost,
		URL:    s.sendURL + req.Path,
		Header: map[string]string{"Content-Type": formContentType},
		Body:   "auth_token=" + vendors.Redacted + "&" + req.Form.Encode(),
	}}, nil
}

// reply is a raw vendor answer.
type reply struct {
	status     int
	body       []byte
	retryAfter time.Duration
	// code is the top-level "code", "" when the body had none.
	code code
}

// call posts req with the cached auth_token. An auth-class answer (11, 29)
// drops that token and resends once with a fresh one; a second auth answer
// is returned for classification.
func (s *Sender) call(ctx context.Context, req request) (*reply, error) {
	rep, tok, err := s.attempt(ctx, req)
	if err != nil || !isAuth(rep.code) {
		return rep, err
	}
	s.tokens.Invalidate(tok)
	rep, _, err = s.attempt(ctx, req)
	return rep, err
}

func (s *Sender) attempt(ctx context.Context, req request) (*reply, string, error) {
	tok, err := s.tokens.Token(ctx)
	if err != nil {
		return nil, "", err
	}
	body := "auth_token=" + url.QueryEscape(tok) + "&" + req.Form.Encode()
	rep, err := s.post(ctx, s.sendURL+req.Path, body)
	return rep, tok, err
}

// post sends one form and reads the answer, whatever its status: OPPO puts
// its code in the body even on errors.
func (s *Sender) post(ctx context.Context, u, form string) (*reply, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form))
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.OPPO, Kind: vendors.Rejected, Message: err.Error()}
	}
	hr.Header.Set("Content-Type", formContentType)
	a, err := vendorhttp.Exchange(s.client, hr, vendors.OPPO, maxAnswer, "")
	vendors.CaptureAnswer(hr.Context(), a.Status, a.Header, a.Body)
	if err != nil {
		return nil, err
	}
	rep := &reply{status: a.Status, body: a.Body, retryAfter: vendorhttp.RetryAfter(a.Header, s.now(), 0)}
	rep.code = topCode(a.Body)
	return rep, nil
}

// topCode reads the top-level code of an answer, "" when there is none.
func topCode(body []byte) code {
	var r struct {
		Code code `json:"code"`
	}
	if json.Unmarshal(body, &r) != nil {
		return ""
	}
	return r.Code
}
