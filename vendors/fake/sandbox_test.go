package fake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/apns"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/fcm"
	"github.com/pushd/pushd/vendors/honor"
	"github.com/pushd/pushd/vendors/huawei"
	"github.com/pushd/pushd/vendors/meizu"
	"github.com/pushd/pushd/vendors/oppo"
	"github.com/pushd/pushd/vendors/vivo"
	"github.com/pushd/pushd/vendors/xiaomi"
)

// sandboxCase is one uploaded credential and a token its vendor accepts.
type sandboxCase struct {
	name  string
	build vendors.Builder
	cred  *vendors.Credential
	token string
}

func sandboxCases(t *testing.T) []sandboxCase {
	t.Helper()
	p8, err := testcreds.NewP8()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p12, err := testcreds.NewP12("com.example.cert", "p12-pass", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// The token_uri is Google's: the sandbox endpoint must replace it.
	sa, err := testcreds.NewServiceAccount("sandbox-proj", "https://oauth2.googleapis.com/token")
	if err != nil {
		t.Fatal(err)
	}
	cred := func(v vendors.Vendor, fields map[string]string, secrets map[string]string) *vendors.Credential {
		c := &vendors.Credential{ID: 1, AppID: "1400000001", Vendor: v, Fields: fields, Secrets: map[string][]byte{}}
		for k, s := range secrets {
			c.Secrets[k] = []byte(s)
		}
		return c
	}
	apnsTok := strings.Repeat("ab", 32)
	return []sandboxCase{
		{"apns-p8", apns.New, cred(vendors.APNs,
			map[string]string{"bundle_id": "com.example.chat", "env": "development", "key_id": "SANDBOX001", "team_id": "TEAMSANDBX"},
			map[string]string{"p8": string(p8.PEM)}), apnsTok},
		{"apns-p12", apns.New, cred(vendors.APNs,
			map[string]string{"bundle_id": "com.example.cert", "env": "production"},
			map[string]string{"p12": string(p12.Data), "password": "p12-pass"}), apnsTok},
		{"fcm", fcm.New, cred(vendors.FCM, map[string]string{"project_id": "sandbox-proj"},
			map[string]string{"service_account": string(sa.JSON)}), "fcm-token:APA91bSandbox"},
		{"xiaomi", xiaomi.New, cred(vendors.Xiaomi, map[string]string{"package": "com.example.chat"},
			map[string]string{"app_secret": "xm-sandbox-secret"}), "regid-sandbox-1"},
		{"huawei", huawei.New, cred(vendors.Huawei, map[string]string{"app_id": "104000123", "badge_class": "com.example.Main"},
			map[string]string{"app_secret": "hw-sandbox-secret"}), "hw-token-1"},
		{"honor", honor.New, cred(vendors.Honor, map[string]string{"app_id": "104000456", "client_id": "honor-client"},
			map[string]string{"client_secret": "honor-sandbox-secret"}), "honor-token-1"},
		{"oppo", oppo.New, cred(vendors.OPPO, map[string]string{"app_key": "oppo-key", "channel_id": "whatever"},
			map[string]string{"master_secret": "oppo-sandbox-master"}), fake.OPPOToken(1)},
		{"vivo", vivo.New, cred(vendors.Vivo, map[string]string{"app_id": "10099", "app_key": "vivo-key"},
			map[string]string{"app_secret": "vivo-sandbox-secret"}), fake.VivoToken(1)},
		{"meizu", meizu.New, cred(vendors.Meizu, map[string]string{"app_id": "100999", "package": "com.example.chat"},
			map[string]string{"app_secret": "meizu-sandbox-secret"}), fake.MeizuToken(1)},
	}
}

func sendOne(t *testing.T, sb *fake.Sandbox, c sandboxCase) vendors.Result {
	t.Helper()
	s, err := c.build(c.cred, sb.Endpoint(c.cred.Vendor))
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	n := &vendors.Notification{ID: "sandbox-1", Title: "Denny", Body: "See you at 8", Ext: `{"conv":"c2c_denny"}`,
		ExpireAt: time.Now().Add(time.Hour)}
	rs := s.Send(context.Background(), n, []string{c.token})
	if len(rs) != 1 {
		t.Fatalf("%d results for one token", len(rs))
	}
	return rs[0]
}

// TestSandboxAcceptsOnlyTrustedCredentials checks, per vendor, that the
// sandbox's fake refuses a credential it was not told about and accepts it
// after Trust: the sandbox is the real fakes, not an accept-all stub.
func TestSandboxAcceptsOnlyTrustedCredentials(t *testing.T) {
	sb := fake.StartSandbox()
	t.Cleanup(sb.Close)
	for _, c := range sandboxCases(t) {
		t.Run(c.name, func(t *testing.T) {
			v := c.cred.Vendor
			before := sb.Recorder(v).Len()
			if r := sendOne(t, sb, c); r.Err == nil {
				t.Fatalf("an untrusted credential was accepted")
			}
			if err := sb.Trust(c.cred); err != nil {
				t.Fatalf("Trust: %v", err)
			}
			r := sendOne(t, sb, c)
			if r.Err != nil {
				t.Fatalf("after Trust: %v", r.Err)
			}
			reqs := sb.Recorder(v).Requests()
			if len(reqs) <= before {
				t.Fatalf("the %s fake recorded no request", v)
			}
			if last := reqs[len(reqs)-1]; last.Status != 200 || !contains(last.Tokens, c.token) {
				t.Fatalf("last %s request: status %d tokens %v", v, last.Status, last.Tokens)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSandboxEndpoints(t *testing.T) {
	sb := fake.StartSandbox()
	t.Cleanup(sb.Close)
	seen := map[string]bool{}
	for _, v := range vendors.All() {
		ep := sb.Endpoint(v)
		if !strings.HasPrefix(ep.URL, "https://127.0.0.1:") || ep.Client == nil || sb.Recorder(v) == nil {
			t.Fatalf("%s: endpoint %+v", v, ep)
		}
		if seen[ep.URL] {
			t.Fatalf("%s shares %s with another vendor", v, ep.URL)
		}
		seen[ep.URL] = true
	}
	if ep := sb.Endpoint(vendors.FCM); ep.AuthURL != sb.FCM.TokenURI() {
		t.Fatalf("FCM auth endpoint %q, want the fake's token endpoint", ep.AuthURL)
	}
	if ep := sb.Endpoint("nokia"); ep != (vendors.Endpoint{}) || sb.Recorder("nokia") != nil {
		t.Fatalf("unknown vendor: %+v", ep)
	}
}

func TestSandboxTrustRefusesUnparseableMaterial(t *testing.T) {
	sb := fake.StartSandbox()
	t.Cleanup(sb.Close)
	const secret = "not-a-key-0123456789"
	for _, cred := range []*vendors.Credential{
		{Vendor: vendors.APNs, Secrets: map[string][]byte{"p8": []byte(secret)}},
		{Vendor: vendors.APNs, Secrets: map[string][]byte{"p12": []byte(secret), "password": []byte("x")}},
		{Vendor: vendors.FCM, Secrets: map[string][]byte{"service_account": []byte(secret)}},
		{Vendor: vendors.FCM, Secrets: map[string][]byte{"service_account": []byte(`{"private_key":"` + secret + `"}`)}},
		{Vendor: "nokia"},
		nil,
	} {
		err := sb.Trust(cred)
		if err == nil {
			t.Fatalf("Trust(%v) accepted unparseable material", cred)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error quotes the secret: %v", err)
		}
	}
}
