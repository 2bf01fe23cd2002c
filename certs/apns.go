package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/pushd/pushd/vendors"
)

// oidUID is the userId attribute (0.9.2342.19200300.100.1.1) that Apple's
// push certificates carry the bundle id in.
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// validateAPNs checks an APNs upload: the environment, the bundle id (the
// apns-topic) and exactly one of a .p8 token key or a .p12 certificate.
func validateAPNs(up *Upload, p *Parsed, now time.Time) error {
	if err := oneOf(up, vendors.FieldEnv, vendors.EnvDevelopment, vendors.EnvProduction); err != nil {
		return err
	}
	if !bundleID(up.Fields[vendors.FieldBundleID]) {
		return invalid(vendors.FieldBundleID, "%q is not a bundle id (letters, digits, - and ., like com.example.chat)", up.Fields[vendors.FieldBundleID])
	}
	p8, p12 := up.Secrets[vendors.SecretP8], up.Secrets[vendors.SecretP12]
	switch {
	case p8 != nil && p12 != nil:
		return invalid(vendors.SecretP8, "give either a .p8 key or a .p12 certificate, not both")
	case p8 != nil:
		return validateP8(up)
	case p12 != nil:
		return validateP12(up, p, now)
	}
	return invalid(vendors.SecretP8, "an APNs certificate needs a .p8 key (with --key-id and --team-id) or a .p12 certificate (with --password)")
}

// validateP8 checks token-based auth: a PKCS#8 EC P-256 key with its
// 10-character key id and team id, which go into every JWT
// (vendor-protocols.md, APNs token auth).
func validateP8(up *Upload) error {
	if _, ok := up.Secrets[vendors.SecretPassword]; ok {
		return invalid(vendors.SecretPassword, "belongs to a .p12 certificate; a .p8 key has no password")
	}
	for _, f := range []string{vendors.FieldKeyID, vendors.FieldTeamID} {
		v := up.Fields[f]
		if v == "" {
			return invalid(f, "is required with a .p8 key (--%s, shown next to the key in the Apple Developer portal)", flagName(f))
		}
		if !appleID(v) {
			return invalid(f, "%q is not a 10-character Apple id (letters and digits)", v)
		}
	}
	return parseP8(up.Secrets[vendors.SecretP8])
}

// parseP8 checks that b is what Apple issues as a .p8: a PEM "PRIVATE KEY"
// block holding a PKCS#8 ECDSA P-256 key, the only key ES256 signs with.
func parseP8(b []byte) error {
	block, _ := pem.Decode(b)
	if block == nil {
		return invalid(vendors.SecretP8, "is not a PEM file; a .p8 key starts with -----BEGIN PRIVATE KEY-----")
	}
	switch block.Type {
	case "PRIVATE KEY":
	case "EC PRIVATE KEY":
		return invalid(vendors.SecretP8, "is a SEC1 EC key, not the PKCS#8 .p8 Apple issues (convert with: openssl pkcs8 -topk8 -nocrypt)")
	case "ENCRYPTED PRIVATE KEY":
		return invalid(vendors.SecretP8, "is an encrypted key; upload the .p8 file as downloaded from Apple")
	default:
		return invalid(vendors.SecretP8, "holds a PEM %q block, not the PRIVATE KEY of a .p8 file", safePEMType(block.Type))
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return invalid(vendors.SecretP8, "is not a readable PKCS#8 private key")
	}
	return checkP256(key)
}

// checkP256 refuses every key but ECDSA P-256, naming what it got.
func checkP256(key any) error {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return invalid(vendors.SecretP8, "is an EC %s key; APNs needs the EC P-256 key of the .p8 file Apple issued", k.Curve.Params().Name)
		}
		return nil
	case *rsa.PrivateKey:
		return invalid(vendors.SecretP8, "is an RSA key; APNs needs the EC P-256 key of the .p8 file Apple issued")
	case ed25519.PrivateKey:
		return invalid(vendors.SecretP8, "is an Ed25519 key; APNs needs the EC P-256 key of the .p8 file Apple issued")
	}
	return invalid(vendors.SecretP8, "is a %T key; APNs needs the EC P-256 key of the .p8 file Apple issued", key)
}

