package fcm

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/pushd/pushd/internal/testcreds"
)

func TestValidateServiceAccount(t *testing.T) {
	sa, err := testcreds.NewServiceAccount("my-project-1234", "https://oauth2.googleapis.com/token")
	if err != nil {
		t.Fatal(err)
	}
	// A recognisable fragment of the key: no error may quote it.
	keyBody := strings.Split(mustField(t, sa.JSON, "private_key"), "\n")[1]
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))

	tests := []struct {
		name    string
		in      []byte
		wantErr string // "" = valid
	}{
		{"valid", sa.JSON, ""},
		{"valid with PKCS#1 key", edit(t, sa.JSON, "private_key", pkcs1), ""},
		{"legacy server key", []byte("AAAAa1b2c3d:APA91bHun4MxP5egoKMwt2KZFBaFUH"), "2024"},
		{"empty", nil, "2024"},
		{"not json", []byte("hello"), "2024"},
		{"truncated json", sa.JSON[:len(sa.JSON)/2], "invalid JSON at byte"},
		{"wrong field type", []byte(`{"type":"service_account","project_id":12}`), "project_id has the wrong type"},
		{"user credential", edit(t, sa.JSON, "type", "authorized_user"), `"authorized_user"`},
		{"no project", edit(t, sa.JSON, "project_id", ""), "project_id is missing"},
		{"no key", edit(t, sa.JSON, "private_key", ""), "private_key is missing"},
		{"no email", edit(t, sa.JSON, "client_email", ""), "client_email is missing"},
		{"bad email", edit(t, sa.JSON, "client_email", "nobody"), "client_email"},
		{"no token uri", edit(t, sa.JSON, "token_uri", ""), "token_uri is missing"},
		{"http token uri", edit(t, sa.JSON, "token_uri", "http://oauth2.googleapis.com/token"), "https"},
		{"key not pem", edit(t, sa.JSON, "private_key", keyBody), "not PEM"},
		{"key garbage", edit(t, sa.JSON, "private_key", "-----BEGIN PRIVATE KEY-----\n"+keyBody[:40]+"\n-----END PRIVATE KEY-----\n"), "not a parseable RSA"},
		{"EC key", edit(t, sa.JSON, "private_key", ecPEM), "want an RSA key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			project, err := ValidateServiceAccount(tc.in)
			if tc.wantErr == "" {
				if err != nil || project == "" {
					t.Fatalf("got %q, %v; want a project", project, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), keyBody[:20]) || strings.Contains(err.Error(), "APA91b") {
				t.Errorf("error quotes the secret: %v", err)
			}
			if project != "" {
				t.Errorf("project %q returned with an error", project)
			}
		})
	}
	if _, err := ValidateServiceAccount([]byte("AAAA:APA91b")); !errors.Is(err, ErrLegacyServerKey) {
		t.Errorf("legacy key error %v is not ErrLegacyServerKey", err)
	}
	if p, _ := ValidateServiceAccount(sa.JSON); p != "my-project-1234" {
		t.Errorf("project = %q", p)
	}
}

func mustField(t *testing.T, js []byte, key string) string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m[key]
}

// edit returns js with key set to v.
func edit(t *testing.T, js []byte, key, v string) []byte {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	m[key] = v
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
