package fake

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"
)

// SentReceipt is one receipt POST a fake made to a callback URL.
type SentReceipt struct {
	URL    string
	Header http.Header
	Body   []byte
	// Status is what the receiver answered (0 when the POST failed, Err
	// then says why).
	Status int
	Err    error
}

// ReceiptLog sends a fake's receipts, the vendor's way, after a push was
// accepted: asynchronously, as the vendor does, or at once for the click
// hooks. It records every POST; it is safe for concurrent use.
type ReceiptLog struct {
	mu     sync.Mutex
	sent   []SentReceipt
	wg     sync.WaitGroup
	client *http.Client
}

func newReceiptLog() *ReceiptLog {
	return &ReceiptLog{client: &http.Client{Timeout: 10 * time.Second}}
}

// SentReceipts returns a copy of every receipt POST made so far.
func (l *ReceiptLog) SentReceipts() []SentReceipt {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]SentReceipt(nil), l.sent...)
}

// WaitReceipts waits until every asynchronous receipt POST has answered.
func (l *ReceiptLog) WaitReceipts() { l.wg.Wait() }

// postLater POSTs body to url in the background.
func (l *ReceiptLog) postLater(url string, h http.Header, body []byte) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.post(url, h, body)
	}()
}

// post POSTs body to url now and returns what came back.
func (l *ReceiptLog) post(url string, h http.Header, body []byte) SentReceipt {
	s := SentReceipt{URL: url, Header: h, Body: body}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err == nil {
		req.Header = h.Clone()
		var resp *http.Response
		if resp, err = l.client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s.Status = resp.StatusCode
		}
	}
	s.Err = err
	l.mu.Lock()
	l.sent = append(l.sent, s)
	l.mu.Unlock()
	return s
}

// callbackOf remembers, per device token, the callback of the last
// message it was sent, for the click hooks.
type callbackOf struct {
	mu sync.Mutex
	m  map[string]sentCallback
}

type sentCallback struct {
	URL, Param, MsgID string
}

func (c *callbackOf) remember(tokens []string, cb sentCallback) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]sentCallback{}
	}
	for _, t := range tokens {
		c.m[t] = cb
	}
}

func (c *callbackOf) last(token string) (sentCallback, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cb, ok := c.m[token]
	return cb, ok
}
