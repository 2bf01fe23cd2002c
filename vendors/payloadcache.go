package vendors

import (
	"context"
	"sync"
)

// A payload cache remembers, for the length of one round of sends, the
// request body each adapter encoded for each notification, so a vendor
// that sends one request per device (APNs) encodes a notification shared
// by a thousand devices once rather than a thousand times.
//
// The key is the notification's address and the adapter's kind of body:
// the notifications of a round must not change while it lasts (the
// dispatcher renders them before it sends), and a copy (a wrapper adding
// a callback, say) is another key.
type payloadCache struct {
	mu sync.Mutex
	m  map[payloadKey]*payloadEntry
}

type payloadKey struct {
	n    *Notification
	kind string
}

type payloadEntry struct {
	once sync.Once
	body []byte
	err  error
}

type payloadCacheKey struct{}

// WithPayloadCache returns ctx with a payload cache for the sends made
// with it (CachedPayload).
func WithPayloadCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, payloadCacheKey{}, &payloadCache{m: map[payloadKey]*payloadEntry{}})
}

// CachedPayload returns build's body for n, built once per notification
// and kind while ctx's payload cache lasts; without one it builds every
// time. The body is shared: callers must not modify it.
func CachedPayload(ctx context.Context, n *Notification, kind string, build func() ([]byte, error)) ([]byte, error) {
	c, ok := ctx.Value(payloadCacheKey{}).(*payloadCache)
	if !ok {
		return build()
	}
	k := payloadKey{n, kind}
	c.mu.Lock()
	e := c.m[k]
	if e == nil {
		e = &payloadEntry{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.body, e.err = build() })
	return e.body, e.err
}
