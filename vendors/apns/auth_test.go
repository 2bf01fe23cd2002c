package apns

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
)

func TestNewRefusesBadCredentials(t *testing.T) {
	_, p8 := p8Cred(t, vendors.EnvProduction)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(p384)
	if err != nil {
		t.Fatal(err)
	}
	p384PEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	garbageKey := []byte("-----BEGIN PRIVATE KEY-----\nU0VDUkVUS0VZTUFURVJJQUw=\n-----END PRIVATE KEY-----\n")
	now := time.Now()
	p12, err := testcreds.NewP12(testTopic, "right-password", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	fields := func(kv ...string) map[string]string {
		m := map[string]string{vendors.FieldBundleID: testTopic, vendors.FieldEnv: vendors.EnvProduction}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	tokenFields := fields(vendors.FieldKeyID, testKeyID, vendors.FieldTeamID, testTeamID)
	tests := []struct {
		name    string
		fields  map[string]string
		secrets map[string][]byte
		want    string
	}{
		{"no bundle id", fields(vendors.FieldBundleID, ""), map[string][]byte{vendors.SecretP8: p8.PEM}, "bundle_id is required"},
		{"no env", fields(vendors.FieldEnv, ""), map[string][]byte{vendors.SecretP8: p8.PEM}, "env is required"},
		{"bad env", fields(vendors.FieldEnv, "staging"), map[string][]byte{vendors.SecretP8: p8.PEM}, `env "staging"`},
		{"no key material", tokenFields, map[string][]byte{}, "needs a p8 key"},
		{"p8 without key id", fields(vendors.FieldTeamID, testTeamID), map[string][]byte{vendors.SecretP8: p8.PEM}, "key_id is required"},
		{"p8 without team id", fields(vendors.FieldKeyID, testKeyID), map[string][]byte{vendors.SecretP8: p8.PEM}, "team_id is required"},
		{"p8 not PEM", tokenFields, map[string][]byte{vendors.SecretP8: []byte("SECRETKEYMATERIAL")}, "p8 is not a PEM"},
		{"p8 garbage", tokenFields, map[string][]byte{vendors.SecretP8: garbageKey}, "cannot be parsed"},
		{"p8 on P-384", tokenFields, map[string][]byte{vendors.SecretP8: p384PEM}, "needs P-256"},
		{"p12 wrong password", fields(), map[string][]byte{vendors.SecretP12: p12.Data, vendors.SecretPassword: []byte("SECRETWRONGPW")}, "wrong password"},
		{"p12 garbage", fields(), map[string][]byte{vendors.SecretP12: []byte("SECRETKEYMATERIAL"), vendors.SecretPassword: []byte("x")}, "p12 cannot be read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cred := &vendors.Credential{ID: 3, Vendor: vendors.APNs, Fields: tc.fields, Secrets: tc.secrets}
			s, err := New(cred, vendors.Endpoint{})
			if err == nil || s != nil {
				t.Fatalf("New = %v, %v; want an error", s, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
			for _, secret := range []string{"SECRET", "U0VDUkVU", "right-password"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes secret material", err)
				}
			}
		})
	}
	if _, err := New(nil, vendors.Endpoint{}); err == nil {
		t.Error("New(nil) succeeded")
	}
}

func TestNewSelectsHost(t *testing.T) {
	for env, want := range map[string]string{
		vendors.EnvDevelopment: "https://api.sandbox.push.apple.com/3/device/",
		vendors.EnvProduction:  "https://api.push.apple.com/3/device/",
	} {
		cred, _ := p8Cred(t, env)
		s, err := NewSender(cred, vendors.Endpoint{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		reqs, err := s.DryRun(t.Context(), testNotification(), []string{testToken})
		if err != nil {
			t.Fatal(err)
		}
		if reqs[0].URL != want+testToken {
			t.Errorf("%s: URL %s, want %s", env, reqs[0].URL, want+testToken)
		}
	}
}
