// Package tokencache caches a vendor access token (Huawei, Honor, OPPO,
// vivo) per certificate: refreshed ahead of expiry, one refresh shared by all
// concurrent callers, and invalidated when the vendor says it expired.
package tokencache

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Fetch obtains a new token and how long the vendor says it lives.
type Fetch func(ctx context.Context) (token string, ttl time.Duration, err error)

// Cache holds one token. The zero value is not usable; call New.
type Cache struct {
	fetch  Fetch
	margin time.Duration
	now    func() time.Time

	mu       sync.Mutex
	token    string
	expires  time.Time
	inflight *call
}

type call struct {
	done  chan struct{}
	token string
	err   error
}

// New returns a Cache that refreshes margin before the token expires. now
// is the clock (time.Now when nil).
func New(fetch Fetch, margin time.Duration, now func() time.Time) *Cache {
	if now == nil {
		now = time.Now
	}
	return &Cache{fetch: fetch, margin: margin, now: now}
}

// Token returns a valid token, fetching one when there is none or it is
// within the margin of expiry. Concurrent callers share one fetch.
func (c *Cache) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	if c.token != "" && c.now().Before(c.expires.Add(-c.margin)) {
		t := c.token
		c.mu.Unlock()
		return t, nil
	}
	cl := c.inflight
	if cl == nil {
		cl = &call{done: make(chan struct{})}
		c.inflight = cl
		go c.run(cl)
	}
	c.mu.Unlock()
	select {
	case <-cl.done:
		return cl.token, cl.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// run performs one fetch on behalf of every waiter. It is detached from any
// single caller's context so one caller giving up does not fail the others.
func (c *Cache) run(cl *call) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, ttl, err := c.fetch(ctx)
	if err == nil && tok == "" {
		err = errors.New("vendor returned an empty access token")
	}
	c.mu.Lock()
	if err == nil {
		c.token, c.expires = tok, c.now().Add(ttl)
	}
	c.inflight = nil
	c.mu.Unlock()
	cl.token, cl.err = tok, err
	close(cl.done)
}

// Invalidate drops token if it is still the cached one, so the next Token
// call fetches a new one. Passing the token that failed (rather than
// dropping whatever is cached) keeps a burst of failures from causing a
// burst of refreshes.
func (c *Cache) Invalidate(token string) {
	c.mu.Lock()
	if c.token == token {
		c.token = ""
	}
	c.mu.Unlock()
}
