// Package certs is pushd's certificate store: the push certificates and
// vendor credentials of every app, kept in Redis with their secrets
// encrypted (AES-256-GCM under PUSHD_MASTER_KEY), validated on upload
// (.p12, .p8, service-account JSON, per-vendor settings) and shown only as
// metadata and fingerprints.
//
// The store caches nothing: every Get, List and Credential reads Redis, so
// an upload, rotation or deletion reaches every worker at its next read.
// Workers that cache a vendor Sender key it on (cert_id, version) and
// re-read the Credential every few seconds.
//
// Layout, with the default prefix "pushd:":
//
//	pushd:cert:{id}          JSON document: metadata + "sealed" secrets
//	pushd:certs:seq          INCR counter of cert ids (never reused)
//	pushd:certs:all          set of every cert id
//	pushd:certs:app:{app}    set of the app's cert ids
//	pushd:certs:keycheck     key check value of the master key
//	pushd:certs:format       "2" once every record is in format 2 (auth.go)
//
// Writes touching several keys run in MULTI/EXEC. Under Redis Cluster give
// the prefix a hash tag, such as "{pushd}:", so they share one slot.
package certs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// ErrNotFound reports a cert_id that does not exist (or was deleted).
var ErrNotFound = errors.New("certificate not found")

// Store keeps certificates in Redis. It is safe for concurrent use by any
// number of goroutines and processes.
type Store struct {
	rdb     redis.UniversalClient
	keys    keyring
	prevKey []byte
	now     func() time.Time
	prefix  string
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for timestamps and expiry checks (tests
// inject a fixed one).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithPrefix sets the Redis key prefix (default "pushd:").
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// NewStore returns a Store on rdb whose secrets are sealed under masterKey,
// which must be 32 bytes (see ParseMasterKey).
func NewStore(rdb redis.UniversalClient, masterKey []byte, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("certs: nil Redis client")
	}
	cur, err := newSealer(masterKey)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	s := &Store{rdb: rdb, keys: keyring{current: cur}, now: time.Now, prefix: "pushd:"}
	for _, o := range opts {
		o(s)
	}
	if s.prevKey != nil {
		if s.keys.previous, err = newSealer(s.prevKey); err != nil {
			return nil, fmt.Errorf("certs: previous %w", err)
		}
		s.prevKey = nil
		if s.keys.previous.id == cur.id {
			s.keys.previous = nil
		}
	}
	return s, nil
}

func (s *Store) certKey(id int64) string       { return fmt.Sprintf("%scert:%d", s.prefix, id) }
func (s *Store) seqKey() string                { return s.prefix + "certs:seq" }
func (s *Store) allKey() string                { return s.prefix + "certs:all" }
func (s *Store) appKey(app string) string      { return s.prefix + "certs:app:" + app }
func (s *Store) keyCheckKey() string           { return s.prefix + "certs:keycheck" }
func (s *Store) formatKey() string             { return s.prefix + "certs:format" }
func notFound(id int64) error                  { return fmt.Errorf("cert_id %d: %w", id, ErrNotFound) }
func (s *Store) nowUTC() time.Time             { return s.now().UTC().Round(0) }
func (s *Store) storeErr(err error) error      { return fmt.Errorf("certificate store: %w", err) }
func (s *Store) idErr(id int64, e error) error { return fmt.Errorf("certificate %d: %w", id, e) }

// Add validates up and stores it as a new certificate with a fresh cert_id
// (version 1, healthy). Nothing is stored when validation fails; the id
// counter may have advanced, since ids are never reused anyway.
func (s *Store) Add(ctx context.Context, up Upload) (*Info, error) {
	now := s.nowUTC()
	parsed, err := Validate(&up, now)
	if err != nil {
		return nil, err
	}
	if err := s.CheckKey(ctx); err != nil {
		return nil, err
	}
	id, err := s.rdb.Incr(ctx, s.seqKey()).Result()
	if err != nil {
		return nil, s.storeErr(err)
	}
	r := &record{Info: Info{ID: id, Version: 1, CreatedAt: now}}
	if err := s.fill(r, &up, parsed, now); err != nil {
		return nil, err
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	// The record and its two indexes hash to different Redis Cluster
	// slots, so they are not written in one MULTI (CROSSSLOT). The
	// indexes go first: should the process die before the record is
	// written, List skips an id whose record is absent, whereas a record
	// missing from the indexes would never be listed.
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, s.allKey(), id)
		p.SAdd(ctx, s.appKey(r.AppID), id)
		return nil
	})
	if err != nil {
		return nil, s.storeErr(err)
	}
	if err := s.rdb.Set(ctx, s.certKey(id), doc, 0).Err(); err != nil {
		return nil, s.storeErr(err)
	}
	in := r.info(now)
	return &in, nil
}

