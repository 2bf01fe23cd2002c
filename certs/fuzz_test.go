package certs

import (
	"errors"
	"strings"
	"testing"

	"github.com/pushd/pushd/vendors"
)

// fuzzSlots are the (vendor, secret) pairs the fuzzer fills with arbitrary
// bytes, each on an otherwise valid upload.
func fuzzSlots() []struct {
	vendor vendors.Vendor
	secret string
} {
	return []struct {
		vendor vendors.Vendor
		secret string
	}{
		{vendors.APNs, vendors.SecretP8},
		{vendors.APNs, vendors.SecretP12},
		{vendors.FCM, vendors.SecretServiceAccount},
		{vendors.Xiaomi, vendors.SecretAppSecret},
		{vendors.Honor, vendors.SecretClientSecret},
		{vendors.OPPO, vendors.SecretMasterSecret},
	}
}

// fuzzUpload is a valid-looking upload of slot's vendor carrying data as
// slot's secret.
func fuzzUpload(slot int, data []byte) Upload {
	s := fuzzSlots()[slot%len(fuzzSlots())]
	up := android(s.vendor, "placeholder")
	switch s.vendor {
	case vendors.APNs:
		up = Upload{AppID: testAppID, Vendor: vendors.APNs, Fields: map[string]string{"bundle_id": testBundle, "env": "production"}}
		if s.secret == vendors.SecretP8 {
			up.Fields["key_id"], up.Fields["team_id"] = "ABC123DEFG", "TEAM123456"
		} else {
			up.Secrets = map[string][]byte{"password": []byte(testPassword)}
		}
	case vendors.FCM:
		up = Upload{AppID: testAppID, Vendor: vendors.FCM}
	}
	if up.Secrets == nil {
		up.Secrets = map[string][]byte{}
	}
	up.Secrets[s.secret] = data
	return up
}

// withoutFixedPhrases removes from msg the constant phrases that also
// occur in credential files. The fuzzer learns them from the parsers'
// comparisons and feeds them back; a 16-byte input matching anything else
// in a message cannot happen by chance.
func withoutFixedPhrases(msg string) string {
	for _, p := range []string{"-----BEGIN PRIVATE KEY-----", `"service_account"`, `"authorized_user"`, `"external_account"`,
		`"impersonated_service_account"`, `"external_account_authorized_user"`} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// FuzzValidate feeds arbitrary bytes to every secret parser: Validate must
// never panic, must answer with a *ValidationError, and must never quote
// the bytes back.
func FuzzValidate(f *testing.F) {
	fx := newFixtures(f)
	p8, p12, sa := fx.p8, fx.p12, fx.sa
	seeds := []struct {
		slot uint8
		data []byte
	}{
		{0, p8.PEM}, {0, p8.PEM[:len(p8.PEM)/2]}, {0, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")},
		{1, p12.Data}, {1, p12.Data[:len(p12.Data)/3]}, {1, []byte{0x30, 0x82, 0xff, 0xff}},
		{2, sa.JSON}, {2, []byte(`{"type":"service_account","private_key":"-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----"}`)},
		{2, []byte("AAAAxk3Y9Qw:APA91bHq7s2Jk4lPz0xWv")}, {2, []byte(`{"project_info":{}}`)}, {2, []byte("{")},
		{3, []byte("secret with spaces")}, {4, []byte{0xff, 0xfe, 0x00}}, {5, []byte("  \n")},
	}
	for _, s := range seeds {
		f.Add(s.slot, s.data)
	}
	f.Fuzz(func(t *testing.T, slot uint8, data []byte) {
		up := fuzzUpload(int(slot), data)
		_, err := Validate(&up, testNow())
		if err == nil {
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("Validate returned %T %v, want a *ValidationError", err, err)
		}
		if len(data) >= 16 && strings.Contains(withoutFixedPhrases(err.Error()), string(data)) {
			t.Fatalf("error quotes the secret: %v", err)
		}
	})
}
