package apns

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sideshow/apns2/token"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/pushd/pushd/internal/tokencache"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Provider-token (JWT) lifetimes, vendor-protocols.md §1 (Auth): APNs
// refuses a JWT older than one hour (ExpiredProviderToken) and renewals more
// often than every 20 minutes (TooManyProviderTokenUpdates). pushd renews at
// 50 minutes, as apns2 does (token.TokenTimeout).
const (
	jwtMaxAge     = time.Hour
	jwtRenewAfter = token.TokenTimeout * time.Second
)

// jwtSigner makes APNs provider tokens: ES256 JWTs with header
// {"alg":"ES256","kid":keyID} and claims {"iss":teamID,"iat":now}, exactly
// as apns2's token.Generate writes them, but on pushd's clock.
type jwtSigner struct {
	key    *ecdsa.PrivateKey
	keyID  string
	teamID string
	now    func() time.Time
}

// sign returns a fresh JWT and how long it may be used; it is the
// tokencache.Fetch of the sender's JWT cache.
func (s *jwtSigner) sign(context.Context) (string, time.Duration, error) {
	t := &jwt.Token{
		Header: map[string]any{"alg": jwt.SigningMethodES256.Alg(), "kid": s.keyID},
		Claims: jwt.MapClaims{"iss": s.teamID, "iat": s.now().Unix()},
		Method: jwt.SigningMethodES256,
	}
	signed, err := t.SignedString(s.key)
	if err != nil {
		return "", 0, fmt.Errorf("sign APNs provider token: %w", err)
	}
	return signed, jwtMaxAge, nil
}

// describe is what DryRun shows instead of the bearer token.
func (s *jwtSigner) describe() string {
	return fmt.Sprintf("bearer %s (ES256 JWT kid=%s iss=%s)", vendors.Redacted, s.keyID, s.teamID)
}

// newJWTCache returns the cache that hands out one JWT to every request and
// renews it jwtRenewAfter after it was signed.
func newJWTCache(s *jwtSigner) *tokencache.Cache {
	return tokencache.New(s.sign, jwtMaxAge-jwtRenewAfter, s.now)
}

// parseP8 reads the token-auth key of cred. Errors name the certificate and
// the problem, never the key bytes.
func parseP8(cred *vendors.Credential) (*ecdsa.PrivateKey, error) {
	if err := cred.Require(vendors.FieldKeyID, vendors.FieldTeamID); err != nil {
		return nil, fmt.Errorf("%w (token auth with a .p8 key)", err)
	}
	key, err := token.AuthKeyFromBytes(cred.Secret(vendors.SecretP8))
	if err != nil {
		return nil, fmt.Errorf("apns certificate %d: p8 is not a PEM PKCS#8 EC key: %w", cred.ID, cleanKeyError(err))
	}
	if key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("apns certificate %d: p8 key is on %s, APNs needs P-256", cred.ID, key.Curve.Params().Name)
	}
	return key, nil
}

// cleanKeyError keeps apns2's own sentinel errors and replaces any other
// (an x509 parse error) with a fixed text, so no error quotes key material.
func cleanKeyError(err error) error {
	if errors.Is(err, token.ErrAuthKeyNotPem) || errors.Is(err, token.ErrAuthKeyNotECDSA) {
		return err
	}
	return errors.New("the key cannot be parsed")
}

// parseP12 reads the client certificate of cred. It uses go-pkcs12 rather
// than apns2's certificate package because current Keychain exports are
// AES-encrypted (PBES2), which apns2's x/crypto/pkcs12 cannot read.
func parseP12(cred *vendors.Credential) (tls.Certificate, error) {
	key, cert, chain, err := pkcs12.DecodeChain(cred.Secret(vendors.SecretP12), string(cred.Secret(vendors.SecretPassword)))
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return tls.Certificate{}, fmt.Errorf("apns certificate %d: p12: wrong password", cred.ID)
	}
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("apns certificate %d: p12 cannot be read: %w", cred.ID, err)
	}
	c := tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
	for _, ca := range chain {
		c.Certificate = append(c.Certificate, ca.Raw)
	}
	return c, nil
}

// httpClient returns the sender's own long-lived HTTP/2 client and whether
// the sender owns it: vendorhttp's client for APNs (guarded dialer,
// connect, TLS, header and request timeouts, HTTP/2 health-check pings),
// built on ep.Client's transport when there is one so a fake's CA stays
// trusted, presenting cert when certificate auth is used. A shared
// endpoint transport is cloned, never changed, so this certificate gets
// connections of its own (APNs binds a connection to the first key or
// certificate used on it).
func httpClient(ep vendors.Endpoint, cert *tls.Certificate) (*http.Client, bool, error) {
	c := vendorhttp.NewClient(vendors.APNs, ep)
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		if cert != nil {
			return nil, false, fmt.Errorf("apns: endpoint client transport %T cannot present a client certificate", c.Transport)
		}
		return c, false, nil
	}
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	return c, true, nil
}
