package vendorhttp

import (
	"crypto/x509"
	"encoding/pem"
)

// PrivateKey parses a PEM block of one of the two private-key forms the
// vendors issue: PKCS #8 ("PRIVATE KEY": Google's service accounts,
// Huawei's key files) and PKCS #1 ("RSA PRIVATE KEY"). ok is false for a
// block of any other type; err is the parse error of a known one. The
// caller checks the key's type and says what is wrong in its own terms.
func PrivateKey(block *pem.Block) (key any, ok bool, err error) {
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, false, nil
	}
	return key, true, err
}
