package certs

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/pushd/pushd/vendors"
)

// appleP12 packs a certificate for testBundle carrying Apple's environment
// extensions oids (valued ASN.1 NULL, as Apple's are), with the fixtures'
// key, as a .p12 under testPassword.
func appleP12(t *testing.T, f *fixtures, oids ...asn1.ObjectIdentifier) []byte {
	t.Helper()
	now := testNow()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(oids)) + 7),
		Subject: pkix.Name{CommonName: "Apple Push Services: " + testBundle,
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidUID, Value: testBundle}}},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	for _, oid := range oids {
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oid, Value: []byte{0x05, 0x00}})
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &f.p12.Key.PublicKey, f.p12.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	data, err := pkcs12.Modern.Encode(f.p12.Key, cert, nil, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestP12EnvironmentMustMatchTheUpload(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	dev, prod := oidAPNsDevelopment, oidAPNsProduction
	cases := []struct {
		name string
		oids []asn1.ObjectIdentifier
		env  string
		want string // "" accepted, else the refusal's reason contains it
	}{
		{"development for development", []asn1.ObjectIdentifier{dev}, vendors.EnvDevelopment, ""},
		{"production for production", []asn1.ObjectIdentifier{prod}, vendors.EnvProduction, ""},
		{"universal for production", []asn1.ObjectIdentifier{dev, prod}, vendors.EnvProduction, ""},
		{"universal for development", []asn1.ObjectIdentifier{dev, prod}, vendors.EnvDevelopment, ""},
		{"no Apple extension", nil, vendors.EnvProduction, ""},
		{"development for production", []asn1.ObjectIdentifier{dev}, vendors.EnvProduction,
			"is production, but the .p12 is an APNs development certificate; upload it with --env development"},
		{"production for development", []asn1.ObjectIdentifier{prod}, vendors.EnvDevelopment,
			"is development, but the .p12 is an APNs production certificate; upload it with --env production"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := with(f.apnsP12(), map[string]string{"env": c.env}, map[string][]byte{"p12": appleP12(t, f, c.oids...)})
			p, err := Validate(&up, testNow())
			if c.want == "" {
				if err != nil || p.Topic != testBundle {
					t.Fatalf("refused: %v (parsed %+v)", err, p)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != vendors.FieldEnv || !strings.Contains(ve.Reason, c.want) {
				t.Fatalf("got %v, want env refused with %q", err, c.want)
			}
		})
	}
}

func TestAppleEnv(t *testing.T) {
	ext := func(oids ...asn1.ObjectIdentifier) *x509.Certificate {
		c := &x509.Certificate{}
		for _, o := range oids {
			c.Extensions = append(c.Extensions, pkix.Extension{Id: o})
		}
		return c
	}
	for want, c := range map[string]*x509.Certificate{
		"": ext(), "development": ext(oidAPNsDevelopment), "production": ext(oidAPNsProduction),
		"universal": ext(oidAPNsProduction, oidAPNsDevelopment),
	} {
		if got := appleEnv(c); got != want {
			t.Errorf("appleEnv = %q, want %q", got, want)
		}
	}
}
