package dispatcher

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// Marks records which devices a message was already delivered to: one Redis
// set per message, holding cert_id:token-hash. A retried or re-run task
// skips the devices in it, so a device gets at most one notification per
// message in the normal case.
type Marks struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewMarks returns Marks whose sets expire after ttl.
func NewMarks(rdb redis.UniversalClient, prefix string, ttl time.Duration) *Marks {
	return &Marks{rdb: rdb, prefix: prefix, ttl: ttl}
}

func (m *Marks) key(app, msg string) string { return m.prefix + "sent:{" + app + ":" + msg + "}" }

// streamKey holds the markers of a job of the stream while it runs; it is
// deleted with the job's acknowledgement. Retries (push:retry) keep theirs
// under key, so the two never delete each other's.
func (m *Marks) streamKey(app, msg string) string { return m.key(app, msg) + ":s" }

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

// ttlUntil is how long markers of a message expiring at expireAt live:
// an hour past it, so they outlive every retry, and at least the
// configured ttl.
func (m *Marks) ttlUntil(expireAt time.Time) time.Duration {
	return max(m.ttl, time.Until(expireAt)+time.Hour)
}

// Unsent returns the deliveries not yet marked sent for the message.
func (m *Marks) Unsent(ctx context.Context, app, msg string, ds []Delivery) ([]Delivery, error) {
	return m.unsentIn(ctx, m.key(app, msg), ds)
}

func (m *Marks) unsentIn(ctx context.Context, key string, ds []Delivery) ([]Delivery, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	members := make([]any, len(ds))
	for i := range ds {
		members[i] = member(&ds[i])
	}
	seen, err := m.rdb.SMIsMember(ctx, key, members...).Result()
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

// Mark records ds as sent for the message. The markers outlive every
// retry of the message: they last until an hour past expireAt, and at
// least the configured ttl.
func (m *Marks) Mark(ctx context.Context, app, msg string, ds []*Delivery, expireAt time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	k := m.key(app, msg)
	pipe := m.rdb.TxPipeline()
	pipe.SAdd(ctx, k, members(ds)...)
	pipe.Expire(ctx, k, m.ttlUntil(expireAt))
	_, err := pipe.Exec(ctx)
	return err
}
