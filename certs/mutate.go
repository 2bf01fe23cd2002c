package certs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// maxUpdateAttempts bounds the optimistic-locking retries of one update:
// a conflict means another process changed the same certificate at the
// same instant, which is rare.
const maxUpdateAttempts = 5

// maxReasonBytes caps a stored health reason; vendor error bodies can be
// long.
const maxReasonBytes = 512

// Rotate replaces the credentials of certificate id, keeping its cert_id
// (devices stay bound to it): version+1, health reset. up must name the
// same app and vendor (empty means the same). Secrets are taken from up
// only; when up.Fields is nil the current settings are kept, when up.Name
// is empty the name is kept, when up.Click is zero the click action is kept.
// Nothing changes when validation fails.
func (s *Store) Rotate(ctx context.Context, id int64, up Upload) (*Info, error) {
	if err := s.CheckKey(ctx); err != nil {
		return nil, err
	}
	var out Info
	err := s.update(ctx, id, func(r *record) (bool, error) {
		u := up
		if err := inherit(r, &u); err != nil {
			return false, err
		}
		now := s.nowUTC()
		parsed, err := Validate(&u, now)
		if err != nil {
			return false, err
		}
		r.Version++
		if err := s.fill(r, &u, parsed, now); err != nil {
			return false, err
		}
		out = r.info(now)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// inherit fills what a rotation leaves out from the current record r and
// refuses to move a certificate to another app or vendor: devices report
// the cert_id, so it must keep meaning the same app and vendor.
func inherit(r *record, up *Upload) error {
	if up.AppID == "" {
		up.AppID = r.AppID
	}
	if up.Vendor == "" {
		up.Vendor = r.Vendor
	}
	if up.AppID != r.AppID {
		return invalid("app_id", "certificate %d belongs to app %q; a rotation cannot move it (add a new certificate instead)", r.ID, r.AppID)
	}
	if up.Vendor != r.Vendor {
		return invalid("vendor", "certificate %d is a %s certificate; a rotation cannot change the vendor (add a new certificate instead)", r.ID, r.Vendor)
	}
	if up.Name == "" {
		up.Name = r.Name
	}
	if up.Click == (vendors.Click{}) {
		up.Click = r.Click
	}
	if up.Fields == nil {
		up.Fields = maps.Clone(r.Fields)
		// Derived or mode-specific settings are recomputed from the new
		// secrets rather than carried over.
		delete(up.Fields, vendors.FieldProjectID)
		if r.Vendor == vendors.APNs && up.Secrets[vendors.SecretP12] != nil {
			delete(up.Fields, vendors.FieldKeyID)
			delete(up.Fields, vendors.FieldTeamID)
		}
	}
	return nil
}

// SetHealth records whether the vendor accepts certificate id's
// credentials; reason (shown in listings) says why not. Workers call it
// after sends, so an unchanged health costs one read and no write.
func (s *Store) SetHealth(ctx context.Context, id int64, healthy bool, reason string) error {
	return s.setHealth(ctx, id, 0, healthy, reason)
}

// SetHealthIfVersion is SetHealth for a verdict about one version of the
// credentials: it does nothing if the certificate was rotated since, so a
// worker still holding the old credentials cannot mark the new ones
// unhealthy.
func (s *Store) SetHealthIfVersion(ctx context.Context, id, version int64, healthy bool, reason string) error {
	return s.setHealth(ctx, id, version, healthy, reason)
}

// setHealth implements SetHealth; version 0 matches any version.
func (s *Store) setHealth(ctx context.Context, id, version int64, healthy bool, reason string) error {
	reason = clipReason(reason)
	return s.update(ctx, id, func(r *record) (bool, error) {
		if (version != 0 && r.Version != version) || (r.Healthy == healthy && r.HealthReason == reason) {
			return false, nil
		}
		r.Healthy, r.HealthReason = healthy, reason
		return true, nil
	})
}

// clipReason cuts reason to maxReasonBytes without splitting a character.
func clipReason(reason string) string {
	if len(reason) <= maxReasonBytes {
		return reason
	}
	cut := maxReasonBytes
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut] + "…"
}

// update applies fn to the record of id under optimistic locking (WATCH)
// and writes it back when fn reports a change.
func (s *Store) update(ctx context.Context, id int64, fn func(r *record) (bool, error)) error {
	key := s.certKey(id)
	for range maxUpdateAttempts {
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			r, err := s.load(ctx, tx, id)
			if err != nil {
				return err
			}
			changed, err := fn(r)
			if err != nil || !changed {
				return err
			}
			doc, err := json.Marshal(r)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, doc, 0)
				return nil
			})
			return err
		}, key)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return fmt.Errorf("certificate %d: changed concurrently %d times; try again", id, maxUpdateAttempts)
}

// Delete removes certificate id. Its cert_id is never handed out again.
func (s *Store) Delete(ctx context.Context, id int64) error {
	key := s.certKey(id)
	for range maxUpdateAttempts {
		var app string
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			r, err := s.loadUnverified(ctx, tx, id)
			if err != nil {
				return err
			}
			app = r.AppID
			// Only the record is deleted in the transaction: the indexes
			// hash to other Redis Cluster slots (one MULTI over them would
			// be refused with CROSSSLOT). A stray index entry is skipped
			// by List and removed below or by the next Delete.
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, key)
				return nil
			})
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err == nil || errors.Is(err, ErrNotFound) {
			// Drop the index entries (a stray one, if the record was
			// already gone), then report the outcome.
			s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.SRem(ctx, s.allKey(), id)
				if app != "" {
					p.SRem(ctx, s.appKey(app), id)
				}
				return nil
			})
		}
		return err
	}
	return fmt.Errorf("certificate %d: changed concurrently %d times; try again", id, maxUpdateAttempts)
}

// List returns the certificates of appID ("" = every app), sorted by id.
func (s *Store) List(ctx context.Context, appID string) ([]Info, error) {
	set := s.allKey()
	if appID != "" {
		set = s.appKey(appID)
	}
	members, err := s.rdb.SMembers(ctx, set).Result()
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
	return s.infos(ctx, ids, appID)
}

// infos reads the records of ids in one pipeline. Ids whose record is gone
// (deleted between the two reads) are skipped.
func (s *Store) infos(ctx context.Context, ids []int64, appID string) ([]Info, error) {
	cmds := make([]*redis.StringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, s.certKey(id))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.storeErr(err)
	}
	now := s.nowUTC()
	out := make([]Info, 0, len(ids))
	for i, cmd := range cmds {
		raw, err := cmd.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, s.storeErr(err)
		}
		r, err := decodeRecord(ids[i], raw)
		if err != nil {
			return nil, err
		}
		if _, err := s.verify(ctx, r); err != nil {
			return nil, err
		}
		if appID == "" || r.AppID == appID {
			out = append(out, r.info(now))
		}
	}
	return out, nil
}
