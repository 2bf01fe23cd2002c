package fcm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/pushd/pushd/vendors"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"
)

// The firebase SDK wraps its messaging HTTP client in
// internal.WithDefaultRetryConfig: network errors and 503 answers are
// retried up to 4 times with 0+1+2+4 s of backoff (longer when FCM sends a
// Retry-After of up to 2 minutes), and no option turns that off. pushd's
// dispatcher owns retries (backoff with jitter, rate limits that do not burn
// attempts, only the failed devices re-queued), so oneShot makes every Send
// exactly one HTTP attempt:
//
//   - a 503 answer gets a Retry-After beyond the SDK's 2-minute cap, which
//     makes the SDK return the error at once (internal/http_client.go
//     retryDelay); FCM's own Retry-After, if any, moves to savedRetryAfter
//     for classification;
//   - a transport failure (connection, TLS, OAuth token fetch, or the
//     answer's body failing to arrive, a deadline included) cancels the
//     send's context with the failure as its cause. The SDK's first retry
//     waits 0 s and then returns ctx.Err(), so it never makes a second
//     attempt, and Send reports the cause.
const (
	savedRetryAfter = "X-Pushd-Fcm-Retry-After"
	sdkNoRetry      = "86400"
)

// stopKey is the context key of the send's context.CancelCauseFunc.
type stopKey struct{}

// oneShot is the outermost RoundTripper of the SDK's HTTP client.
type oneShot struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (o oneShot) RoundTrip(r *http.Request) (*http.Response, error) {
	stop, _ := r.Context().Value(stopKey{}).(context.CancelCauseFunc)
	resp, err := o.next.RoundTrip(r)
	if err != nil {
		if stop != nil {
			stop(&transportError{err: err})
		}
		return nil, err
	}
	if stop != nil {
		resp.Body = &stopOnError{ReadCloser: resp.Body, stop: stop}
	}
	if strings.HasSuffix(r.URL.Path, ":send") && vendors.CapturingAnswers(r.Context()) {
		// The raw answer of messages:send (never of the token endpoint,
		// whose body is a credential), for a test push that asks for it.
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		vendors.CaptureAnswer(r.Context(), resp.StatusCode, resp.Header, body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	if resp.StatusCode == http.StatusServiceUnavailable {
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			resp.Header.Set(savedRetryAfter, ra)
		}
		resp.Header.Set("Retry-After", sdkNoRetry)
	}
	return resp, nil
}

// stopOnError stops the send when the answer's body fails (FCM sent
// headers and then stalled until the deadline, or the connection broke):
// the SDK reads the body itself and would otherwise retry such a failure.
type stopOnError struct {
	io.ReadCloser
	stop context.CancelCauseFunc
}

// Read implements io.Reader.
func (s *stopOnError) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.stop(&transportError{err: err})
	}
	return n, err
}

// transportError is a send that got no (complete) HTTP answer from FCM.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// tokenError is a failure to obtain an OAuth access token.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "OAuth token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// tokenSource caches the access token of one service account: the
// oauth2.ReuseTokenSource inside jwt.Config.TokenSource makes concurrent
// callers share one fetch and reuses the token until 10 s before expiry.
// When FCM nevertheless answers UNAUTHENTICATED (the token was revoked, or
// clocks disagree), invalidate drops the cached token so the next send
// fetches a new one.
type tokenSource struct {
	conf *jwt.Config
	// ctx carries the HTTP client for the token endpoint (oauth2.HTTPClient).
	ctx context.Context

	mu  sync.Mutex
	src oauth2.TokenSource
	gen uint64
}

func newTokenSource(conf *jwt.Config, hc *http.Client) *tokenSource {
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	return &tokenSource{conf: conf, ctx: ctx, src: conf.TokenSource(ctx)}
}

// Token implements oauth2.TokenSource.
func (t *tokenSource) Token() (*oauth2.Token, error) {
	t.mu.Lock()
	src := t.src
	t.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return nil, &tokenError{err: err}
	}
	return tok, nil
}

// generation identifies the cached token a send is about to use.
func (t *tokenSource) generation() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

// invalidate drops the cached token if it is still generation gen, so that
// many sends refused with the same token cause one new fetch, not many.
func (t *tokenSource) invalidate(gen uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen == gen {
		t.src = t.conf.TokenSource(t.ctx)
		t.gen++
	}
}
