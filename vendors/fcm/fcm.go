// Package fcm delivers through Google Firebase Cloud Messaging HTTP v1 with
// firebase.google.com/go/v4/messaging and a service-account JSON
// (vendor-protocols.md §2). The legacy server-key API was shut down by
// Google in 2024; server keys are refused.
package fcm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

const (
	// DefaultEndpoint is FCM's HTTP v1 base URL.
	DefaultEndpoint = "https://fcm.googleapis.com/v1"
	// Scope is the OAuth scope the access token is asked for: sending
	// messages, nothing else.
	Scope = "https://www.googleapis.com/auth/firebase.messaging"
)

// Sender is the FCM sender of one certificate. The firebase app, its HTTP/2
// connections and the cached access token live as long as it does.
type Sender struct {
	client   *messaging.Client
	tokens   *tokenSource
	project  string
	endpoint string
	click    vendors.Click
	now      func() time.Time
	// timeout bounds one send, token fetch included, as a context
	// deadline (so the failure reads as a deadline, not a cancellation).
	timeout time.Duration
}

var (
	_ vendors.Sender  = (*Sender)(nil)
	_ vendors.Builder = New
)

// New builds the FCM Sender of cred, whose Secret service_account is the
// service-account JSON (the project is taken from it). ep.URL replaces
// https://fcm.googleapis.com (the adapter appends /v1), ep.AuthURL replaces
// the JSON's token_uri, and ep.Client, when set, carries the TLS trust for
// both the token endpoint and FCM.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := vendorhttp.Require(vendors.FCM, cred, vendors.SecretServiceAccount); err != nil {
		return nil, err
	}
	raw := cred.Secret(vendors.SecretServiceAccount)
	sa, err := parseServiceAccount(raw)
	if err != nil {
		return nil, fmt.Errorf("fcm certificate %d: %w", cred.ID, err)
	}
	click, err := cred.Click.Normalize()
	if err != nil {
		return nil, fmt.Errorf("fcm certificate %d: %w", cred.ID, err)
	}
	conf, err := google.JWTConfigFromJSON(raw, Scope)
	if err != nil {
		return nil, fmt.Errorf("fcm certificate %d: service-account JSON refused by the OAuth library", cred.ID)
	}
	if ep.AuthURL != "" {
		conf.TokenURL = endpoints().AuthURL(ep.AuthURL)
	} else if err := vendorhttp.CheckCredentialURL(conf.TokenURL, ep); err != nil {
		return nil, fmt.Errorf("fcm certificate %d: token_uri: %w", cred.ID, err)
	}
	s := &Sender{project: sa.ProjectID, endpoint: DefaultEndpoint, click: click, now: time.Now,
		timeout: ep.TimeoutsOf(vendors.FCM).Request}
	if ep.URL != "" {
		s.endpoint = strings.TrimRight(ep.URL, "/") + "/v1"
	}
	// One client for the token endpoint and FCM: its dialer refuses
	// non-public addresses the operator did not configure or allow, which
	// is what keeps a service account's token_uri from reaching inside
	// the network (issue 10 row 5).
	base := vendorhttp.NewClient(vendors.FCM, ep)
	s.tokens = newTokenSource(conf, base)
	if s.client, err = newClient(s.project, s.endpoint, s.tokens, base); err != nil {
		return nil, fmt.Errorf("fcm certificate %d: %w", cred.ID, err)
	}
	return s, nil
}

// newClient makes the SDK's messaging client (newMessagingClient: the one
// firebase.App.Messaging would make). option.WithHTTPClient bypasses the
// SDK's credential handling (and so the Firebase scopes NewApp would add),
// so the client authenticates itself: oneShot over oauth2.Transport over
// the endpoint's transport. It has no Timeout of its own: sendOne's
// context deadline bounds every send.
func newClient(project, endpoint string, ts *tokenSource, base *http.Client) (*messaging.Client, error) {
	hc := &http.Client{
		CheckRedirect: base.CheckRedirect,
		Transport:     oneShot{next: &oauth2.Transport{Source: ts, Base: base.Transport}},
	}
	return newMessagingClient(context.Background(), project,
		[]option.ClientOption{option.WithHTTPClient(hc), option.WithEndpoint(endpoint)})
}

