// Package apns delivers notifications through Apple's HTTP/2 provider API
// (vendor-protocols.md §1) with a .p8 token-auth key or a .p12 client
// certificate. It builds on github.com/sideshow/apns2: its hosts, reason
// constants, JWT key parsing and HTTP/2 transports. It makes the HTTP
// exchange itself so that DryRun and Send share one request builder and the
// classifier sees the Retry-After header, which apns2's Response drops.
package apns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sideshow/apns2"

	"github.com/pushd/pushd/internal/tokencache"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// maxResponse bounds how much of an answer is read: APNs error bodies are a
// few dozen bytes.
const maxResponse = 64 << 10

// Options are the settings of a Sender that are not in the credential.
type Options struct {
	// Now is the clock used for JWT iat and Retry-After dates; nil means
	// time.Now.
	Now func() time.Time
}

// Sender delivers to APNs with one certificate. It holds one long-lived
// HTTP/2 client (and, with token auth, one JWT) for its whole life and is
// safe for concurrent use.
type Sender struct {
	host   string
	topic  string
	env    string
	client *http.Client
	// ownsClient is false when the client is the endpoint's shared one.
	ownsClient bool
	// signer and jwts are nil with certificate auth.
	signer *jwtSigner
	jwts   *tokencache.Cache
	now    func() time.Time
}

var (
	_ vendors.Sender  = (*Sender)(nil)
	_ vendors.Builder = New
)

// New makes the APNs Sender for cred; it is the vendors.Builder of APNs.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	s, err := NewSender(cred, ep, Options{})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// NewSender is New with Options. cred needs bundle_id and env, and either a
// p8 key with key_id and team_id (token auth, preferred when both are
// present) or a p12 certificate with its password. Errors never quote
// secrets.
func NewSender(cred *vendors.Credential, ep vendors.Endpoint, opts Options) (*Sender, error) {
	if err := vendorhttp.Require(vendors.APNs, cred, vendors.FieldBundleID, vendors.FieldEnv); err != nil {
		return nil, err
	}
	s := &Sender{topic: cred.Field(vendors.FieldBundleID), env: cred.Field(vendors.FieldEnv), now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	switch s.env {
	case vendors.EnvDevelopment:
		s.host = apns2.HostDevelopment
	case vendors.EnvProduction:
		s.host = apns2.HostProduction
	default:
		return nil, fmt.Errorf("apns certificate %d: env %q: want %s or %s", cred.ID, s.env, vendors.EnvDevelopment, vendors.EnvProduction)
	}
	if ep.URL != "" {
		s.host = strings.TrimRight(ep.URL, "/")
	}
	if err := s.setAuth(cred, ep); err != nil {
		return nil, err
	}
	return s, nil
}

// setAuth sets up token auth from a p8 key, or certificate auth from a p12.
func (s *Sender) setAuth(cred *vendors.Credential, ep vendors.Endpoint) error {
	var err error
	switch {
	case len(cred.Secret(vendors.SecretP8)) > 0:
		key, perr := parseP8(cred)
		if perr != nil {
			return perr
		}
		s.signer = &jwtSigner{key: key, keyID: cred.Field(vendors.FieldKeyID), teamID: cred.Field(vendors.FieldTeamID), now: s.now}
		s.jwts = newJWTCache(s.signer)
		s.client, s.ownsClient, err = httpClient(ep, nil)
	case len(cred.Secret(vendors.SecretP12)) > 0:
		cert, perr := parseP12(cred)
		if perr != nil {
			return perr
		}
		s.client, s.ownsClient, err = httpClient(ep, &cert)
	default:
		return fmt.Errorf("apns certificate %d: needs a p8 key (with key_id and team_id) or a p12 certificate", cred.ID)
	}
	return err
}

// Vendor returns vendors.APNs.
func (s *Sender) Vendor() vendors.Vendor { return vendors.APNs }

// MaxBatch is 1: APNs takes one device per request and pushd sends
// concurrent HTTP/2 streams instead.
func (s *Sender) MaxBatch() int { return 1 }

// Close releases the idle connections of the client this Sender built, for
// when a rotated certificate replaces it. A shared endpoint client is left
// alone.
func (s *Sender) Close() {
	if s.ownsClient {
		s.client.CloseIdleConnections()
	}
}

// Send delivers n to every token, one request each, and returns one Result
// per token. A payload that cannot fit (ext too large) fails every token
// without sending anything.
func (s *Sender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	// The payload depends on n alone: a fan-out's thousand sends of one
	// notification encode it once (the dispatcher's payload cache).
	body, err := vendors.CachedPayload(ctx, n, "apns", func() ([]byte, error) { return fitPayload(n) })
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	if n.ValidateOnly {
		return vendorhttp.ValidateUnsupported(vendors.APNs, tokens)
	}
	rs := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		rs[i] = s.sendOne(ctx, body, n, t)
		rs[i].Token = t
	}
	return rs
}

