package certs

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
)

// maxP12Iterations bounds every key-derivation iteration count a .p12 may
// ask for. Exporters use 2,048 (Keychain Access, OpenSSL, go-pkcs12) to
// 10,000 (OpenSSL 3's PBES2) and at most a few hundred thousand (hardened
// PBKDF2); go-pkcs12 honours whatever count the file names, and a crafted
// 1 KB file asking for 2^24 kept it busy for 2.85 s (2^31: minutes).
const maxP12Iterations = 1 << 21

// maxP12Bytes bounds the size of a .p12: an APNs certificate with its key
// and chain is 3 to 6 KB.
const maxP12Bytes = 32 << 10

var (
	// errTooManyIterations reports a count above maxP12Iterations.
	errTooManyIterations = errors.New("iteration count too high")
	// errP12Structure reports a file that is not the PKCS#12 structure
	// go-pkcs12 decodes; it would refuse it too.
	errP12Structure = errors.New("not a PKCS#12 structure")
)

// The shapes go-pkcs12 v0.7.4 decodes (pkcs12.go, mac.go, crypto.go),
// decoded here with the same encoding/asn1 rules, so the counts read are
// the counts it would use.
type (
	p12PFX struct {
		Version  int
		AuthSafe p12ContentInfo
		MacData  p12MacData `asn1:"optional"`
	}
	p12ContentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
	}
	p12MacData struct {
		Mac struct {
			Algorithm pkix.AlgorithmIdentifier
			Digest    []byte
		}
		MacSalt    []byte
		Iterations int `asn1:"optional,default:1"`
	}
	p12EncryptedData struct {
		Version              int
		EncryptedContentInfo struct {
			ContentType                asn1.ObjectIdentifier
			ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
			EncryptedContent           []byte `asn1:"tag:0,optional"`
		}
	}
	p12SafeBag struct {
		ID         asn1.ObjectIdentifier
		Value      asn1.RawValue `asn1:"tag:0,explicit"`
		Attributes []struct {
			ID    asn1.ObjectIdentifier
			Value asn1.RawValue `asn1:"set"`
		} `asn1:"set,optional"`
	}
	p12ShroudedKey struct {
		Algorithm     pkix.AlgorithmIdentifier
		EncryptedData []byte
	}
	p12PBEParams struct {
		Salt       []byte
		Iterations int
	}
	p12PBES2Params struct {
		Kdf, EncryptionScheme pkix.AlgorithmIdentifier
	}
	p12PBKDF2Params struct {
		Salt       asn1.RawValue
		Iterations int
		KeyLength  int                      `asn1:"optional"`
		Prf        pkix.AlgorithmIdentifier `asn1:"optional"`
	}
)

var (
	oidP12Data          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidP12EncryptedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidP12ShroudedKey   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidPBES2            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBMAC1           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidPBKDF2           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	// oidPKCS12PBE is the arc of the PKCS#12 PBE algorithms
	// (pbeWithSHAAnd3-KeyTripleDES-CBC is .3, RFC 7292 appendix C).
	oidPKCS12PBE = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1}
)

// checkP12Iterations reads a .p12 the way go-pkcs12 will and refuses it
// before any key derivation when it is too large, not the structure
// go-pkcs12 decodes (errP12Structure), or names an iteration count above
// maxP12Iterations (errTooManyIterations) in the MAC (PKCS#12 MAC or
// PBMAC1), in an encrypted content's PBE/PBES2 parameters, or in a shrouded
// key bag of a plain content.
//
// It fails closed: the guard it replaces scanned for "an INTEGER after an
// OCTET STRING" and skipped what it could not parse, so one trailing byte
// inside a SEQUENCE (which encoding/asn1, hence go-pkcs12, ignores) or a
// salt with a non-universal tag 4 (go-pkcs12 checks only the tag number of
// a PBKDF2 salt) hid a count of 2^24 from it.
//
// Not covered: a shrouded key bag inside an encrypted content is only seen
// once that content is decrypted (with a checked count); see
// docs/certificates.md.
func checkP12Iterations(data []byte) error {
	if len(data) > maxP12Bytes {
		return fmt.Errorf("%w: %d bytes, at most %d", errP12Structure, len(data), maxP12Bytes)
	}
	var pfx p12PFX
	if err := strictUnmarshal(data, &pfx); err != nil {
		return err
	}
	if err := checkMAC(&pfx.MacData); err != nil {
		return err
	}
	if !pfx.AuthSafe.ContentType.Equal(oidP12Data) {
		return nil // go-pkcs12 refuses it before deriving anything
	}
	var content []byte
	if err := strictUnmarshal(pfx.AuthSafe.Content.Bytes, &content); err != nil {
		return err
	}
	var safe []p12ContentInfo
	if err := strictUnmarshal(content, &safe); err != nil {
		return err
	}
	for _, ci := range safe {
		if err := checkContent(ci); err != nil {
			return err
		}
	}
	return nil
}

