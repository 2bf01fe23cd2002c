package vendors

import (
	"context"
	"net/http"
	"sync"
)

// Sender delivers notifications through one vendor with one certificate.
// Implementations are safe for concurrent use and keep their connections and
// access tokens for their whole life.
type Sender interface {
	// Vendor names the push service.
	Vendor() Vendor
	// MaxBatch is how many tokens one Send may carry: 1 for APNs and FCM
	// (concurrent HTTP/2 streams instead), up to 1000 for vendors with a
	// batch API.
	MaxBatch() int
	// Send delivers n to every token (len(tokens) <= MaxBatch()) and returns
	// exactly one Result per token, in the order of tokens. A failure of the
	// whole request is reported on every token's Result.
	Send(ctx context.Context, n *Notification, tokens []string) []Result
	// DryRun returns the exact requests Send would make for n and tokens,
	// without sending anything, with credentials redacted.
	DryRun(ctx context.Context, n *Notification, tokens []string) ([]Request, error)
}

// Result is the outcome of sending to one token.
type Result struct {
	Token string `json:"-"`
	// MessageID is the vendor's id for the accepted message (APNs apns-id,
	// FCM name, Xiaomi data.id, …), "" when it gave none or on failure.
	MessageID string `json:"message_id,omitempty"`
	// Err is nil when the vendor accepted the notification; otherwise a
	// *Error (or a transport error, see KindOf).
	Err error `json:"-"`
}

// Kind classifies r.
func (r Result) Kind() Kind { return KindOf(r.Err) }

// Fail returns one Result per token, all carrying err: the shape of a whole
// request failing.
func Fail(tokens []string, err error) []Result {
	rs := make([]Result, len(tokens))
	for i, t := range tokens {
		rs[i] = Result{Token: t, Err: err}
	}
	return rs
}

// Request is a vendor HTTP request as DryRun shows it.
type Request struct {
	Method string            `json:"method"`
	URL    string            `json:"url"`
	Header map[string]string `json:"header,omitempty"`
	// Body is the request body as sent: JSON, or a form-encoded string.
	Body string `json:"body,omitempty"`
}

// Redacted is the placeholder DryRun puts where a credential would be.
const Redacted = "<redacted>"

// HeaderMap flattens h for a Request, redacting the values of the headers
// named in secret (case-insensitive).
func HeaderMap(h http.Header, secret ...string) map[string]string {
	m := make(map[string]string, len(h))
	for k, vs := range h {
		v := ""
		if len(vs) > 0 {
			v = vs[0]
		}
		for _, s := range secret {
			if http.CanonicalHeaderKey(s) == http.CanonicalHeaderKey(k) {
				v = Redacted
			}
		}
		m[k] = v
	}
	return m
}

// Answer is a vendor's raw HTTP answer, as a test push shows it: the
// status, the headers (cookies redacted) and the body as received.
type Answer struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header,omitempty"`
	Body   string            `json:"body,omitempty"`
}

type answerKey struct{}

// answerLog collects the answers of one captured call.
type answerLog struct {
	mu  sync.Mutex
	all []Answer
}

// WithAnswerCapture returns a context under which adapters record each raw
// vendor answer (CaptureAnswer), and a function returning them in order.
// Only test pushes capture: a job's sends never carry it.
func WithAnswerCapture(ctx context.Context) (context.Context, func() []Answer) {
	l := &answerLog{}
	return context.WithValue(ctx, answerKey{}, l), func() []Answer {
		l.mu.Lock()
		defer l.mu.Unlock()
		return append([]Answer(nil), l.all...)
	}
}

// CapturingAnswers reports whether ctx records vendor answers
// (WithAnswerCapture), so an adapter reads a body it would stream only then.
func CapturingAnswers(ctx context.Context) bool {
	_, ok := ctx.Value(answerKey{}).(*answerLog)
	return ok
}

// CaptureAnswer records a vendor answer when ctx was made by
// WithAnswerCapture, and does nothing otherwise. Adapters call it once per
// vendor answer, with the request's context.
func CaptureAnswer(ctx context.Context, status int, h http.Header, body []byte) {
	l, ok := ctx.Value(answerKey{}).(*answerLog)
	if !ok || status == 0 {
		return
	}
	a := Answer{Status: status, Header: HeaderMap(h, "Set-Cookie"), Body: string(body)}
	l.mu.Lock()
	l.all = append(l.all, a)
	l.mu.Unlock()
}
