package bench

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// Throwaway identities of the bench's certificates: no real vendor knows
// them, the fakes are told to trust them.
const (
	benchBundle  = "com.example.bench"
	benchPackage = "com.example.bench"
	benchBadge   = "com.example.bench.Main"
)

// credential is one vendor's generated certificate: fields and secrets,
// as an upload names them.
type credential struct {
	vendor  vendors.Vendor
	fields  map[string]string
	secrets map[string][]byte
}

// request is the POST /v1/certs body of c for app.
func (c credential) request(app string) api.CertRequest {
	req := api.CertRequest{AppID: app, Vendor: string(c.vendor), Name: "bench", Fields: c.fields, Secrets: map[string]string{}}
	for k, b := range c.secrets {
		req.Secrets[k] = base64.StdEncoding.EncodeToString(b)
	}
	return req
}

// trust registers c with its fake.
func (c credential) trust(sb *fake.Sandbox) error {
	return sb.Trust(&vendors.Credential{Vendor: c.vendor, Fields: c.fields, Secrets: c.secrets})
}

// randomSecret returns a fresh random secret of n bytes, hex.
func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newCredentials generates a certificate of every vendor; tokenURI is the
// FCM fake's OAuth endpoint, written into the service account.
func newCredentials(tokenURI string) ([]credential, error) {
	p8, err := testcreds.NewP8()
	if err != nil {
		return nil, fmt.Errorf("generate p8: %w", err)
	}
	sa, err := testcreds.NewServiceAccount("pushd-bench", tokenURI)
	if err != nil {
		return nil, fmt.Errorf("generate service account: %w", err)
	}
	sec := func(name string) map[string][]byte { return map[string][]byte{name: []byte(randomSecret(16))} }
	return []credential{
		{vendors.APNs, map[string]string{"bundle_id": benchBundle, "env": "development", "key_id": "BENCH00001", "team_id": "BENCHTEAM1"},
			map[string][]byte{vendors.SecretP8: p8.PEM}},
		{vendors.FCM, map[string]string{"project_id": sa.ProjectID}, map[string][]byte{vendors.SecretServiceAccount: sa.JSON}},
		{vendors.Xiaomi, map[string]string{"package": benchPackage}, sec(vendors.SecretAppSecret)},
		{vendors.Huawei, map[string]string{"app_id": "104000777", "badge_class": benchBadge}, sec(vendors.SecretAppSecret)},
		{vendors.Honor, map[string]string{"app_id": "104000778", "client_id": "bench-honor", "badge_class": benchBadge},
			sec(vendors.SecretClientSecret)},
		{vendors.OPPO, map[string]string{"app_key": "bench-oppo-key", "channel_id": "bench"}, sec(vendors.SecretMasterSecret)},
		{vendors.Vivo, map[string]string{"app_id": "10777", "app_key": "bench-vivo-key"}, sec(vendors.SecretAppSecret)},
		{vendors.Meizu, map[string]string{"app_id": "100777", "package": benchPackage}, sec(vendors.SecretAppSecret)},
	}, nil
}

// Token returns the i-th device token of v, in a form v's fake accepts.
func Token(v vendors.Vendor, i int) string {
	switch v {
	case vendors.APNs:
		return fmt.Sprintf("%064x", i+1)
	case vendors.FCM:
		return fmt.Sprintf("fcm-%08d:APA91bBench", i)
	case vendors.OPPO:
		return fake.OPPOToken(i)
	case vendors.Vivo:
		return fake.VivoToken(i)
	case vendors.Meizu:
		return fake.MeizuToken(i)
	}
	return fmt.Sprintf("%s%08d", v, i)
}
