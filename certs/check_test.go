package certs

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/harmony"
)

// TestDescriptorCheckRuns: a descriptor's Check runs on upload after the
// field rules; its FieldError names the field, any other error is
// reported on the vendor without its text.
func TestDescriptorCheckRuns(t *testing.T) {
	var seen map[string][]byte
	defer vendors.Register(vendors.Descriptor{Name: "nokia", Android: true,
		Fields: []vendors.FieldSpec{{Name: vendors.FieldAppID, Required: true}, {Name: vendors.SecretAppSecret, Secret: true, Required: true}},
		Build:  func(*vendors.Credential, vendors.Endpoint) (vendors.Sender, error) { return nil, errors.New("unused") },
		Check: func(c *vendors.Credential) error {
			seen = c.Secrets
			switch c.Field(vendors.FieldAppID) {
			case "bad":
				return &vendors.FieldError{Field: vendors.FieldAppID, Reason: "is bad"}
			case "odd":
				return errors.New("s3cret-detail")
			}
			return nil
		}})()
	up := func(app string) *Upload {
		return &Upload{AppID: "a1", Vendor: "nokia", Fields: map[string]string{vendors.FieldAppID: app},
			Secrets: map[string][]byte{vendors.SecretAppSecret: []byte(" s3cret\n")}}
	}
	if _, err := Validate(up("good"), time.Now()); err != nil || string(seen[vendors.SecretAppSecret]) != "s3cret" {
		t.Fatalf("accepted upload: %v, Check saw %q (want the normalized secret)", err, seen[vendors.SecretAppSecret])
	}
	var ve *ValidationError
	if _, err := Validate(up("bad"), time.Now()); !errors.As(err, &ve) || ve.Field != vendors.FieldAppID || ve.Reason != "is bad" {
		t.Fatalf("FieldError: %v", err)
	}
	if _, err := Validate(up("odd"), time.Now()); !errors.As(err, &ve) || ve.Field != "vendor" || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("plain error: %v", err)
	}
}

func TestHarmonyUpload(t *testing.T) {
	acc, err := testcreds.NewHarmonyAccount("101000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	up := func(key []byte) *Upload {
		return &Upload{AppID: "a1", Vendor: harmony.Harmony,
			Fields:  map[string]string{"project_id": acc.ProjectID, "key_id": acc.KeyID, "sub_account": acc.SubAccount},
			Secrets: map[string][]byte{harmony.SecretPrivateKey: key}}
	}
	u := up(acc.JSON)
	if _, err := Validate(u, time.Now()); err != nil {
		t.Fatalf("key file: %v", err)
	}
	if u.Fields["category"] != "IM" || u.Fields["env"] != vendors.EnvProduction {
		t.Errorf("defaults %v", u.Fields)
	}
	var ve *ValidationError
	if _, err := Validate(up([]byte("not a key")), time.Now()); !errors.As(err, &ve) || ve.Field != harmony.SecretPrivateKey {
		t.Fatalf("garbage key: %v", err)
	}
	bad := up(acc.PEM)
	bad.Fields["category"] = "CHAT"
	if _, err := Validate(bad, time.Now()); !errors.As(err, &ve) || ve.Field != "category" {
		t.Fatalf("unknown category: %v", err)
	}
	missing := up(acc.PEM)
	delete(missing.Fields, "sub_account")
	if _, err := Validate(missing, time.Now()); !errors.As(err, &ve) || ve.Field != "sub_account" {
		t.Fatalf("no sub_account: %v", err)
	}
}

func TestHarmonyUploadRefusesURLClicks(t *testing.T) {
	acc, err := testcreds.NewHarmonyAccount("101000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	up := &Upload{AppID: "a1", Vendor: harmony.Harmony,
		Fields:  map[string]string{"project_id": acc.ProjectID, "key_id": acc.KeyID, "sub_account": acc.SubAccount},
		Secrets: map[string][]byte{harmony.SecretPrivateKey: acc.PEM},
		Click:   vendors.Click{Action: vendors.ClickURL, Target: "https://example.com/chat"}}
	var ve *ValidationError
	if _, err := Validate(up, time.Now()); !errors.As(err, &ve) || ve.Field != "click_action" {
		t.Fatalf("url click: %v", err)
	}
	up.Click = vendors.Click{Action: vendors.ClickIntent, Target: "app://chat"}
	if _, err := Validate(up, time.Now()); err != nil {
		t.Fatalf("intent click: %v", err)
	}
}