// strictUnmarshal is asn1.Unmarshal refusing trailing data, as go-pkcs12's
// unmarshal does; every failure is errP12Structure.
func strictUnmarshal(b []byte, v any) error {
	rest, err := asn1.Unmarshal(b, v)
	if err != nil || len(rest) != 0 {
		return errP12Structure
	}
	return nil
}

// checkMAC checks the MAC's count: PBMAC1 keeps it in its PBKDF2
// parameters, the PKCS#12 MAC in MacData.
func checkMAC(m *p12MacData) error {
	alg := m.Mac.Algorithm
	if len(alg.Algorithm) == 0 {
		return nil
	}
	if alg.Algorithm.Equal(oidPBMAC1) {
		var p struct{ Kdf, MacAlg pkix.AlgorithmIdentifier }
		if err := strictUnmarshal(alg.Parameters.FullBytes, &p); err != nil {
			return err
		}
		return checkPBKDF2(p.Kdf)
	}
	return checkCount(m.Iterations)
}

// checkContent checks one item of the authenticated safe.
func checkContent(ci p12ContentInfo) error {
	switch {
	case ci.ContentType.Equal(oidP12Data):
		var data []byte
		if err := strictUnmarshal(ci.Content.Bytes, &data); err != nil {
			return err
		}
		var bags []p12SafeBag
		if err := strictUnmarshal(data, &bags); err != nil {
			return err
		}
		for _, bag := range bags {
			if !bag.ID.Equal(oidP12ShroudedKey) {
				continue
			}
			var k p12ShroudedKey
			if err := strictUnmarshal(bag.Value.Bytes, &k); err != nil {
				return err
			}
			if err := checkPBE(k.Algorithm); err != nil {
				return err
			}
		}
	case ci.ContentType.Equal(oidP12EncryptedData):
		var ed p12EncryptedData
		if err := strictUnmarshal(ci.Content.Bytes, &ed); err != nil {
			return err
		}
		return checkPBE(ed.EncryptedContentInfo.ContentEncryptionAlgorithm)
	}
	return nil
}

// checkPBE checks the count of a PKCS#12 PBE or PBES2 algorithm. Other
// algorithms go-pkcs12 refuses before deriving anything.
func checkPBE(alg pkix.AlgorithmIdentifier) error {
	if alg.Algorithm.Equal(oidPBES2) {
		var p p12PBES2Params
		if err := strictUnmarshal(alg.Parameters.FullBytes, &p); err != nil {
			return err
		}
		return checkPBKDF2(p.Kdf)
	}
	if len(alg.Algorithm) != len(oidPKCS12PBE)+1 || !alg.Algorithm[:len(oidPKCS12PBE)].Equal(oidPKCS12PBE) {
		return nil
	}
	var p p12PBEParams
	if err := strictUnmarshal(alg.Parameters.FullBytes, &p); err != nil {
		return err
	}
	return checkCount(p.Iterations)
}

// checkPBKDF2 checks the count of a PBKDF2 key-derivation algorithm.
func checkPBKDF2(kdf pkix.AlgorithmIdentifier) error {
	if !kdf.Algorithm.Equal(oidPBKDF2) {
		return nil // go-pkcs12 refuses other KDFs before deriving
	}
	var p p12PBKDF2Params
	if err := strictUnmarshal(kdf.Parameters.FullBytes, &p); err != nil {
		return err
	}
	return checkCount(p.Iterations)
}

// checkCount refuses a count above maxP12Iterations.
func checkCount(n int) error {
	if n > maxP12Iterations {
		return fmt.Errorf("%w: %d", errTooManyIterations, n)
	}
	return nil
}
