package dispatcher

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pushd/pushd/vendors"
)

// CredentialSource hands out decrypted certificates (certs.Store does).
type CredentialSource interface {
	Credential(ctx context.Context, id int64) (*vendors.Credential, error)
}

// Pool keeps one long-lived Sender per certificate, rebuilt when the
// certificate's version changes. A worker re-reads a certificate at most
// every ttl, so a rotation or deletion reaches every worker within ttl.
type Pool struct {
	src      CredentialSource
	registry *vendors.Registry
	ttl      time.Duration
	now      func() time.Time

	// IsNotFound reports whether an error of the CredentialSource means the
	// certificate does not exist (certs.ErrNotFound).
	IsNotFound func(error) bool

	// MaxEntries bounds the certificates whose sender the pool keeps
	// (default 10 000); past it the least recently used is evicted.
	MaxEntries int
	// CloseGrace is how long a replaced or evicted sender stays open for
	// the sends still using it before it is closed (default 30s).
	CloseGrace time.Duration

	mu      sync.Mutex
	entries map[int64]*poolEntry
}

type poolEntry struct {
	mu      sync.Mutex
	cred    *vendors.Credential
	sender  vendors.Sender
	err     error
	checked time.Time
	used    time.Time
}

// NewPool returns a Pool that builds senders with registry.
func NewPool(src CredentialSource, registry *vendors.Registry, ttl time.Duration) *Pool {
	return &Pool{src: src, registry: registry, ttl: ttl, now: time.Now, entries: map[int64]*poolEntry{}}
}

// entry returns id's entry.
func (p *Pool) entry(id int64) *poolEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entries[id]
	if e == nil {
		e = &poolEntry{}
		p.entries[id] = e
	}
	e.used = p.now()
	return e
}

// trim evicts the least recently used entries but keep beyond MaxEntries.
// It runs once a certificate is known to exist, so ids nobody has (which
// are forgotten) never push a working sender out.
func (p *Pool) trim(keep int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.entries) > cmp.Or(p.MaxEntries, 10000) {
		p.evictOldest(keep)
	}
}

// evictOldest drops the least recently used entry but keep (p.mu held).
func (p *Pool) evictOldest(keep int64) {
	var oldest int64
	var at time.Time
	first := true
	for id, e := range p.entries {
		if id != keep && (first || e.used.Before(at)) {
			oldest, at, first = id, e.used, false
		}
	}
	if e := p.entries[oldest]; e != nil {
		delete(p.entries, oldest)
		go func() { e.mu.Lock(); s := e.sender; e.mu.Unlock(); p.retire(s) }()
	}
}

// forget drops id's entry: an unknown certificate is not remembered, so
// ids nobody has are not a way to fill a worker's memory.
func (p *Pool) forget(id int64, e *poolEntry) {
	p.mu.Lock()
	if p.entries[id] == e {
		delete(p.entries, id)
	}
	p.mu.Unlock()
}

// retire closes s, when it can be closed, after CloseGrace.
func (p *Pool) retire(s vendors.Sender) {
	if c, ok := s.(io.Closer); ok {
		time.AfterFunc(cmp.Or(p.CloseGrace, 30*time.Second), func() { c.Close() })
	}
}

// Sender returns the sender of certificate id and its credential.
func (p *Pool) Sender(ctx context.Context, id int64) (vendors.Sender, *vendors.Credential, error) {
	e := p.entry(id)

	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.checked.IsZero() && p.now().Sub(e.checked) < p.ttl {
		return e.sender, e.cred, e.err
	}
	cred, err := p.src.Credential(ctx, id)
	if err != nil {
		// A Redis hiccup must not drop a working sender: keep the old one
		// when there is one, and do not cache the failure.
		if e.sender != nil && !p.notFound(err) {
			return e.sender, e.cred, nil
		}
		p.retire(e.sender)
		e.sender, e.cred, e.err, e.checked = nil, nil, err, time.Time{}
		if p.notFound(err) {
			p.forget(id, e)
		}
		return nil, nil, err
	}
	if e.checked.IsZero() && e.cred == nil {
		p.trim(id) // a certificate new to the pool
	}
	e.checked = p.now()
	if e.cred != nil && e.cred.Version == cred.Version && e.sender != nil {
		return e.sender, e.cred, nil
	}
	s, err := p.registry.Build(cred)
	if err != nil {
		err = fmt.Errorf("certificate %d (%s): %w", id, cred.Vendor, err)
	}
	p.retire(e.sender) // the credentials changed: the old sender goes
	e.sender, e.cred, e.err = s, cred, err
	return s, cred, err
}

// Lookup implements CertLookup for the Resolver from the same cache.
func (p *Pool) Lookup(ctx context.Context, id int64) (*CertInfo, error) {
	_, cred, err := p.Sender(ctx, id)
	if cred == nil {
		if err == nil || p.notFound(err) {
			return nil, fmt.Errorf("certificate %d: %w", id, ErrUnknownCert)
		}
		return nil, err
	}
	return &CertInfo{ID: cred.ID, AppID: cred.AppID, Vendor: cred.Vendor, Click: cred.Click, Fields: cred.Fields}, nil
}

func (p *Pool) notFound(err error) bool { return p.IsNotFound != nil && p.IsNotFound(err) }
