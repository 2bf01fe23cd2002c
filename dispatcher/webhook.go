package dispatcher

import (
	"bytes"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"

	"github.com/prometheus/client_golang/prometheus"
)

// The headers of a webhook POST. The signature covers the exact body, which
// repeats the timestamp and the delivery id, so a receiver that checks the
// signature can trust both and refuse stale or replayed batches.
const (
	// WebhookSignatureHeader is "sha256=" + hex HMAC-SHA256(secret, body).
	WebhookSignatureHeader = "X-Pushd-Signature"
	// WebhookTimestampHeader is the Unix time (seconds) the batch was first
	// posted; it equals the body's sent_at.
	WebhookTimestampHeader = "X-Pushd-Timestamp"
	// WebhookDeliveryHeader is the batch id, the same on every attempt, so
	// a receiver can drop a batch it already processed.
	WebhookDeliveryHeader = "X-Pushd-Delivery"
)

// Webhook defaults, used for zero fields of WebhookConfig.
const (
	defaultWebhookBatch     = 100
	defaultWebhookFlush     = time.Second
	defaultWebhookBuffer    = 10000
	defaultWebhookAttempts  = 5
	defaultWebhookRetryBase = 500 * time.Millisecond
	defaultWebhookRetryMax  = 30 * time.Second
	defaultWebhookTimeout   = 10 * time.Second
)

// WebhookConfig configures a WebhookSink; zero fields take the defaults.
type WebhookConfig struct {
	// URL receives the POSTed batches.
	URL string
	// Secret keys the HMAC-SHA256 signature of every body.
	Secret string
	// Batch is the most events one POST carries (default 100).
	Batch int
	// Flush is the longest an event waits for its batch to fill (default 1s).
	Flush time.Duration
	// Buffer bounds the events waiting to be posted (default 10000). When
	// it is full new events are dropped and counted: a slow receiver never
	// slows delivery.
	Buffer int
	// Attempts is how often one batch is POSTed before it is given up
	// (default 5).
	Attempts int
	// RetryBase and RetryMax bound the backoff between attempts (defaults
	// 500ms and 30s); a Retry-After of the receiver is honoured up to
	// RetryMax.
	RetryBase, RetryMax time.Duration
	// Client posts the batches; nil means a client with a 10s timeout.
	Client *http.Client
	// Now is the clock of the timestamps; nil means time.Now.
	Now func() time.Time
	// OnError is told about every batch given up.
	OnError func(error)
}

func (c *WebhookConfig) defaults() {
	if c.Batch < 1 {
		c.Batch = defaultWebhookBatch
	}
	if c.Flush <= 0 {
		c.Flush = defaultWebhookFlush
	}
	if c.Buffer < 1 {
		c.Buffer = defaultWebhookBuffer
	}
	if c.Attempts < 1 {
		c.Attempts = defaultWebhookAttempts
	}
	if c.RetryBase <= 0 {
		c.RetryBase = defaultWebhookRetryBase
	}
	if c.RetryMax < c.RetryBase {
		c.RetryMax = max(defaultWebhookRetryMax, c.RetryBase)
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: defaultWebhookTimeout}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// WebhookBody is what a webhook receives.
type WebhookBody struct {
	// ID identifies the batch; retries of one batch carry the same id.
	ID string `json:"id"`
	// SentAt is the Unix time (seconds) of the first attempt, as in the
	// timestamp header.
	SentAt int64   `json:"sent_at"`
	Events []Event `json:"events"`
}

// WebhookStats counts events by fate.
type WebhookStats struct {
	// Posted events reached the receiver (it answered 2xx).
	Posted int64
	// Dropped events found the buffer full (or the sink closed).
	Dropped int64
	// Failed events were in batches given up after every attempt, or
	// refused by the receiver with a 4xx.
	Failed int64
}

// WebhookSink is an EventSink that POSTs events in signed batches to a
// URL, from one background goroutine: Emit only puts events in a bounded
// buffer and never waits.
type WebhookSink struct {
	cfg WebhookConfig
	ch  chan Event

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc

	posted, dropped, failed atomic.Int64
}

var _ EventSink = (*WebhookSink)(nil)

// NewWebhookSink starts a sink posting to cfg.URL. Its counters are
// registered on reg as pushd_webhook_events_total{result} when reg is not
// nil. Close it to flush what is buffered.
func NewWebhookSink(cfg WebhookConfig, reg prometheus.Registerer) *WebhookSink {
	cfg.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &WebhookSink{cfg: cfg, ch: make(chan Event, cfg.Buffer), stop: make(chan struct{}),
		done: make(chan struct{}), ctx: ctx, cancel: cancel}
	if reg != nil {
		s.register(reg)
	}
	go s.loop()
	return s
}

func (s *WebhookSink) register(reg prometheus.Registerer) {
	for result, n := range map[string]*atomic.Int64{"posted": &s.posted, "dropped": &s.dropped, "failed": &s.failed} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "pushd", Name: "webhook_events_total",
			Help:        "Delivery events by webhook fate: posted, dropped (buffer full) or failed (batch given up).",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 { return float64(n.Load()) }))
	}
}

