package dispatcher

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// Markers remembers which devices a message already reached, so a re-run
// or a retry skips them. Marks keeps them in Redis, MemoryMarks in this
// process's memory.
type Markers interface {
	// Set names the marks of a message's retries (push:retry tasks).
	Set(app, msg string) string
	// RunSet names the marks of one run of a job of the stream, deleted
	// with its acknowledgement; Set's and RunSet's never delete each
	// other's.
	RunSet(app, msg string) string
	// Unsent returns the deliveries of ds not marked in set.
	Unsent(ctx context.Context, set string, ds []Delivery) ([]Delivery, error)
	// Mark marks ds in set, for TTL(expireAt).
	Mark(ctx context.Context, set string, ds []*Delivery, expireAt time.Time) error
	// TTL is how long the marks of a message expiring at expireAt live:
	// past every retry of the message.
	TTL(expireAt time.Time) time.Duration
}

// Marks keeps the Markers in Redis: one set per message, holding
// cert_id:token-hash.
type Marks struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

var _ Markers = (*Marks)(nil)

// NewMarks returns Marks whose sets live at least ttl.
func NewMarks(rdb redis.UniversalClient, prefix string, ttl time.Duration) *Marks {
	return &Marks{rdb: rdb, prefix: prefix, ttl: ttl}
}

// Set is the Redis key of a message's retry marks.
func (m *Marks) Set(app, msg string) string { return m.prefix + "sent:{" + app + ":" + msg + "}" }

// RunSet is the Redis key of one stream run's marks.
func (m *Marks) RunSet(app, msg string) string { return m.Set(app, msg) + ":s" }

func member(d *Delivery) string {
	return strconv.FormatInt(d.CertID, 10) + ":" + vendors.TokenHash(d.Token)
}

func members(ds []*Delivery) []any {
	out := make([]any, len(ds))
	for i, d := range ds {
		out[i] = member(d)
	}
	return out
}

// TTL is an hour past expireAt, so the marks outlive every retry, and at
// least the configured ttl.
func (m *Marks) TTL(expireAt time.Time) time.Duration {
	return max(m.ttl, time.Until(expireAt)+time.Hour)
}

// Unsent returns the deliveries of ds not in the set.
func (m *Marks) Unsent(ctx context.Context, set string, ds []Delivery) ([]Delivery, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	members := make([]any, len(ds))
	for i := range ds {
		members[i] = member(&ds[i])
	}
	seen, err := m.rdb.SMIsMember(ctx, set, members...).Result()
	if err != nil {
		return nil, err
	}
	out := ds[:0:0]
	for i, s := range seen {
		if !s {
			out = append(out, ds[i])
		}
	}
	return out, nil
}

// Mark adds ds to the set, in one transaction with its expiry.
func (m *Marks) Mark(ctx context.Context, set string, ds []*Delivery, expireAt time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	pipe := m.rdb.TxPipeline()
	pipe.SAdd(ctx, set, members(ds)...)
	pipe.Expire(ctx, set, m.TTL(expireAt))
	_, err := pipe.Exec(ctx)
	return err
}

// MemoryMarks keeps the Markers in this process's memory: nothing survives
// a restart or reaches another worker. It is the default of a
// HandlerConfig without Marks, for tests and tools.
type MemoryMarks struct {
	mu   sync.Mutex
	sets map[string]map[string]time.Time // set → member → expiry
	now  func() time.Time
}

var _ Markers = (*MemoryMarks)(nil)

// NewMemoryMarks returns empty MemoryMarks.
func NewMemoryMarks() *MemoryMarks {
	return &MemoryMarks{sets: map[string]map[string]time.Time{}, now: time.Now}
}

// Set names a message's retry marks.
func (m *MemoryMarks) Set(app, msg string) string { return "sent:{" + app + ":" + msg + "}" }

// RunSet names one stream run's marks.
func (m *MemoryMarks) RunSet(app, msg string) string { return m.Set(app, msg) + ":s" }

// TTL is an hour past expireAt.
func (m *MemoryMarks) TTL(expireAt time.Time) time.Duration {
	return max(expireAt.Sub(m.now())+time.Hour, time.Hour)
}

// Unsent returns the deliveries of ds not marked in set (or whose mark
// expired).
func (m *MemoryMarks) Unsent(_ context.Context, set string, ds []Delivery) ([]Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	out := ds[:0:0]
	for i := range ds {
		if until, ok := m.sets[set][member(&ds[i])]; !ok || !now.Before(until) {
			out = append(out, ds[i])
		}
	}
	return out, nil
}

// Mark marks ds in set.
func (m *MemoryMarks) Mark(_ context.Context, set string, ds []*Delivery, expireAt time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sets[set]
	if s == nil {
		s = map[string]time.Time{}
		m.sets[set] = s
	}
	until := m.now().Add(m.TTL(expireAt))
	for _, d := range ds {
		s[member(d)] = until
	}
	return nil
}
