package certs

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/vendors"
)

// with returns up with fields and secrets changed: "" or nil deletes.
func with(up Upload, fields map[string]string, secrets map[string][]byte) Upload {
	up.Fields, up.Secrets = maps.Clone(up.Fields), maps.Clone(up.Secrets)
	if up.Fields == nil {
		up.Fields = map[string]string{}
	}
	if up.Secrets == nil {
		up.Secrets = map[string][]byte{}
	}
	for k, v := range fields {
		if v == "" {
			delete(up.Fields, k)
		} else {
			up.Fields[k] = v
		}
	}
	for k, v := range secrets {
		if v == nil {
			delete(up.Secrets, k)
		} else {
			up.Secrets[k] = v
		}
	}
	return up
}

// serviceAccountWith returns the fixture's service-account JSON with keys
// changed (nil deletes).
func serviceAccountWith(t *testing.T, f *fixtures, change map[string]any) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(f.sa.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range change {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	p12NotAfter := f.p12.Cert.NotAfter.UTC()
	tests := []struct {
		name       string
		up         Upload
		wantFields map[string]string
		wantClick  vendors.Click
		wantParsed Parsed
	}{
		{"apns p8", f.apnsP8(), f.apnsP8().Fields, vendors.Click{Action: vendors.ClickOpenApp},
			Parsed{Fingerprints: map[string]string{"p8": Fingerprint(f.p8.PEM)}}},
		{"apns p12", f.apnsP12(), f.apnsP12().Fields, vendors.Click{Action: vendors.ClickOpenApp},
			Parsed{NotAfter: &p12NotAfter, Subject: "Apple Push Services: " + testBundle, Topic: testBundle,
				Fingerprints: map[string]string{"p12": Fingerprint(f.p12.Data)}}},
		{"apns p12 voip topic", with(f.apnsP12(), map[string]string{"bundle_id": testBundle + ".voip"}, nil),
			map[string]string{"bundle_id": testBundle + ".voip", "env": "development"}, vendors.Click{Action: vendors.ClickOpenApp},
			Parsed{NotAfter: &p12NotAfter, Subject: "Apple Push Services: " + testBundle, Topic: testBundle,
				Fingerprints: map[string]string{"p12": Fingerprint(f.p12.Data)}}},
		{"fcm sets project_id", f.fcm(), map[string]string{"project_id": "pushd-test"}, vendors.Click{Action: vendors.ClickOpenApp},
			Parsed{ProjectID: "pushd-test", ClientEmail: f.sa.Email, Fingerprints: map[string]string{"service_account": Fingerprint(f.sa.JSON)}}},
		{"xiaomi default region, trimmed secret", with(android(vendors.Xiaomi, ""), map[string]string{"channel_id": "  im  "}, map[string][]byte{"app_secret": []byte("xm-secret\n")}),
			map[string]string{"package": "com.example.chat", "region": "cn", "channel_id": "im"}, vendors.Click{Action: vendors.ClickOpenApp},
			Parsed{Fingerprints: map[string]string{"app_secret": Fingerprint([]byte("xm-secret"))}}},
		{"huawei intent click", func() Upload {
			up := android(vendors.Huawei, "hw-secret")
			up.Click = vendors.Click{Action: vendors.ClickIntent, Target: "com.example.chat.MainActivity"}
			return up
		}(), android(vendors.Huawei, "").Fields, vendors.Click{Action: vendors.ClickIntent, Target: "com.example.chat.MainActivity"},
			Parsed{Fingerprints: map[string]string{"app_secret": Fingerprint([]byte("hw-secret"))}}},
		{"vivo url click, empty optional dropped", func() Upload {
			up := with(android(vendors.Vivo, "vv-secret"), map[string]string{"category": "  "}, nil)
			up.Click = vendors.Click{Action: vendors.ClickURL, Target: "https://example.com/chat"}
			return up
		}(), android(vendors.Vivo, "").Fields, vendors.Click{Action: vendors.ClickURL, Target: "https://example.com/chat"},
			Parsed{Fingerprints: map[string]string{"app_secret": Fingerprint([]byte("vv-secret"))}}},
		{"honor", android(vendors.Honor, "ho-secret"), android(vendors.Honor, "").Fields, vendors.Click{Action: vendors.ClickOpenApp},
			Parsed{Fingerprints: map[string]string{"client_secret": Fingerprint([]byte("ho-secret"))}}},
		{"oppo", android(vendors.OPPO, "op-secret"), android(vendors.OPPO, "").Fields, vendors.Click{Action: vendors.ClickOpenApp},
			Parsed{Fingerprints: map[string]string{"master_secret": Fingerprint([]byte("op-secret"))}}},
		{"meizu", android(vendors.Meizu, "mz-secret"), android(vendors.Meizu, "").Fields, vendors.Click{Action: vendors.ClickOpenApp},
			Parsed{Fingerprints: map[string]string{"app_secret": Fingerprint([]byte("mz-secret"))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := tt.up
			got, err := Validate(&up, testNow())
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if diff := cmp.Diff(tt.wantParsed, *got); diff != "" {
				t.Errorf("Parsed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFields, up.Fields); diff != "" {
				t.Errorf("normalized Fields (-want +got):\n%s", diff)
			}
			if up.Click != tt.wantClick {
				t.Errorf("Click = %+v, want %+v", up.Click, tt.wantClick)
			}
		})
	}
}

// refusal is one upload Validate must refuse, naming field, with a reason
// containing want.
type refusal struct {
	name  string
	up    Upload
	field string
	want  string
}

// refusals lists the uploads every layer must refuse. Add uses it too, to
// check that nothing is stored.
func refusals(t *testing.T, f *fixtures) []refusal {
	expired, future, other := f.expired, f.future, f.otherApp
	ecKey := f.p8.PEM
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	up := func(u Upload, mut func(*Upload)) Upload { mut(&u); return u }
	return []refusal{
		{"unknown vendor", up(android(vendors.Xiaomi, "s"), func(u *Upload) { u.Vendor = "nokia" }), "vendor", `"nokia"`},
		{"no app_id", up(android(vendors.Xiaomi, "s"), func(u *Upload) { u.AppID = " " }), "app_id", "required"},
		{"app_id with space", up(android(vendors.Xiaomi, "s"), func(u *Upload) { u.AppID = "14 00" }), "app_id", "spaces"},
		{"unknown field", with(android(vendors.OPPO, "s"), map[string]string{"bundle_id": "x"}, nil), "bundle_id", "not a setting of oppo"},
		{"secret sent as field", with(android(vendors.OPPO, "s"), map[string]string{"master_secret": "x"}, nil), "master_secret", "is a secret"},
		{"field sent as secret", with(android(vendors.OPPO, "s"), nil, map[string][]byte{"app_key": []byte("x")}), "app_key", "not a secret"},
		{"unknown secret", with(android(vendors.OPPO, "s"), nil, map[string][]byte{"p8": []byte("x")}), "p8", "not a secret of oppo"},
		{"apns no env", with(f.apnsP8(), map[string]string{"env": ""}, nil), "env", "required"},
		{"apns bad env", with(f.apnsP8(), map[string]string{"env": "prod"}, nil), "env", `"prod" is not one of development, production`},
		{"apns no bundle", with(f.apnsP8(), map[string]string{"bundle_id": ""}, nil), "bundle_id", "required"},
		{"apns bad bundle", with(f.apnsP8(), map[string]string{"bundle_id": "com/example"}, nil), "bundle_id", "not a bundle id"},
		{"apns no key", with(f.apnsP8(), nil, map[string][]byte{"p8": nil}), "p8", "needs a .p8 key"},
		{"apns p8 and p12", with(f.apnsP8(), nil, map[string][]byte{"p12": f.p12.Data}), "p8", "not both"},
		{"apns click url", up(f.apnsP8(), func(u *Upload) { u.Click = vendors.Click{Action: vendors.ClickURL, Target: "https://x.example"} }), "click_action", "only Android"},
		{"p8 without key_id", with(f.apnsP8(), map[string]string{"key_id": ""}, nil), "key_id", "required with a .p8"},
		{"p8 short team_id", with(f.apnsP8(), map[string]string{"team_id": "TEAM12345"}, nil), "team_id", "10-character"},
		{"p8 that is RSA", with(f.apnsP8(), nil, map[string][]byte{"p8": f.rsaP8}), "p8", "is an RSA key"},
		{"p8 that is P-384", with(f.apnsP8(), nil, map[string][]byte{"p8": f.p384P8}), "p8", "is an EC P-384 key"},
		{"p8 not PEM", with(f.apnsP8(), nil, map[string][]byte{"p8": ecKey[30:]}), "p8", "not a PEM file"},
		{"p8 SEC1", with(f.apnsP8(), nil, map[string][]byte{"p8": sec1}), "p8", "SEC1"},
		{"p8 with password", with(f.apnsP8(), nil, map[string][]byte{"password": []byte("x")}), "password", "a .p8 key has no password"},
		{"p12 without password", with(f.apnsP12(), nil, map[string][]byte{"password": nil}), "password", "is required with a .p12"},
		{"p12 wrong password", with(f.apnsP12(), nil, map[string][]byte{"password": []byte("not-the-password")}), "password", "wrong password"},
		{"p12 expired", with(f.apnsP12(), nil, map[string][]byte{"p12": expired.Data}), "p12", "expired on " + expired.Cert.NotAfter.UTC().Format(time.RFC3339) + " (3 days ago)"},
		{"p12 not yet valid", with(f.apnsP12(), nil, map[string][]byte{"p12": future.Data}), "p12", "not valid until"},
		{"p12 for another app", with(f.apnsP12(), nil, map[string][]byte{"p12": other.Data}), "bundle_id", `issued for "com.other.app"`},
		{"p12 garbage", with(f.apnsP12(), nil, map[string][]byte{"p12": []byte("definitely not a pkcs12 file")}), "p12", "not a valid .p12"},
		{"p12 with key_id", with(f.apnsP12(), map[string]string{"key_id": "ABC123DEFG"}, nil), "key_id", "belongs to a .p8"},
		{"fcm legacy server key", with(f.fcm(), nil, map[string][]byte{"service_account": []byte("AAAAxk3Y9Qw:APA91bHq7s2Jk4lPz0xWv")}), "service_account", "shut the legacy FCM API down in June 2024"},
		{"fcm not JSON", with(f.fcm(), nil, map[string][]byte{"service_account": []byte("hello world")}), "service_account", "not JSON"},
		{"fcm broken JSON", with(f.fcm(), nil, map[string][]byte{"service_account": []byte(`{"type": "service_account",`)}), "service_account", "syntax error"},
		{"fcm authorized_user JSON", with(f.fcm(), nil, map[string][]byte{"service_account": serviceAccountWith(t, f, map[string]any{"type": "authorized_user"})}), "service_account", `type "authorized_user"`},
		{"fcm google-services.json", with(f.fcm(), nil, map[string][]byte{"service_account": []byte(`{"project_info":{"project_id":"x"},"client":[]}`)}), "service_account", "google-services.json"},
		{"fcm no private key", with(f.fcm(), nil, map[string][]byte{"service_account": serviceAccountWith(t, f, map[string]any{"private_key": nil})}), "service_account", "no PEM private_key"},
		{"fcm EC private key", with(f.fcm(), nil, map[string][]byte{"service_account": serviceAccountWith(t, f, map[string]any{"private_key": string(ecKey)})}), "service_account", "not an RSA key"},
		{"fcm no token_uri", with(f.fcm(), nil, map[string][]byte{"service_account": serviceAccountWith(t, f, map[string]any{"token_uri": "oauth2.googleapis.com/token"})}), "service_account", "token_uri"},
		{"fcm project mismatch", with(f.fcm(), map[string]string{"project_id": "other"}, nil), "project_id", `differs from the service account's project_id "pushd-test"`},
		{"fcm click intent", up(f.fcm(), func(u *Upload) { u.Click = vendors.Click{Action: vendors.ClickIntent, Target: "x"} }), "click_action", "no click action"},
		{"xiaomi region", with(android(vendors.Xiaomi, "s"), map[string]string{"region": "eu"}, nil), "region", `"eu" is not one of cn, global`},
		{"xiaomi no package", with(android(vendors.Xiaomi, "s"), map[string]string{"package": ""}, nil), "package", "required for xiaomi certificates (--package"},
		{"xiaomi bad package", with(android(vendors.Xiaomi, "s"), map[string]string{"package": "chat"}, nil), "package", "not an Android package name"},
		{"xiaomi secret with space", android(vendors.Xiaomi, "two words"), "app_secret", "spaces"},
		{"meizu no app_secret", with(android(vendors.Meizu, "s"), nil, map[string][]byte{"app_secret": nil}), "app_secret", "required"},
		{"honor no client_secret", with(android(vendors.Honor, "s"), nil, map[string][]byte{"client_secret": nil}), "client_secret", "--client-secret"},
		{"vivo classification", with(android(vendors.Vivo, "s"), map[string]string{"classification": "2"}, nil), "classification", "not one of 0, 1"},
		{"vivo no app_key", with(android(vendors.Vivo, "s"), map[string]string{"app_key": ""}, nil), "app_key", "required"},
		{"huawei importance", with(android(vendors.Huawei, "s"), map[string]string{"importance": "HIGH"}, nil), "importance", "not one of LOW, NORMAL"},
		{"oppo url click not http", up(android(vendors.OPPO, "s"), func(u *Upload) { u.Click = vendors.Click{Action: vendors.ClickURL, Target: "ftp://x"} }), "click_target", "http:// or https://"},
		{"oppo unknown click", up(android(vendors.OPPO, "s"), func(u *Upload) { u.Click = vendors.Click{Action: "launch"} }), "click_action", "unknown click_action"},
		{"secret too large", with(android(vendors.OPPO, "s"), nil, map[string][]byte{"master_secret": make([]byte, maxSecretBytes+1)}), "master_secret", "too large"},
	}
}

func TestValidateRefuses(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	for _, tt := range refusals(t, f) {
		t.Run(tt.name, func(t *testing.T) {
			up := tt.up
			secrets := maps.Clone(up.Secrets)
			_, err := Validate(&up, testNow())
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if ve.Field != tt.field || !strings.Contains(ve.Reason, tt.want) {
				t.Errorf("got %q, want field %q with a reason containing %q", err, tt.field, tt.want)
			}
			if err.Error() != ve.Field+": "+ve.Reason {
				t.Errorf("Error() = %q, want \"field: reason\"", err)
			}
			assertNoLeak(t, "error", err.Error(), secrets)
		})
	}
}

func TestValidateP12ExpiryBoundary(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	up := f.apnsP12()
	na := f.p12.Cert.NotAfter
	if _, err := Validate(&up, na.Add(-time.Second)); err != nil {
		t.Errorf("one second before expiry: %v", err)
	}
	up = f.apnsP12()
	if _, err := Validate(&up, na); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("at NotAfter: %v, want expired", err)
	}
}
