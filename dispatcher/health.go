package dispatcher

import (
	"context"
	"sync"

	"github.com/pushd/pushd/vendors"
)

// DefaultAuthRetries is how often devices whose certificate the vendor
// refuses (vendors.Auth, after the adapter's own token refresh and retry)
// are retried before their push:retry task is archived with the reason.
// Credentials do not mend themselves: an operator must rotate them, then
// replay the archived jobs (`pushd jobs replay`).
const DefaultAuthRetries = 2

// CertHealthFunc records a verdict on one version of a certificate's
// credentials (certs.Store.SetHealthIfVersion does).
type CertHealthFunc func(ctx context.Context, certID, version int64, healthy bool, reason string) error

// healthCache remembers the last verdict written per certificate, so that
// only a change of health costs a write.
type healthCache struct {
	mu   sync.Mutex
	last map[int64]healthState
}

type healthState struct {
	version int64
	healthy bool
}

// known reports whether st is the verdict last written for cert.
func (c *healthCache) known(cert int64, st healthState) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	last, ok := c.last[cert]
	return ok && last == st
}

func (c *healthCache) remember(cert int64, st healthState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[int64]healthState{}
	}
	c.last[cert] = st
}

// verdict reads a certificate's health from one request's results: any
// accepted notification proves the credentials good; a request refused
// for every token with an auth error proves them bad. Anything else says
// nothing about the credentials.
func verdict(rs []vendors.Result) (healthy, known bool, reason string) {
	auth := 0
	for _, r := range rs {
		switch r.Kind() {
		case vendors.OK:
			return true, true, ""
		case vendors.Auth:
			auth++
			reason = r.Err.Error()
		}
	}
	if auth > 0 && auth == len(rs) {
		return false, true, "the vendor rejects the credentials: " + reason
	}
	return false, false, ""
}

// observeHealth writes a batch's verdict on its certificate when it
// differs from the last one this worker wrote.
func (h *Handler) observeHealth(ctx context.Context, b *batch, rs []vendors.Result) {
	if h.cfg.CertHealth == nil || b.version == 0 {
		return
	}
	healthy, known, reason := verdict(rs)
	if !known {
		return
	}
	st := healthState{version: b.version, healthy: healthy}
	if h.health.known(b.certID, st) {
		return
	}
	if err := h.cfg.CertHealth(ctx, b.certID, b.version, healthy, reason); err != nil {
		h.cfg.Log.Warn("could not record certificate health", "cert_id", b.certID, "healthy", healthy, "err", err)
		return
	}
	if !healthy {
		h.cfg.Log.Warn("certificate marked unhealthy: the vendor rejects its credentials", "cert_id", b.certID, "version", b.version, "reason", reason)
	} else {
		h.cfg.Log.Debug("certificate healthy", "cert_id", b.certID, "version", b.version)
	}
	h.health.remember(b.certID, st)
}
