package harmony

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// The service-account JWT [vendor-protocols-harmony.md §1; HWJWT, HWDEMO
// JWTSignUtils.java]: header {"kid", "typ": "JWT", "alg": "PS256"}, claims
// iss = sub_account, aud = the token URL below (fixed: it is only the
// audience, nothing is exchanged there), iat and exp = iat + 3600. The JWT
// itself is the bearer token; Push Kit refuses an expired one (80200005)
// and one living over a day (80300036).
const (
	// Audience is the aud claim.
	Audience = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
	// jwtLife is the lifetime Huawei advises; the JWT is reused meanwhile.
	jwtLife = time.Hour
	// refreshMargin renews the JWT this long before it expires (HWDEMO
	// renews 10 s before; a wider margin absorbs clock skew).
	refreshMargin = 2 * time.Minute
	// minKeyBits refuses keys too weak to be Huawei's (it issues RSA-4096).
	minKeyBits = 2048
)

// idRE is what project_id, key_id and sub_account may hold: they go into
// the URL and the JWT, and Huawei issues them as digits and hex [UNCERTAIN
// on their exact alphabet; this is deliberately wider].
var idRE = regexp.MustCompile(`^[0-9A-Za-z_.-]{1,128}$`)

// keyFile is the part of a service-account key file pushd reads when the
// whole file is uploaded as private_key.
type keyFile struct {
	ProjectID  string `json:"project_id"`
	KeyID      string `json:"key_id"`
	PrivateKey string `json:"private_key"`
	SubAccount string `json:"sub_account"`
}

// checkCredential is the descriptor's Check: the ids are well formed and
// the private key is an RSA key, matching the key file's ids when the
// whole file was uploaded. Reasons never quote the key.
func checkCredential(fields map[string]string, secrets map[string][]byte) error {
	for _, f := range []string{vendors.FieldProjectID, vendors.FieldKeyID, FieldSubAccount} {
		if v := fields[f]; v != "" && !idRE.MatchString(v) {
			return &vendors.FieldError{Field: f, Reason: "must be letters, digits, '.', '_' or '-' as in the key file"}
		}
	}
	_, err := parseKey(secrets[SecretPrivateKey], fields)
	return err
}

// parseKey reads the private key: a PEM block, a PEM pasted from the JSON
// with its "\n" escapes, or the whole key file, whose ids must then match
// the certificate's.
func parseKey(b []byte, fields map[string]string) (*rsa.PrivateKey, error) {
	refuse := func(reason string) error { return &vendors.FieldError{Field: SecretPrivateKey, Reason: reason} }
	b = bytes.TrimSpace(b)
	if bytes.HasPrefix(b, []byte("{")) {
		var kf keyFile
		if json.Unmarshal(b, &kf) != nil || kf.PrivateKey == "" {
			return nil, refuse("is JSON but not a service-account key file with a private_key")
		}
		for f, v := range map[string]string{vendors.FieldProjectID: kf.ProjectID, vendors.FieldKeyID: kf.KeyID, FieldSubAccount: kf.SubAccount} {
			if fields[f] != "" && v != "" && fields[f] != v {
				return nil, &vendors.FieldError{Field: f, Reason: fmt.Sprintf("%q differs from the key file's %s %q", fields[f], f, v)}
			}
		}
		b = []byte(kf.PrivateKey)
	}
	if !bytes.Contains(b, []byte("\n")) && bytes.Contains(b, []byte(`\n`)) {
		b = bytes.ReplaceAll(b, []byte(`\n`), []byte("\n"))
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, refuse("is not a PEM private key (-----BEGIN PRIVATE KEY-----)")
	}
	key, known, err := vendorhttp.PrivateKey(block)
	rk, ok := key.(*rsa.PrivateKey)
	switch {
	case !known:
		return nil, refuse("is a PEM block of another kind, not a private key")
	case err != nil:
		return nil, refuse("cannot be parsed as a PKCS #8 private key")
	case !ok:
		return nil, refuse("is not an RSA key (PS256 signs with RSA)")
	case rk.N.BitLen() < minKeyBits:
		return nil, refuse(fmt.Sprintf("is a %d-bit RSA key; Huawei issues at least %d bits", rk.N.BitLen(), minKeyBits))
	}
	return rk, nil
}

// signer mints the service-account JWT of one certificate.
type signer struct {
	key      *rsa.PrivateKey
	kid, iss string
	now      func() time.Time
}

// mint returns a new JWT and its lifetime; tokencache calls it.
func (s *signer) mint(context.Context) (string, time.Duration, error) {
	tok, err := s.sign(s.now())
	return tok, jwtLife, err
}

// sign returns the JWT issued at now, signed RSASSA-PSS SHA-256 with a
// salt as long as the hash, as both Huawei SDKs sign.
func (s *signer) sign(now time.Time) (string, error) {
	header, _ := json.Marshal(map[string]string{"kid": s.kid, "typ": "JWT", "alg": "PS256"})
	iat := now.Unix()
	claims, _ := json.Marshal(map[string]any{"iss": s.iss, "aud": Audience, "iat": iat, "exp": iat + int64(jwtLife/time.Second)})
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPSS(rand.Reader, s.key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		return "", &vendors.Error{Vendor: Harmony, Kind: vendors.Auth, Message: "signing the JWT failed", Err: err}
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// bearer is the Authorization header of a JWT.
func bearer(jwt string) string { return "Bearer " + strings.TrimSpace(jwt) }
