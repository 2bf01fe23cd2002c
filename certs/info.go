package certs

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Info is everything about a certificate that is safe to show: metadata,
// settings, fingerprints and health, never secret bytes.
type Info struct {
	ID      int64          `json:"cert_id"`
	AppID   string         `json:"app_id"`
	Vendor  vendors.Vendor `json:"vendor"`
	Name    string         `json:"name,omitempty"`
	Version int64          `json:"version"`
	// Fields holds the non-secret settings, keyed by the vendors.Field*
	// names.
	Fields map[string]string `json:"fields,omitempty"`
	// Fingerprints maps each secret name (except the .p12 password) to
	// its Fingerprint.
	Fingerprints map[string]string `json:"fingerprints"`
	// NotAfter is the expiry of a .p12's leaf certificate.
	NotAfter  *time.Time    `json:"not_after,omitempty"`
	Click     vendors.Click `json:"click"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	// Healthy is false when the vendor rejected the credentials (set by
	// the workers through SetHealth) or the .p12 has expired.
	Healthy      bool   `json:"healthy"`
	HealthReason string `json:"health_reason,omitempty"`
}

// record is the JSON document stored at {prefix}cert:{id}: the Info plus
// the sealed secrets and, from format 2 on, the id of the master key that
// sealed them and a MAC of the metadata (see auth.go).
type record struct {
	Info
	// Sealed is base64(nonce || AES-256-GCM(JSON(secrets))), with the
	// cert id, app and vendor (and, in format 2, the version) as
	// additional data.
	Sealed string `json:"sealed"`
	// Format is 2 for authenticated records; absent (0) for records
	// written before it existed (format 1).
	Format int `json:"format,omitempty"`
	// KeyID is the KeyID of the master key that sealed the secrets and
	// computed MAC.
	KeyID string `json:"key_id,omitempty"`
	// MAC is base64(HMAC-SHA256) of the authenticated fields (macInput).
	MAC string `json:"mac,omitempty"`
	// opener is the key that opens Sealed, set by Store.load after the
	// MAC checked out (nil for format 1: try every key).
	opener *sealer
}

// decodeRecord parses a stored document, checking it belongs to id.
func decodeRecord(id int64, raw string) (*record, error) {
	var r record
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, fmt.Errorf("certificate %d: stored record is corrupt: %w", id, err)
	}
	if r.ID != id {
		return nil, fmt.Errorf("certificate %d: stored record claims cert_id %d", id, r.ID)
	}
	return &r, nil
}

// info returns the shareable view of r at now. An expired .p12 shows as
// unhealthy even before a send fails, so listings flag it.
func (r *record) info(now time.Time) Info {
	in := r.Info
	in.Fields = maps.Clone(r.Fields)
	in.Fingerprints = maps.Clone(r.Fingerprints)
	if in.Fingerprints == nil {
		in.Fingerprints = map[string]string{}
	}
	if r.NotAfter != nil {
		na := *r.NotAfter
		in.NotAfter = &na
		if in.Healthy && !now.Before(na) {
			in.Healthy = false
			in.HealthReason = "the .p12 certificate expired on " + na.UTC().Format(time.RFC3339)
		}
	}
	return in
}

// credential returns what adapters need from r with its opened secrets.
func (r *record) credential(secrets map[string][]byte) *vendors.Credential {
	return &vendors.Credential{
		ID:      r.ID,
		AppID:   r.AppID,
		Vendor:  r.Vendor,
		Version: r.Version,
		Fields:  maps.Clone(r.Fields),
		Secrets: secrets,
		Click:   r.Click,
	}
}
