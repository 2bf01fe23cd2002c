package dispatcher

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraSrc is the generic cell rate algorithm on one key: KEYS[1] holds the
// theoretical arrival time (TAT, µs) of the next request of a certificate.
// ARGV: now (µs; 0 = use Redis' own clock, shared by every worker), the
// emission interval T (µs), the burst tolerance τ (µs) and the longest
// wait a caller accepts (µs). A request may go at max(TAT, now) − τ; if
// that is within the accepted wait, the slot is reserved (TAT advances by
// T) and the wait is returned as {1, wait}; otherwise nothing is reserved
// and {0, wait} says how long until a slot frees. Numbers are written with
// %.0f: Lua's tostring would round 16-digit microsecond times.
const gcraSrc = `
local now = tonumber(ARGV[1])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local interval, tau, maxwait = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tau - now
if wait < 0 then wait = 0 end
if wait > maxwait then return {0, wait} end
local nxt = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', string.format('%.0f', math.ceil((nxt - now) / 1000) + 1000))
return {1, wait}`

// defaultRateWait bounds how long one send waits for its slot.
const defaultRateWait = time.Second

// RateLimits enforces per-certificate request rates (requests per second)
// across every worker that shares one Redis, with GCRA in a Lua script: a
// certificate's requests are spaced 1/rate apart, with a burst of a tenth
// of a second's worth. A send waits for its slot up to MaxWait; beyond
// that it is handed back as rate limited, so its devices go to push:retry
// without burning a retry.
type RateLimits struct {
	rdb    redis.UniversalClient
	prefix string
	script *redis.Script
	// PerCert maps a certificate to its rate; certificates not in it get
	// Default. A rate of 0 means unlimited.
	PerCert map[int64]float64
	Default float64
	// MaxWait is the longest a send waits for its slot (default 1s).
	MaxWait time.Duration
	// Now replaces Redis' clock (tests); nil uses Redis TIME, so that the
	// workers' own clocks never matter.
	Now func() time.Time
}

// NewRateLimits returns limits keyed under prefix in rdb.
func NewRateLimits(rdb redis.UniversalClient, prefix string, perCert map[int64]float64, def float64) *RateLimits {
	return &RateLimits{rdb: rdb, prefix: prefix, script: redis.NewScript(gcraSrc), PerCert: perCert, Default: def}
}

// Rate returns cert's requests per second, 0 for unlimited.
func (l *RateLimits) Rate(cert int64) float64 {
	if l == nil {
		return 0
	}
	if r, ok := l.PerCert[cert]; ok {
		return r
	}
	return l.Default
}

func (l *RateLimits) key(cert int64) string {
	return l.prefix + "rate:{" + strconv.FormatInt(cert, 10) + "}"
}

// Reserve asks for one request slot of cert that starts within maxWait. It
// returns ok and the wait until the reserved slot, or !ok and how long
// until a slot frees (nothing reserved).
func (l *RateLimits) Reserve(ctx context.Context, cert int64, maxWait time.Duration) (ok bool, wait time.Duration, err error) {
	rate := l.Rate(cert)
	if rate <= 0 {
		return true, 0, nil
	}
	interval := math.Max(1e6/rate, 1)
	burst := math.Max(math.Ceil(rate/10), 1)
	var now int64
	if l.Now != nil {
		now = l.Now().UnixMicro()
	}
	res, err := l.script.Run(ctx, l.rdb, []string{l.key(cert)},
		now, int64(interval), int64((burst-1)*interval), maxWait.Microseconds()).Int64Slice()
	if err != nil {
		return false, 0, err
	}
	return res[0] == 1, time.Duration(res[1]) * time.Microsecond, nil
}

// Wait blocks until cert may send one request and returns 0, or returns
// how long the caller should come back after when no slot frees within
// MaxWait. A Redis error lets the request go (err says why): the limit
// protects the vendor, it must not stop delivery when Redis blinks.
func (l *RateLimits) Wait(ctx context.Context, cert int64) (time.Duration, error) {
	if l.Rate(cert) <= 0 {
		return 0, nil
	}
	maxWait := l.MaxWait
	if maxWait <= 0 {
		maxWait = defaultRateWait
	}
	ok, wait, err := l.Reserve(ctx, cert, maxWait)
	if err != nil {
		return 0, err
	}
	if !ok {
		return max(wait, time.Millisecond), nil
	}
	if wait <= 0 {
		return 0, nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return 0, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
