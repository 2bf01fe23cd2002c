package certs

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pushd/pushd/vendors"
)

// MasterKeySize is the length of PUSHD_MASTER_KEY once base64-decoded: an
// AES-256 key.
const MasterKeySize = 32

// ErrWrongKey reports secrets or a key check value written under another
// master key (or tampered with: AES-GCM cannot tell the two apart).
var ErrWrongKey = errors.New("wrong PUSHD_MASTER_KEY?")

// The HKDF labels that derive independent keys from the master key, so the
// key check value published in Redis says nothing about the AES key.
const (
	infoSeal     = "pushd certs: aes-256-gcm secrets v1"
	infoKeyCheck = "pushd certs: key check value v1"
	infoMAC      = "pushd certs: metadata hmac-sha256 v1"
)

// sealer encrypts certificate secrets with AES-256-GCM and authenticates
// certificate metadata with HMAC-SHA256, each under its own key derived
// from one master key.
type sealer struct {
	aead  cipher.AEAD
	check string
	// id names the master key in records: see KeyID.
	id     string
	macKey []byte
}

// KeyID names a master key without revealing it: the hex of the first 8
// bytes of its SHA-256. Records store the id of the key that sealed them, so
// a store can hold certificates under two keys during a rekey.
func KeyID(master []byte) string {
	sum := sha256.Sum256(master)
	return hex.EncodeToString(sum[:8])
}

// newSealer derives the sealing key and the key check value from master.
func newSealer(master []byte) (*sealer, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("master key is %d bytes, want %d", len(master), MasterKeySize)
	}
	key, err := hkdf.Key(sha256.New, master, nil, infoSeal, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	kcv, err := hkdf.Key(sha256.New, master, nil, infoKeyCheck, 16)
	if err != nil {
		return nil, err
	}
	macKey, err := hkdf.Key(sha256.New, master, nil, infoMAC, 32)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, check: "v1:" + hex.EncodeToString(kcv), id: KeyID(master), macKey: macKey}, nil
}

// aad binds a format-1 ciphertext to its certificate: moved to another
// cert_id, app or vendor it no longer opens.
func aad(id int64, app string, v vendors.Vendor) []byte {
	return fmt.Appendf(nil, "pushd-cert\x00%d\x00%s\x00%s", id, app, v)
}

// aadV2 binds a format-2 ciphertext to its certificate and to one version
// of it: sealed secrets of version 3 restored into the record of version 4
// no longer open.
func aadV2(id int64, app string, v vendors.Vendor, version int64) []byte {
	return fmt.Appendf(nil, "pushd-cert-v2\x00%d\x00%s\x00%s\x00%d", id, app, v, version)
}

// seal returns base64(nonce || AES-256-GCM(JSON(secrets))).
func (s *sealer) seal(secrets map[string][]byte, ad []byte) (string, error) {
	plain, err := json.Marshal(secrets)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, ad)), nil
}

// open reverses seal. Every failure is ErrWrongKey but a malformed
// encoding, and none carries key or secret material.
func (s *sealer) open(sealed string, ad []byte) (map[string][]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, errors.New("sealed secrets are malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], ad)
	if err != nil {
		return nil, ErrWrongKey
	}
	var secrets map[string][]byte
	if err := json.Unmarshal(plain, &secrets); err != nil {
		return nil, errors.New("decrypted secrets are not a JSON object")
	}
	return secrets, nil
}

// matches compares a stored key check value in constant time.
func (s *sealer) matches(stored string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(s.check)) == 1
}

// ParseMasterKey decodes PUSHD_MASTER_KEY: the base64 (standard or URL
// alphabet, padded or not) of 32 random bytes, as `openssl rand -base64 32`
// prints. Errors never echo the value.
func ParseMasterKey(b64 string) ([]byte, error) {
	s := strings.TrimSpace(b64)
	if s == "" {
		return nil, errors.New("PUSHD_MASTER_KEY is empty; generate one with: openssl rand -base64 32")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != MasterKeySize {
			return nil, fmt.Errorf("PUSHD_MASTER_KEY decodes to %d bytes, want %d; generate one with: openssl rand -base64 32", len(key), MasterKeySize)
		}
		return key, nil
	}
	return nil, errors.New("PUSHD_MASTER_KEY is not valid base64; generate one with: openssl rand -base64 32")
}

// Fingerprint identifies a secret without revealing it: "sha256:" and the
// first 16 hex digits of its SHA-256, which an operator can compare with
// `sha256sum file | cut -c1-16`.
func Fingerprint(secret []byte) string {
	sum := sha256.Sum256(secret)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// fingerprints returns the Fingerprint of every secret but the .p12
// password: passwords are chosen by people, and a fast hash of one would
// invite an offline guessing attack.
func fingerprints(secrets map[string][]byte) map[string]string {
	out := make(map[string]string, len(secrets))
	for name, b := range secrets {
		if name != vendors.SecretPassword {
			out[name] = Fingerprint(b)
		}
	}
	return out
}
