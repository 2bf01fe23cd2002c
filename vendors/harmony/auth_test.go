package harmony

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
)

func TestCheckCredential(t *testing.T) {
	acc, err := testcreds.NewHarmonyAccount(testProject)
	if err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDER, _ := x509.MarshalPKCS8PrivateKey(small)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(acc.Key)})
	escaped := strings.ReplaceAll(string(acc.PEM), "\n", `\n`)
	fields := func(kv ...string) map[string]string {
		m := map[string]string{vendors.FieldProjectID: acc.ProjectID, vendors.FieldKeyID: acc.KeyID, FieldSubAccount: acc.SubAccount}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name   string
		fields map[string]string
		key    []byte
		field  string // "" = accepted
	}{
		{"PKCS #8 PEM", fields(), acc.PEM, ""},
		{"PKCS #1 PEM", fields(), pkcs1, ""},
		{"PEM pasted with \\n escapes", fields(), []byte(escaped), ""},
		{"the whole key file", fields(), acc.JSON, ""},
		{"key file of another key id", fields(vendors.FieldKeyID, "other"), acc.JSON, vendors.FieldKeyID},
		{"key file of another project", fields(vendors.FieldProjectID, "202"), acc.JSON, vendors.FieldProjectID},
		{"JSON without a key", fields(), []byte(`{"project_id":"1"}`), SecretPrivateKey},
		{"not PEM", fields(), []byte("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), SecretPrivateKey},
		{"a certificate", fields(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), SecretPrivateKey},
		{"an EC key", fields(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), SecretPrivateKey},
		{"a 1024-bit key", fields(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: smallDER}), SecretPrivateKey},
		{"a project id with a slash", fields(vendors.FieldProjectID, "1/2"), acc.PEM, vendors.FieldProjectID},
		{"a sub_account with a space", fields(FieldSubAccount, "1 2"), acc.PEM, FieldSubAccount},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkCredential(c.fields, map[string][]byte{SecretPrivateKey: c.key})
			var fe *vendors.FieldError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
				t.Fatalf("err = %v, want a FieldError on %s", err, c.field)
			case err != nil && strings.Contains(err.Error(), "MII"):
				t.Fatalf("the reason quotes the key: %v", err)
			}
		})
	}
}

// TestSignedJWT decodes a JWT the signer made and verifies it with the
// public key, independently of the fake's JWT library.
func TestSignedJWT(t *testing.T) {
	acc, err := testcreds.NewHarmonyAccount(testProject)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tok, err := (&signer{key: acc.Key, kid: acc.KeyID, iss: acc.SubAccount}).sign(now)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	var header map[string]string
	var claims map[string]any
	decode := func(s string, v any) {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || json.Unmarshal(b, v) != nil {
			t.Fatalf("part %q: %v", s, err)
		}
	}
	decode(parts[0], &header)
	decode(parts[1], &claims)
	if header["kid"] != acc.KeyID || header["typ"] != "JWT" || header["alg"] != "PS256" || len(header) != 3 {
		t.Errorf("header %v", header)
	}
	if claims["iss"] != acc.SubAccount || claims["aud"] != Audience || claims["iat"] != float64(now.Unix()) ||
		claims["exp"] != float64(now.Add(time.Hour).Unix()) || len(claims) != 4 {
		t.Errorf("claims %v", claims)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPSS(&acc.Key.PublicKey, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
		t.Fatalf("PS256 signature with a 32-byte salt: %v", err)
	}
}
