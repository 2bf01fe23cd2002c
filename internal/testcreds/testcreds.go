// Package testcreds generates throwaway vendor credentials for tests, the
// sandbox and testdata/: APNs .p8 keys and .p12 certificates, Google
// service-account JSON and Huawei (HarmonyOS NEXT) service-account keys.
// Nothing it makes is trusted by any real vendor.
package testcreds

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// P8 is an APNs token-auth key.
type P8 struct {
	Key *ecdsa.PrivateKey
	// PEM is the .p8 file: a PKCS#8 "PRIVATE KEY" block.
	PEM []byte
}

// NewP8 generates a P-256 key in .p8 form.
func NewP8() (*P8, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return &P8{Key: k, PEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}, nil
}

// P12 is an APNs certificate with its key.
type P12 struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
	// Data is the .p12 file, encrypted with the password given to NewP12.
	Data []byte
}

// NewP12 generates a self-signed APNs-style client certificate for
// bundleID, valid from notBefore to notAfter, packed as a .p12 under
// password.
func NewP12(bundleID, password string, notBefore, notAfter time.Time) (*P12, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject: pkix.Name{
			CommonName:         "Apple Push Services: " + bundleID,
			OrganizationalUnit: []string{"TESTTEAM01"},
			ExtraNames:         []pkix.AttributeTypeAndValue{{Type: []int{0, 9, 2342, 19200300, 100, 1, 1}, Value: bundleID}},
		},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	data, err := pkcs12.Modern.Encode(k, cert, nil, password)
	if err != nil {
		return nil, err
	}
	return &P12{Cert: cert, Key: k, Data: data}, nil
}

// ServiceAccount is a Google service account.
type ServiceAccount struct {
	Key       *rsa.PrivateKey
	ProjectID string
	Email     string
	// JSON is the service-account file as the Google console downloads it.
	JSON []byte
}

// NewServiceAccount generates a service account of projectID whose OAuth
// token endpoint is tokenURI (a fake's, in tests).
func NewServiceAccount(projectID, tokenURI string) (*ServiceAccount, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	email := fmt.Sprintf("firebase-adminsdk@%s.iam.gserviceaccount.com", projectID)
	doc := map[string]string{
		"type":                        "service_account",
		"project_id":                  projectID,
		"private_key_id":              fmt.Sprintf("%x", big.NewInt(time.Now().UnixNano()).Bytes()),
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                email,
		"client_id":                   "100000000000000000001",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   tokenURI,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return &ServiceAccount{Key: k, ProjectID: projectID, Email: email, JSON: js}, nil
}

// HarmonyAccount is a Huawei service-account key for HarmonyOS NEXT Push
// Kit (vendor-protocols-harmony.md §1).
type HarmonyAccount struct {
	Key        *rsa.PrivateKey
	ProjectID  string
	KeyID      string
	SubAccount string
	// PEM is the key file's private_key: a PKCS#8 "PRIVATE KEY" block.
	PEM []byte
	// JSON is the key file as the Huawei developer API Console downloads
	// it.
	JSON []byte
}

// NewHarmonyAccount generates a service-account key of projectID. The key
// is RSA-2048 to keep tests fast; Huawei issues RSA-4096 keys.
func NewHarmonyAccount(projectID string) (*HarmonyAccount, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	stamp := time.Now().UnixNano()
	a := &HarmonyAccount{Key: k, ProjectID: projectID,
		KeyID:      fmt.Sprintf("%032x", stamp),
		SubAccount: fmt.Sprintf("%d", 100000000+stamp%900000000),
		PEM:        pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}
	doc := map[string]string{
		"project_id":             projectID,
		"key_id":                 a.KeyID,
		"private_key":            string(a.PEM),
		"sub_account":            a.SubAccount,
		"auth_uri":               "https://oauth-login.cloud.huawei.com/oauth2/v3/authorize",
		"token_uri":              "https://oauth-login.cloud.huawei.com/oauth2/v3/token",
		"auth_provider_cert_uri": "https://oauth-login.cloud.huawei.com/oauth2/v3/certs",
		"client_cert_uri":        "https://oauth-login.cloud.huawei.com/oauth2/v3/x509?client_id=" + a.SubAccount,
	}
	if a.JSON, err = json.MarshalIndent(doc, "", "  "); err != nil {
		return nil, err
	}
	return a, nil
}
