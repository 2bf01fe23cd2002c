package certs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Record formats. Format 1 (no "format" field) sealed the secrets bound to
// the cert id, app and vendor only and left the metadata unauthenticated.
// Format 2 binds the secrets to the version too, names the sealing key
// (KeyID) and adds a MAC of the metadata.
//
// Migration: a store keeps reading format-1 records until it has been
// migrated. The first CheckKey of a process (serve runs it at start)
// upgrades every format-1 record in place to format 2 and then sets
// {prefix}certs:format to 2; from then on a format-1 record is refused, so
// an old record (or an old sealed secret in the old format) written back
// into Redis cannot be used.
const (
	formatLegacy = 0
	formatAuth   = 2
)

// ErrTampered reports a record whose metadata or secrets do not match its
// MAC: it was edited outside pushd (or restored from another version).
var ErrTampered = errors.New("stored certificate fails authentication (edited outside pushd?)")

// macInput is what the MAC of a format-2 record covers: everything but the
// health (which workers update without the master key's involvement in the
// metadata) and the MAC itself. json.Marshal sorts map keys, so the
// encoding is canonical.
type macInput struct {
	Format       int               `json:"format"`
	ID           int64             `json:"cert_id"`
	AppID        string            `json:"app_id"`
	Vendor       vendors.Vendor    `json:"vendor"`
	Name         string            `json:"name"`
	Version      int64             `json:"version"`
	Fields       map[string]string `json:"fields"`
	Fingerprints map[string]string `json:"fingerprints"`
	NotAfter     *time.Time        `json:"not_after"`
	Click        vendors.Click     `json:"click"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	KeyID        string            `json:"key_id"`
	Sealed       string            `json:"sealed"`
}

// mac computes the MAC of r under k.
func (k *sealer) mac(r *record) ([]byte, error) {
	in := macInput{
		Format: r.Format, ID: r.ID, AppID: r.AppID, Vendor: r.Vendor, Name: r.Name, Version: r.Version,
		Fields: r.Fields, Fingerprints: r.Fingerprints, NotAfter: r.NotAfter, Click: r.Click,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, KeyID: r.KeyID, Sealed: r.Sealed,
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, k.macKey)
	h.Write([]byte("pushd-cert-mac\x00"))
	h.Write(b)
	return h.Sum(nil), nil
}

// sealInto seals secrets into r under k as a format-2 record bound to r's
// id, app, vendor and version, and authenticates r. Call it after every
// change to the authenticated fields.
func (k *sealer) sealInto(r *record, secrets map[string][]byte) error {
	sealed, err := k.seal(secrets, aadV2(r.ID, r.AppID, r.Vendor, r.Version))
	if err != nil {
		return err
	}
	r.Sealed, r.Format, r.KeyID = sealed, formatAuth, k.id
	sum, err := k.mac(r)
	if err != nil {
		return err
	}
	r.MAC = base64.StdEncoding.EncodeToString(sum)
	return nil
}

// verify checks a decoded record: a format-2 record must carry a valid MAC
// under a known key, a format-1 record is accepted only until the store is
// migrated. It returns the sealer that opens r's secrets (nil for format 1:
// try every key).
func (s *Store) verify(ctx context.Context, r *record) (*sealer, error) {
	switch r.Format {
	case formatAuth:
	case formatLegacy:
		migrated, err := s.migrated(ctx)
		if err != nil {
			return nil, err
		}
		if migrated {
			return nil, s.idErr(r.ID, fmt.Errorf("record in the old unauthenticated format after the store was migrated: %w", ErrTampered))
		}
		return nil, nil
	default:
		return nil, s.idErr(r.ID, fmt.Errorf("unknown record format %d (written by a newer pushd?)", r.Format))
	}
	k := s.keys.byID(r.KeyID)
	if k == nil {
		return nil, s.idErr(r.ID, fmt.Errorf("sealed under master key id %q, neither the current nor the previous key: %w", r.KeyID, ErrWrongKey))
	}
	want, err := k.mac(r)
	if err != nil {
		return nil, s.idErr(r.ID, err)
	}
	got, err := base64.StdEncoding.DecodeString(r.MAC)
	if err != nil || !hmac.Equal(got, want) {
		return nil, s.idErr(r.ID, ErrTampered)
	}
	return k, nil
}

// openRecord decrypts the secrets of a verified record; k is what verify
// returned.
func (s *Store) openRecord(r *record, k *sealer) (map[string][]byte, error) {
	if k != nil {
		return k.open(r.Sealed, aadV2(r.ID, r.AppID, r.Vendor, r.Version))
	}
	ad := aad(r.ID, r.AppID, r.Vendor)
	secrets, err := s.keys.current.open(r.Sealed, ad)
	if errors.Is(err, ErrWrongKey) && s.keys.previous != nil {
		return s.keys.previous.open(r.Sealed, ad)
	}
	return secrets, err
}