// sendOne pushes to one token. When APNs says the JWT expired (its clock and
// ours disagree, or the key was reissued), the JWT is dropped and the request
// retried once with a fresh one; a second refusal stays Auth. Dropping only
// the JWT that failed makes a burst of such refusals renew it once, not once
// each, which APNs would answer with TooManyProviderTokenUpdates.
func (s *Sender) sendOne(ctx context.Context, body []byte, n *vendors.Notification, token string) vendors.Result {
	r, bearer := s.push(ctx, body, n, token)
	if s.jwts != nil && vendors.CodeOf(r.Err) == apns2.ReasonExpiredProviderToken {
		s.jwts.Invalidate(bearer)
		r, _ = s.push(ctx, body, n, token)
	}
	return r
}

// push makes one request and classifies the answer. It returns the JWT it
// sent, "" with certificate auth.
func (s *Sender) push(ctx context.Context, body []byte, n *vendors.Notification, token string) (vendors.Result, string) {
	req, err := s.newRequest(ctx, body, n, token)
	if err != nil {
		return vendors.Result{Err: err}, ""
	}
	var bearer string
	if s.jwts != nil {
		if bearer, err = s.jwts.Token(ctx); err != nil {
			return vendors.Result{Err: jwtError(ctx, err)}, ""
		}
		req.Header["authorization"] = []string{"bearer " + bearer}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return vendors.Result{Err: transportError(err)}, bearer
	}
	defer resp.Body.Close()
	var raw []byte
	if resp.ContentLength != 0 {
		// An accepted push has no body (HTTP/2 says so with
		// content-length 0 or END_STREAM on the headers): nothing to
		// read, nothing to allocate.
		raw, err = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	}
	vendors.CaptureAnswer(req.Context(), resp.StatusCode, resp.Header, raw)
	if err != nil {
		return vendors.Result{Err: transportError(err)}, bearer
	}
	if err := classify(resp.StatusCode, resp.Header, raw, s.now()); err != nil {
		return vendors.Result{Err: s.annotate(err)}, bearer
	}
	return vendors.Result{MessageID: resp.Header.Get("apns-id")}, bearer
}

// annotate adds the environment to BadDeviceToken: it usually means a
// sandbox token sent to production or the reverse, which operators should
// check before purging tokens (vendor-protocols.md §1).
func (s *Sender) annotate(err error) error {
	var e *vendors.Error
	if errors.As(err, &e) && e.Code == apns2.ReasonBadDeviceToken && e.Message == "" {
		e.Message = "token unknown to the " + s.env + " environment"
	}
	return err
}

// newRequest builds the request for one token, without authorization. Send
// and DryRun both use it, so a dry run shows exactly what is sent.
func (s *Sender) newRequest(ctx context.Context, body []byte, n *vendors.Notification, token string) (*http.Request, error) {
	u := s.host + "/3/device/" + url.PathEscape(token)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.APNs, Kind: vendors.Rejected, Message: "build request: bad host or token"}
	}
	req.Header = requestHeader(n, s.topic)
	// pushd names each notification itself (APNs echoes the apns-id it is
	// given, and makes one up only when there is none): the id follows
	// from the message and the device, so an event need not store it, and
	// a re-send after a crash carries the same id.
	if n.ID != "" {
		req.Header["apns-id"] = []string{vendors.NotificationUUID(n.ID, vendors.TokenHash(token))}
	}
	return req, nil
}

// DryRun returns the request Send would make for each token, with the
// authorization header redacted (token auth; certificate auth sends none).
func (s *Sender) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	body, err := fitPayload(n)
	if err != nil {
		return nil, err
	}
	out := make([]vendors.Request, 0, len(tokens))
	for _, t := range tokens {
		req, err := s.newRequest(ctx, body, n, t)
		if err != nil {
			return nil, err
		}
		h := vendors.HeaderMap(req.Header)
		if s.signer != nil {
			h["authorization"] = s.signer.describe()
		}
		out = append(out, vendors.Request{Method: req.Method, URL: req.URL.String(), Header: h, Body: string(body)})
	}
	return out, nil
}

// transportError classifies a failed exchange as Retryable (Code
// "timeout" when a deadline passed). vendorhttp drops the *url.Error
// wrapper, whose URL holds the device token, which must not reach logs.
func transportError(err error) error {
	return vendorhttp.TransportError(vendors.APNs, err, "", 0)
}

// jwtError classifies a failure to obtain a JWT: the caller giving up is
// Retryable, a key that cannot sign is Auth.
func jwtError(ctx context.Context, err error) error {
	kind := vendors.Auth
	if ctx.Err() != nil {
		kind = vendors.Retryable
	}
	return &vendors.Error{Vendor: vendors.APNs, Kind: kind, Message: err.Error()}
}