// Vendor implements vendors.Sender.
func (s *Sender) Vendor() vendors.Vendor { return vendors.FCM }

// MaxBatch implements vendors.Sender: FCM HTTP v1 takes one token per
// request; throughput comes from concurrent HTTP/2 streams.
func (s *Sender) MaxBatch() int { return 1 }

// Send implements vendors.Sender. Tokens beyond the first are sent one
// after another.
func (s *Sender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	msg, err := fitMessage(n, s.click, s.now())
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	rs := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		m := *msg
		m.Token = t
		rs[i] = s.sendOne(ctx, &m, n.ValidateOnly)
	}
	return rs
}

// sendOne makes exactly one HTTP attempt (see oneShot) and classifies it.
// The access token is obtained first, bounded by the token client's own
// timeout, so that a failure of the token endpoint (whose URL comes from
// the credential) is always reported as such, never as a send deadline:
// the two would tell a filtered port from a closed one. The send then has
// its own deadline.
//
// validateOnly sends the request with validate_only: true (the SDK's
// SendDryRun): FCM checks the credential, token and payload and delivers
// nothing [vendor-protocols.md §2 Request body].
func (s *Sender) sendOne(ctx context.Context, m *messaging.Message, validateOnly bool) vendors.Result {
	gen := s.tokens.generation()
	if _, err := s.tokens.Token(); err != nil {
		return vendors.Result{Token: m.Token, Err: transportFailure(err)}
	}
	dctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sctx, stop := context.WithCancelCause(dctx)
	defer stop(nil)
	send := s.client.Send
	if validateOnly {
		send = s.client.SendDryRun
	}
	name, err := send(context.WithValue(sctx, stopKey{}, stop), m)
	if err == nil {
		return vendors.Result{Token: m.Token, MessageID: name}
	}
	if ctx.Err() != nil {
		return vendors.Result{Token: m.Token, Err: ctx.Err()}
	}
	if cause := context.Cause(sctx); cause != nil {
		return vendors.Result{Token: m.Token, Err: transportFailure(cause)}
	}
	if errorutils.HTTPResponse(err) == nil && vendorhttp.IsTimeout(err) {
		return vendors.Result{Token: m.Token, Err: vendorhttp.TransportError(vendors.FCM, err, "", 0)}
	}
	if errorutils.HTTPResponse(err) == nil {
		// The SDK refused the message before sending it (its own field
		// checks): a bug on our side or an empty token, never retried.
		return vendors.Result{Token: m.Token, Err: &vendors.Error{Vendor: vendors.FCM, Kind: vendors.Rejected, Message: err.Error()}}
	}
	verr := classify(sdkFailure(err), s.now())
	if verr.Kind == vendors.Auth && verr.Code == PlatformUnauthenticated {
		s.tokens.invalidate(gen)
	}
	return vendors.Result{Token: m.Token, Err: verr}
}

// DryRun implements vendors.Sender: the exact request FCM would receive for
// each token, with the access token redacted.
func (s *Sender) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	msg, err := fitMessage(n, s.click, s.now())
	if err != nil {
		return nil, err
	}
	reqs := make([]vendors.Request, 0, len(tokens))
	for _, t := range tokens {
		m := *msg
		m.Token = t
		body, err := json.Marshal(sendRequest{Message: &m})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, vendors.Request{Method: http.MethodPost, URL: s.sendURL(),
			Header: vendors.HeaderMap(sdkHeaders(), "Authorization"), Body: string(body)})
	}
	return reqs, nil
}

// sendURL is FCM's send endpoint for the certificate's project.
func (s *Sender) sendURL() string {
	return fmt.Sprintf("%s/projects/%s/messages:send", s.endpoint, s.project)
}

// sdkHeaders are the headers firebase.google.com/go/v4 sends with every
// FCM request (messaging.newFCMClient, internal.GetMetricsHeader).
func sdkHeaders() http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer access-token")
	h.Set("Content-Type", "application/json")
	h.Set("X-Goog-Api-Format-Version", "2")
	h.Set("X-Firebase-Client", "fire-admin-go/"+sdkVersion())
	h.Set("X-Goog-Api-Client", fmt.Sprintf("gl-go/%s fire-admin/%s", strings.TrimPrefix(runtime.Version(), "go"), sdkVersion()))
	return h
}
