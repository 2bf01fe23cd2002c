package vivo

import (
	"context"
	"sync"
	"time"
)

// taskTTL is how long a saved list payload's taskId is reused. The
// dispatcher sends the chunks of one message within moments of each other;
// ten minutes covers a slow fan-out without reusing a task for a resend
// hours later.
const taskTTL = 10 * time.Minute

// taskCache remembers the taskId of each saved list payload, so the chunks
// of a message larger than one pushToList share one saveListPayload. A save
// in flight is shared by every chunk that needs it.
type taskCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*taskEntry
}

type taskEntry struct {
	done    chan struct{}
	id      string
	err     error
	expires time.Time
}

func newTaskCache(ttl time.Duration, now func() time.Time) *taskCache {
	return &taskCache{ttl: ttl, now: now, entries: map[string]*taskEntry{}}
}

// get returns the taskId cached under key, or saves the payload with save.
// A failed save is not cached: the next chunk tries again.
func (c *taskCache) get(ctx context.Context, key string, save func(context.Context) (string, error)) (string, error) {
	c.mu.Lock()
	c.sweep()
	e, ok := c.entries[key]
	if !ok {
		e = &taskEntry{done: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		id, err := save(ctx)
		c.mu.Lock()
		e.id, e.err, e.expires = id, err, c.now().Add(c.ttl)
		if err != nil {
			delete(c.entries, key)
		}
		close(e.done)
		c.mu.Unlock()
		return id, err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.id, e.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// forget drops key, so the next chunk saves the payload again.
func (c *taskCache) forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// sweep drops finished entries past their life. The caller holds mu.
func (c *taskCache) sweep() {
	now := c.now()
	for k, e := range c.entries {
		select {
		case <-e.done:
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		default:
		}
	}
}