// Emit buffers evs without blocking; what does not fit is dropped and
// counted.
func (s *WebhookSink) Emit(_ context.Context, evs []Event) {
	for _, e := range evs {
		select {
		case <-s.stop:
			s.dropped.Add(1)
			continue
		default:
		}
		select {
		case s.ch <- e:
		default:
			s.dropped.Add(1)
		}
	}
}

// Stats returns the counters.
func (s *WebhookSink) Stats() WebhookStats {
	return WebhookStats{Posted: s.posted.Load(), Dropped: s.dropped.Load(), Failed: s.failed.Load()}
}

// Close stops taking events and posts what is buffered, giving up (and
// counting the rest as failed) when ctx ends.
func (s *WebhookSink) Close(ctx context.Context) {
	s.stopOnce.Do(func() { close(s.stop) })
	select {
	case <-s.done:
	case <-ctx.Done():
		s.cancel()
		<-s.done
	}
	s.cancel()
}

// loop collects batches: a batch is posted when it is full or when its
// first event has waited Flush.
func (s *WebhookSink) loop() {
	defer close(s.done)
	var batch []Event
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case e := <-s.ch:
			batch = append(batch, e)
			if len(batch) == 1 {
				timer.Reset(s.cfg.Flush)
			}
			if len(batch) >= s.cfg.Batch {
				timer.Stop()
				s.post(batch)
				batch = nil
			}
		case <-timer.C:
			s.post(batch)
			batch = nil
		case <-s.stop:
			timer.Stop()
			s.drain(batch)
			return
		}
	}
}

// drain posts batch and everything still buffered.
func (s *WebhookSink) drain(batch []Event) {
	for {
		select {
		case e := <-s.ch:
			batch = append(batch, e)
			if len(batch) < s.cfg.Batch {
				continue
			}
		default:
		}
		if len(batch) == 0 {
			return
		}
		s.post(batch)
		if len(batch) < s.cfg.Batch {
			return
		}
		batch = nil
	}
}

// post delivers one batch, retrying with backoff. The batch keeps its id and
// timestamp across attempts.
func (s *WebhookSink) post(evs []Event) {
	if len(evs) == 0 {
		return
	}
	head := WebhookBody{ID: newBatchID(), SentAt: s.cfg.Now().Unix(), Events: evs}
	body, err := json.Marshal(head)
	if err != nil {
		s.giveUp(len(evs), fmt.Errorf("encode webhook batch: %w", err))
		return
	}
	var last error
	for attempt := 0; attempt < s.cfg.Attempts; attempt++ {
		if attempt > 0 && !s.sleep(s.wait(attempt, last)) {
			break
		}
		retry, err := s.send(body, &head)
		if err == nil {
			s.posted.Add(int64(len(evs)))
			return
		}
		last = err
		if !retry {
			break
		}
	}
	s.giveUp(len(evs), fmt.Errorf("webhook %s: %d events given up: %w", redactedURL(s.cfg.URL), len(evs), last))
}

func (s *WebhookSink) giveUp(n int, err error) {
	s.failed.Add(int64(n))
	if s.cfg.OnError != nil {
		s.cfg.OnError(err)
	}
}

// webhookError is a non-2xx answer of the receiver.
type webhookError struct {
	status     int
	retryAfter time.Duration
}

func (e *webhookError) Error() string { return "receiver answered HTTP " + strconv.Itoa(e.status) }

// send POSTs body once. retry is false when the receiver refused the batch
// for good (a 4xx other than 408 and 429).
func (s *WebhookSink) send(body []byte, head *WebhookBody) (retry bool, err error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pushd-webhook")
	req.Header.Set(WebhookSignatureHeader, SignWebhook(s.cfg.Secret, body))
	req.Header.Set(WebhookTimestampHeader, strconv.FormatInt(head.SentAt, 10))
	req.Header.Set(WebhookDeliveryHeader, head.ID)
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, whose query may carry a credential.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s webhook: %w", ue.Op, ue.Err)
		}
		return s.ctx.Err() == nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	we := &webhookError{status: resp.StatusCode, retryAfter: vendorhttp.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now(), 0)}
	retry = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout
	return retry, we
}

// wait is the pause before attempt n (n ≥ 1): exponential with jitter in
// [½, 1], capped, and at least the receiver's Retry-After.
func (s *WebhookSink) wait(n int, last error) time.Duration {
	d := s.cfg.RetryBase << min(n-1, 20)
	if d <= 0 || d > s.cfg.RetryMax {
		d = s.cfg.RetryMax
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	if we, ok := last.(*webhookError); ok && we.retryAfter > d {
		d = min(we.retryAfter, s.cfg.RetryMax)
	}
	return d
}

// sleep waits d; false when the sink is being torn down.
func (s *WebhookSink) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// SignWebhook returns the signature header value of body:
// "sha256=" + hex HMAC-SHA256(secret, body).
func SignWebhook(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook reports, in constant time, whether signature is body's
// signature under secret. Receivers in Go can use it as is.
func VerifyWebhook(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(SignWebhook(secret, body)), []byte(signature))
}

func newBatchID() string {
	var b [12]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// redactedURL drops the query and user info of u for error messages: a
// receiver URL may carry a token.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
