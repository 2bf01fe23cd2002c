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

func member(d *Delivery) string {
	return strconv.FormatInt(d.CertID, 10) + ":" + vendors.TokenHash(d.Token)
}

// Unsent returns the deliveries not yet marked sent for the message.
func (m *Marks) Unsent(ctx context.Context, app, msg string, ds []Delivery) ([]Delivery, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	members := make([]any, len(ds))
	for i := range ds {
		members[i] = member(&ds[i])
	}
	seen, err := m.rdb.SMIsMember(ctx, m.key(app, msg), members...).Result()
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

// Mark records ds as sent for the message.
func (m *Marks) Mark(ctx context.Context, app, msg string, ds []*Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	members := make([]any, len(ds))
	for i, d := range ds {
		members[i] = member(d)
	}
	k := m.key(app, msg)
	pipe := m.rdb.TxPipeline()
	pipe.SAdd(ctx, k, members...)
	pipe.Expire(ctx, k, m.ttl)
	_, err := pipe.Exec(ctx)
	return err
}