// validateP12 checks certificate-based auth: the .p12 opens with its
// (mandatory) password, its private key matches the leaf certificate, the
// leaf is valid now, was issued for the env's Apple environment (see
// checkAppleEnv) and for the bundle id.
func validateP12(up *Upload, p *Parsed, now time.Time) error {
	for _, f := range []string{vendors.FieldKeyID, vendors.FieldTeamID} {
		if _, ok := up.Fields[f]; ok {
			return invalid(f, "belongs to a .p8 key; a .p12 certificate does not use it")
		}
	}
	password, ok := up.Secrets[vendors.SecretPassword]
	if !ok {
		return invalid(vendors.SecretPassword, "is required with a .p12 certificate (--password, the one set when exporting it from Keychain Access)")
	}
	key, leaf, err := openP12(up.Secrets[vendors.SecretP12], string(password))
	if err != nil {
		return err
	}
	if err := checkLeaf(leaf, key, now); err != nil {
		return err
	}
	if err := checkAppleEnv(leaf, up.Fields[vendors.FieldEnv]); err != nil {
		return err
	}
	na := leaf.NotAfter.UTC()
	p.NotAfter, p.Subject, p.Topic = &na, leaf.Subject.CommonName, uid(leaf)
	if p.Topic != "" && !topicOf(up.Fields[vendors.FieldBundleID], p.Topic) {
		return invalid(vendors.FieldBundleID, "%q does not match the .p12 certificate, which was issued for %q", up.Fields[vendors.FieldBundleID], p.Topic)
	}
	return nil
}

// openP12 decodes the .p12. The library's own error text is not passed on:
// it is mapped to fixed reasons so no fragment of the file ever reaches a
// message.
func openP12(data []byte, password string) (crypto.PrivateKey, *x509.Certificate, error) {
	switch err := checkP12Iterations(data); {
	case errors.Is(err, errTooManyIterations):
		return nil, nil, invalid(vendors.SecretP12, "asks for more than %d key-derivation iterations; re-export it with the default settings", maxP12Iterations)
	case err != nil:
		return nil, nil, invalid(vendors.SecretP12, "is not a valid .p12 (PKCS#12) file holding one certificate and its private key (at most %d KB, DER-encoded)", maxP12Bytes>>10)
	}
	key, leaf, _, err := pkcs12.DecodeChain(data, password)
	var ni pkcs12.NotImplementedError
	switch {
	case err == nil:
		return key, leaf, nil
	case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
		return nil, nil, invalid(vendors.SecretPassword, "does not open the .p12 certificate (wrong password)")
	case errors.As(err, &ni):
		return nil, nil, invalid(vendors.SecretP12, "uses an encryption algorithm pushd cannot read; re-export it from Keychain Access")
	}
	return nil, nil, invalid(vendors.SecretP12, "is not a valid .p12 (PKCS#12) file holding one certificate and its private key")
}

// checkLeaf checks that the leaf certificate is valid at now and matches
// the private key, since APNs refuses the TLS handshake otherwise.
func checkLeaf(leaf *x509.Certificate, key crypto.PrivateKey, now time.Time) error {
	if now.Before(leaf.NotBefore) {
		return invalid(vendors.SecretP12, "the certificate is not valid until %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if !now.Before(leaf.NotAfter) {
		return invalid(vendors.SecretP12, "the certificate expired on %s (%s ago); create a new one in the Apple Developer portal",
			leaf.NotAfter.UTC().Format(time.RFC3339), ago(now.Sub(leaf.NotAfter)))
	}
	pub, ok := key.(interface{ Public() crypto.PublicKey })
	if !ok {
		return invalid(vendors.SecretP12, "holds an unsupported private key type")
	}
	eq, ok := pub.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(leaf.PublicKey) {
		return invalid(vendors.SecretP12, "the private key does not belong to the certificate")
	}
	return nil
}

// uid returns the certificate's UID attribute (the bundle id on Apple push
// certificates), or "".
func uid(c *x509.Certificate) string {
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidUID) {
			if s, ok := n.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// topicOf reports whether bundle is a topic the certificate for uid can
// push to: the app itself or one of its suffixed topics (.voip,
// .complication, .pushkit.fileprovider) that a universal certificate covers.
func topicOf(bundle, uid string) bool {
	return bundle == uid || strings.HasPrefix(bundle, uid+".")
}

// ago renders d in whole days, or hours below a day.
func ago(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return fmt.Sprintf("%d hours", int(d.Hours()))
}

// bundleID reports whether s looks like an Apple bundle id: letters,
// digits, - and . (Apple's rule), at least two components.
func bundleID(s string) bool {
	if !strings.Contains(s, ".") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '.' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9'))
	}) < 0
}

// appleID reports whether s is a 10-character Apple key or team id.
func appleID(s string) bool {
	if len(s) != 10 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(('A' <= r && r <= 'Z') || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'))
	}) < 0
}

// safePEMType names a PEM block type in an error message. Only the
// well-known labels are echoed: a corrupt file could put anything in the
// header line, and no fragment of an upload may reach a message.
func safePEMType(t string) string {
	switch t {
	case "CERTIFICATE", "PUBLIC KEY", "RSA PRIVATE KEY", "RSA PUBLIC KEY", "PKCS12", "CERTIFICATE REQUEST":
		return t
	}
	return "unexpected"
}
