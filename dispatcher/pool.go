package dispatcher

import (
	"context"
	"fmt"
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

	mu      sync.Mutex
	entries map[int64]*poolEntry
}

type poolEntry struct {
	mu      sync.Mutex
	cred    *vendors.Credential
	sender  vendors.Sender
	err     error
	checked time.Time
}

// NewPool returns a Pool that builds senders with registry.
func NewPool(src CredentialSource, registry *vendors.Registry, ttl time.Duration) *Pool {
	return &Pool{src: src, registry: registry, ttl: ttl, now: time.Now, entries: map[int64]*poolEntry{}}
}

// Sender returns the sender of certificate id and its credential.
func (p *Pool) Sender(ctx context.Context, id int64) (vendors.Sender, *vendors.Credential, error) {
	p.mu.Lock()
	e := p.entries[id]
	if e == nil {
		e = &poolEntry{}
		p.entries[id] = e
	}
	p.mu.Unlock()

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
		e.sender, e.cred, e.err, e.checked = nil, nil, err, time.Time{}
		if p.notFound(err) {
			e.checked = p.now()
		}
		return nil, nil, err
	}
	e.checked = p.now()
	if e.cred != nil && e.cred.Version == cred.Version && e.sender != nil {
		return e.sender, e.cred, nil
	}
	s, err := p.registry.Build(cred)
	if err != nil {
		err = fmt.Errorf("certificate %d (%s): %w", id, cred.Vendor, err)
	}
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
