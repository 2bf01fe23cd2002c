package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

// testNow is the fixed clock of every test; generated certificates are
// valid around it.
func testNow() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

const (
	testBundle   = "com.example.chat"
	testPassword = "p12-Passw0rd!"
	testAppID    = "1400000001"
)

// fixtures holds generated credentials. Tests only read them (uploads
// are built with fresh maps), so one set serves the whole test binary.
type fixtures struct {
	p8  *testcreds.P8
	p12 *testcreds.P12
	sa  *testcreds.ServiceAccount
	// Credentials that must be refused.
	expired, future, otherApp *testcreds.P12
	rsaP8, p384P8             []byte
}

// sharedFixtures generates the fixtures once per test binary: RSA key
// generation would otherwise dominate the package's test time (seconds
// under -race).
var sharedFixtures = sync.OnceValues(generateFixtures)

// newFixtures returns the shared fixtures.
func newFixtures(t testing.TB) *fixtures {
	t.Helper()
	f, err := sharedFixtures()
	if err != nil {
		t.Fatalf("generate test credentials: %v", err)
	}
	return f
}

// generateFixtures makes every credential the tests use.
func generateFixtures() (*fixtures, error) {
	var f fixtures
	var err error
	now := testNow()
	steps := []func() error{
		func() error { f.p8, err = testcreds.NewP8(); return err },
		func() error {
			f.sa, err = testcreds.NewServiceAccount("pushd-test", "https://127.0.0.1:1/token")
			return err
		},
		func() error {
			f.p12, err = testcreds.NewP12(testBundle, testPassword, now.Add(-time.Hour), now.AddDate(1, 0, 0))
			return err
		},
		func() error {
			f.expired, err = testcreds.NewP12(testBundle, testPassword, now.AddDate(-1, 0, 0), now.AddDate(0, 0, -3))
			return err
		},
		func() error {
			f.future, err = testcreds.NewP12(testBundle, testPassword, now.Add(24*time.Hour), now.AddDate(1, 0, 0))
			return err
		},
		func() error {
			f.otherApp, err = testcreds.NewP12("com.other.app", testPassword, now.Add(-time.Hour), now.AddDate(1, 0, 0))
			return err
		},
		func() error { f.rsaP8, err = rsaP8(); return err },
		func() error { f.p384P8, err = ecP8(elliptic.P384()); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return &f, nil
}

// pkcs8PEM marshals key as a PEM "PRIVATE KEY", the .p8 shape.
func pkcs8PEM(key any) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// rsaP8 is a .p8-shaped file holding an RSA key.
func rsaP8() ([]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return pkcs8PEM(k)
}

// ecP8 is a .p8-shaped file holding an EC key on curve c.
func ecP8(c elliptic.Curve) ([]byte, error) {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		return nil, err
	}
	return pkcs8PEM(k)
}

// apnsP8 is a valid token-auth upload.
func (f *fixtures) apnsP8() Upload {
	return Upload{AppID: testAppID, Vendor: vendors.APNs, Name: "prod p8",
		Fields:  map[string]string{"bundle_id": testBundle, "env": "production", "key_id": "ABC123DEFG", "team_id": "TEAM123456"},
		Secrets: map[string][]byte{"p8": f.p8.PEM}}
}

// apnsP12 is a valid certificate upload.
func (f *fixtures) apnsP12() Upload {
	return Upload{AppID: testAppID, Vendor: vendors.APNs,
		Fields:  map[string]string{"bundle_id": testBundle, "env": "development"},
		Secrets: map[string][]byte{"p12": f.p12.Data, "password": []byte(testPassword)}}
}

// fcm is a valid FCM upload.
func (f *fixtures) fcm() Upload {
	return Upload{AppID: testAppID, Vendor: vendors.FCM, Secrets: map[string][]byte{"service_account": f.sa.JSON}}
}

// android returns a valid upload of an Android vendor with secret value
// secret.
func android(v vendors.Vendor, secret string) Upload {
	up := Upload{AppID: testAppID, Vendor: v}
	switch v {
	case vendors.Xiaomi:
		up.Fields = map[string]string{"package": "com.example.chat"}
		up.Secrets = map[string][]byte{"app_secret": []byte(secret)}
	case vendors.Huawei:
		up.Fields = map[string]string{"app_id": "104000001", "importance": "NORMAL", "category": "IM"}
		up.Secrets = map[string][]byte{"app_secret": []byte(secret)}
	case vendors.Honor:
		up.Fields = map[string]string{"app_id": "104400001", "client_id": "honor-client"}
		up.Secrets = map[string][]byte{"client_secret": []byte(secret)}
	case vendors.OPPO:
		up.Fields = map[string]string{"app_key": "oppo-app-key", "channel_id": "im"}
		up.Secrets = map[string][]byte{"master_secret": []byte(secret)}
	case vendors.Vivo:
		up.Fields = map[string]string{"app_id": "10001", "app_key": "vivo-app-key", "classification": "1"}
		up.Secrets = map[string][]byte{"app_secret": []byte(secret)}
	case vendors.Meizu:
		up.Fields = map[string]string{"app_id": "110001", "package": "com.example.chat"}
		up.Secrets = map[string][]byte{"app_secret": []byte(secret)}
	}
	return up
}

// needles returns the strings whose presence would leak secrets: each
// secret raw, in base64 and hex, and every base64 line of a PEM key inside
// it (a .p8, or the private_key of a service-account JSON).
func needles(secrets map[string][]byte) []string {
	var out []string
	for _, b := range secrets {
		if len(b) >= 6 {
			out = append(out, string(b), base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b), hex.EncodeToString(b))
		}
		for _, line := range strings.FieldsFunc(strings.ReplaceAll(string(b), `\n`, "\n"), func(r rune) bool { return r == '\n' || r == '"' }) {
			if len(line) >= 40 && strings.Trim(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// assertNoLeak fails t if text contains any of the secrets.
func assertNoLeak(t testing.TB, what, text string, secrets map[string][]byte) {
	t.Helper()
	for _, n := range needles(secrets) {
		if strings.Contains(text, n) {
			t.Errorf("%s leaks secret material (%d-byte fragment)", what, len(n))
		}
	}
}

// jsonOf marshals v for leak scanning.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newTestStore returns a Store on a fresh test database, with the fixed
// clock and master key key.
func newTestStore(t *testing.T, key []byte) (*Store, *testredis.DB) {
	t.Helper()
	db := testredis.New(t)
	s, err := NewStore(db.Client, key, WithClock(testNow))
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// randomKey is a fresh 32-byte master key.
func randomKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, MasterKeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}
