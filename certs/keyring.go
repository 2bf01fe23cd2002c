package certs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// keyring holds the sealer of the current master key, which seals every
// write, and, during a rekey, the sealer of the previous one, which only
// opens.
type keyring struct {
	current, previous *sealer
}

// byID returns the sealer whose KeyID is id, or nil.
func (k keyring) byID(id string) *sealer {
	switch {
	case id == k.current.id:
		return k.current
	case k.previous != nil && id == k.previous.id:
		return k.previous
	}
	return nil
}

// matches reports whether a stored key check value is the current or the
// previous key's.
func (k keyring) matches(stored string) bool {
	return k.current.matches(stored) || (k.previous != nil && k.previous.matches(stored))
}

// WithPreviousKey lets the store open secrets sealed under the previous
// master key (config master_key_previous) while a rekey moves them to the
// current one; writes always seal under the current key. A key of the wrong
// size makes NewStore fail; the current key given again is ignored.
func WithPreviousKey(key []byte) Option {
	return func(s *Store) { s.prevKey = key }
}

// RekeyResult is what Rekey did.
type RekeyResult struct {
	// Rekeyed counts the certificates re-sealed under the current key.
	Rekeyed int `json:"rekeyed"`
	// Total counts every certificate in the store.
	Total int `json:"total"`
	// KeyID is the KeyID of the current master key.
	KeyID string `json:"key_id"`
}

// Rekey re-seals every certificate not yet under the current master key
// (sealed under the previous one, or in format 1), keeping its cert_id,
// version and secrets, and then records the current key's check value, so
// processes that know only the previous key stop writing. Workers keep
// sending throughout: every read accepts either key. Run it again after a
// failure; certificates already moved are skipped.
func (s *Store) Rekey(ctx context.Context) (*RekeyResult, error) {
	if err := s.CheckKey(ctx); err != nil {
		return nil, err
	}
	ids, err := s.allIDs(ctx)
	if err != nil {
		return nil, err
	}
	res := &RekeyResult{Total: len(ids), KeyID: s.keys.current.id}
	for _, id := range ids {
		moved, err := s.rekeyOne(ctx, id)
		if errors.Is(err, ErrNotFound) {
			res.Total--
			continue
		}
		if err != nil {
			return res, err
		}
		if moved {
			res.Rekeyed++
		}
	}
	if err := s.rdb.Set(ctx, s.keyCheckKey(), s.keys.current.check, 0).Err(); err != nil {
		return res, s.storeErr(err)
	}
	return res, nil
}

// rekeyOne re-seals certificate id under the current key; false when it
// already was.
func (s *Store) rekeyOne(ctx context.Context, id int64) (bool, error) {
	moved := false
	err := s.update(ctx, id, func(r *record) (bool, error) {
		if r.Format == formatAuth && r.KeyID == s.keys.current.id {
			return false, nil
		}
		secrets, err := s.openRecord(r, r.opener)
		if err != nil {
			return false, s.idErr(id, fmt.Errorf("cannot decrypt secrets: %w", err))
		}
		if err := s.keys.current.sealInto(r, secrets); err != nil {
			return false, s.idErr(id, err)
		}
		moved = true
		return true, nil
	})
	return moved, err
}

// allIDs returns every cert id, sorted.
func (s *Store) allIDs(ctx context.Context) ([]int64, error) {
	members, err := s.rdb.SMembers(ctx, s.allKey()).Result()
	if err != nil {
		return nil, s.storeErr(err)
	}
	ids := make([]int64, 0, len(members))
	for _, m := range members {
		if id, err := strconv.ParseInt(m, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// migrated reports whether the store was migrated to format 2.
func (s *Store) migrated(ctx context.Context) (bool, error) {
	v, err := s.rdb.Get(ctx, s.formatKey()).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, s.storeErr(err)
	}
	return v == strconv.Itoa(formatAuth), nil
}

// migrate upgrades every format-1 record to format 2 (sealed under the
// current key, bound to its version, metadata authenticated) and then marks
// the store migrated. It does nothing on a migrated store.
func (s *Store) migrate(ctx context.Context) error {
	done, err := s.migrated(ctx)
	if err != nil || done {
		return err
	}
	ids, err := s.allIDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		err := s.update(ctx, id, func(r *record) (bool, error) {
			if r.Format != formatLegacy {
				return false, nil
			}
			secrets, err := s.openRecord(r, nil)
			if err != nil {
				return false, s.idErr(id, fmt.Errorf("cannot decrypt secrets of a format-1 record: %w", err))
			}
			return true, s.keys.current.sealInto(r, secrets)
		})
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err := s.rdb.Set(ctx, s.formatKey(), formatAuth, 0).Err(); err != nil {
		return s.storeErr(err)
	}
	return nil
}
