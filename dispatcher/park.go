package dispatcher

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// ParkThreshold is the shortest vendor wait that parks a certificate: a
// daily quota (until midnight China time) or a long Retry-After. Shorter
// waits only delay the devices that got them.
const ParkThreshold = time.Minute

// Parking remembers, in Redis and so for every worker, certificates whose
// vendor said "no more until T" (a daily quota). While parked, sends through
// the certificate do not reach the vendor: their devices are scheduled for
// T straight away, instead of each job asking the vendor again and being
// refused again.
type Parking struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time

	// seen caches each certificate's parking for parkRecheck, so that a
	// send costs no Redis round trip: another worker's parking reaches
	// this one within parkRecheck, this worker's own at once.
	mu   sync.Mutex
	seen map[int64]parked
}

type parked struct {
	until   time.Time
	code    string
	checked time.Time
}

// parkRecheck is how long a worker trusts what it read of a parking.
const parkRecheck = time.Second

// NewParking returns a Parking on rdb.
func NewParking(rdb redis.UniversalClient, prefix string, now func() time.Time) *Parking {
	if now == nil {
		now = time.Now
	}
	return &Parking{rdb: rdb, prefix: prefix, now: now, seen: map[int64]parked{}}
}

func (p *Parking) key(cert int64) string { return p.prefix + "parked:" + strconv.FormatInt(cert, 10) }

// Until returns when cert's parking ends, zero when it is not parked.
func (p *Parking) Until(ctx context.Context, cert int64) (time.Time, string) {
	if p == nil {
		return time.Time{}, ""
	}
	now := p.now()
	p.mu.Lock()
	c, ok := p.seen[cert]
	p.mu.Unlock()
	if !ok || now.Sub(c.checked) >= parkRecheck {
		c = p.read(ctx, cert, now)
		p.mu.Lock()
		if len(p.seen) > maxParkCache {
			clear(p.seen)
		}
		p.seen[cert] = c
		p.mu.Unlock()
	}
	if !c.until.After(now) {
		return time.Time{}, ""
	}
	return c.until, c.code
}

// maxParkCache bounds the certificates whose parking a worker remembers.
const maxParkCache = 10000

// read reads cert's parking from Redis; a failure to read is no parking.
func (p *Parking) read(ctx context.Context, cert int64, now time.Time) parked {
	c := parked{checked: now}
	v, err := p.rdb.HGetAll(ctx, p.key(cert)).Result()
	if err != nil || v["until"] == "" {
		return c
	}
	ms, err := strconv.ParseInt(v["until"], 10, 64)
	if err != nil {
		return c
	}
	c.until, c.code = time.UnixMilli(ms), v["code"]
	return c
}

// Record parks cert when every result of one request is rate limited for
// at least ParkThreshold.
func (p *Parking) Record(ctx context.Context, cert int64, rs []vendors.Result) {
	if p == nil || len(rs) == 0 {
		return
	}
	wait, code := time.Duration(0), ""
	for i, r := range rs {
		if r.Kind() != vendors.RateLimited {
			return
		}
		w := vendors.RetryAfterOf(r.Err)
		if i == 0 || w < wait {
			wait, code = w, vendors.CodeOf(r.Err)
		}
	}
	if wait < ParkThreshold {
		return
	}
	until := p.now().Add(wait)
	p.mu.Lock()
	p.seen[cert] = parked{until: until, code: code, checked: p.now()}
	p.mu.Unlock()
	pipe := p.rdb.TxPipeline()
	pipe.HSet(ctx, p.key(cert), "until", until.UnixMilli(), "code", code)
	pipe.PExpire(ctx, p.key(cert), wait)
	pipe.Exec(ctx)
}
