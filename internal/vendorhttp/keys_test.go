package vendorhttp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
)

func TestPrivateKeyReadsPKCS8AndPKCS1Only(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rk)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ek)
	cases := []struct {
		name       string
		block      pem.Block
		known, rsa bool
		parseErr   bool
	}{
		{"PKCS #8 RSA", pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8RSA}, true, true, false},
		{"PKCS #1 RSA", pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}, true, true, false},
		{"PKCS #8 EC", pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8EC}, true, false, false},
		{"garbage", pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not DER")}, true, false, true},
		{"certificate", pem.Block{Type: "CERTIFICATE", Bytes: pkcs8RSA}, false, false, false},
		{"SEC1 EC", pem.Block{Type: "EC PRIVATE KEY", Bytes: pkcs8EC}, false, false, false},
	}
	for _, c := range cases {
		key, known, err := PrivateKey(&c.block)
		_, isRSA := key.(*rsa.PrivateKey)
		if known != c.known || isRSA != c.rsa || (err != nil) != c.parseErr {
			t.Errorf("%s: known %v, RSA %v, err %v", c.name, known, isRSA, err)
		}
	}
}