// fill sets r's content from a validated upload, sealing the secrets under
// the current key bound to r's id, app, vendor and version (set the version
// first) and authenticating the metadata. The health is reset: new
// credentials deserve a new verdict.
func (s *Store) fill(r *record, up *Upload, parsed *Parsed, now time.Time) error {
	r.AppID, r.Vendor, r.Name = up.AppID, up.Vendor, up.Name
	r.Fields, r.Click = up.Fields, up.Click
	r.Fingerprints, r.NotAfter = parsed.Fingerprints, parsed.NotAfter
	r.UpdatedAt, r.Healthy, r.HealthReason = now, true, ""
	if err := s.keys.current.sealInto(r, up.Secrets); err != nil {
		return s.idErr(r.ID, err)
	}
	return nil
}

// Get returns the certificate id, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (*Info, error) {
	r, err := s.load(ctx, s.rdb, id)
	if err != nil {
		return nil, err
	}
	in := r.info(s.nowUTC())
	return &in, nil
}

// load reads, decodes and verifies (auth.go) the record of id through c
// (the client, or a transaction watching the record).
func (s *Store) load(ctx context.Context, c redis.Cmdable, id int64) (*record, error) {
	r, err := s.loadUnverified(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if r.opener, err = s.verify(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// loadUnverified reads and decodes the record of id without checking its
// MAC: only Delete uses it, so a tampered record can still be removed.
func (s *Store) loadUnverified(ctx context.Context, c redis.Cmdable, id int64) (*record, error) {
	raw, err := c.Get(ctx, s.certKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, s.storeErr(err)
	}
	return decodeRecord(id, raw)
}

// Credential returns certificate id with its secrets decrypted, for the
// vendor adapters. A record sealed under another master key fails with an
// error wrapping ErrWrongKey; one whose metadata or secrets were edited or
// moved from another certificate or version, with ErrTampered (format 2)
// or ErrWrongKey (format 1).
func (s *Store) Credential(ctx context.Context, id int64) (*vendors.Credential, error) {
	r, err := s.load(ctx, s.rdb, id)
	if err != nil {
		return nil, err
	}
	secrets, err := s.openRecord(r, r.opener)
	if err != nil {
		return nil, s.idErr(id, fmt.Errorf("cannot decrypt secrets: %w", err))
	}
	return r.credential(secrets), nil
}

// CheckKey verifies that the store was written under this Store's master
// key (or, during a rekey, its previous key), recording the key check value
// the first time, and migrates format-1 records (auth.go) if the store was
// not migrated yet. serve calls it at start, so a wrong PUSHD_MASTER_KEY
// stops it before any send fails.
func (s *Store) CheckKey(ctx context.Context) error {
	stored, err := s.rdb.Get(ctx, s.keyCheckKey()).Result()
	switch {
	case errors.Is(err, redis.Nil):
		if err := s.initKeyCheck(ctx); err != nil {
			return err
		}
	case err != nil:
		return s.storeErr(err)
	case !s.keys.matches(stored):
		return fmt.Errorf("certificate store %q was written under another master key: %w", s.prefix, ErrWrongKey)
	}
	return s.migrate(ctx)
}

// initKeyCheck records the key check value. Should certificates exist
// without one (the key was deleted by hand), one of them is decrypted first,
// so the check is never initialized from a wrong key.
func (s *Store) initKeyCheck(ctx context.Context) error {
	member, err := s.rdb.SRandMember(ctx, s.allKey()).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return s.storeErr(err)
	}
	if err == nil {
		if _, err := s.Credential(ctx, member); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	ok, err := s.rdb.SetNX(ctx, s.keyCheckKey(), s.keys.current.check, 0).Result()
	if err != nil {
		return s.storeErr(err)
	}
	if !ok {
		// Another process initialized it meanwhile; check against theirs.
		return s.CheckKey(ctx)
	}
	return nil
}
