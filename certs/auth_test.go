package certs

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/pushd/pushd/vendors"
)

// rawDoc reads the stored JSON document of id.
func rawDoc(t *testing.T, s *Store, id int64) map[string]any {
	t.Helper()
	raw, err := s.rdb.Get(context.Background(), s.certKey(id)).Result()
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// putDoc writes doc as the stored document of id, as someone with access
// to Redis would.
func putDoc(t *testing.T, s *Store, id int64, doc map[string]any) {
	t.Helper()
	if err := s.rdb.Set(context.Background(), s.certKey(id), jsonOf(t, doc), 0).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestSealBoundToVersion(t *testing.T) {
	t.Parallel()
	k, err := newSealer(randomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.seal(map[string][]byte{"app_secret": []byte("v3")}, aadV2(7, "app", vendors.Xiaomi, 3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.open(sealed, aadV2(7, "app", vendors.Xiaomi, 3)); err != nil {
		t.Fatalf("open with the same version: %v", err)
	}
	for _, ad := range [][]byte{aadV2(7, "app", vendors.Xiaomi, 4), aadV2(7, "app", vendors.Xiaomi, 2), aad(7, "app", vendors.Xiaomi)} {
		if _, err := k.open(sealed, ad); !errors.Is(err, ErrWrongKey) {
			t.Errorf("open with AAD %q = %v, want ErrWrongKey", ad, err)
		}
	}
}

func TestOldSecretRestoredRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestStore(t, randomKey(t))
	in := mustAdd(t, s, android(vendors.Xiaomi, "leaked-old-secret"))
	old := rawDoc(t, s, in.ID)
	if _, err := s.Rotate(ctx, in.ID, android(vendors.Xiaomi, "fresh-new-secret")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		restore []string
	}{
		{"sealed only", []string{"sealed"}},
		{"sealed and mac", []string{"sealed", "mac"}},
		{"sealed, mac and updated_at", []string{"sealed", "mac", "updated_at"}},
	}
	for _, tt := range tests {
		cur := rawDoc(t, s, in.ID)
		doc := rawDoc(t, s, in.ID)
		for _, k := range tt.restore {
			doc[k] = old[k]
		}
		putDoc(t, s, in.ID, doc)
		if _, err := s.Credential(ctx, in.ID); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: Credential = %v, want ErrTampered", tt.name, err)
		}
		putDoc(t, s, in.ID, cur)
	}
	cred, err := s.Credential(ctx, in.ID)
	if err != nil || string(cred.Secrets["app_secret"]) != "fresh-new-secret" || cred.Version != 2 {
		t.Errorf("Credential after putting the record back = %+v, %v", cred, err)
	}
}

func TestEditedMetadataRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixtures(t)
	tests := []struct {
		name string
		edit func(doc map[string]any)
	}{
		{"app_id", func(d map[string]any) { d["app_id"] = "1400000999" }},
		{"vendor", func(d map[string]any) { d["vendor"] = "fcm" }},
		{"bundle_id", func(d map[string]any) { d["fields"].(map[string]any)["bundle_id"] = "com.evil.app" }},
		{"env", func(d map[string]any) { d["fields"].(map[string]any)["env"] = "development" }},
		{"added field", func(d map[string]any) { d["fields"].(map[string]any)["topic"] = "x" }},
		{"version", func(d map[string]any) { d["version"] = 9 }},
		{"name", func(d map[string]any) { d["name"] = "renamed" }},
		{"fingerprint", func(d map[string]any) { d["fingerprints"].(map[string]any)["p8"] = "sha256:0000000000000000" }},
		{"created_at", func(d map[string]any) { d["created_at"] = "2020-01-01T00:00:00Z" }},
		{"mac removed", func(d map[string]any) { delete(d, "mac") }},
		{"downgraded to format 1", func(d map[string]any) { delete(d, "format"); delete(d, "mac"); delete(d, "key_id") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newTestStore(t, randomKey(t))
			if err := s.CheckKey(ctx); err != nil {
				t.Fatal(err)
			}
			in := mustAdd(t, s, f.apnsP8())
			doc := rawDoc(t, s, in.ID)
			tt.edit(doc)
			putDoc(t, s, in.ID, doc)
			if _, err := s.Credential(ctx, in.ID); !errors.Is(err, ErrTampered) {
				t.Errorf("Credential = %v, want ErrTampered", err)
			}
			if _, err := s.Get(ctx, in.ID); !errors.Is(err, ErrTampered) {
				t.Errorf("Get = %v, want ErrTampered", err)
			}
			if _, err := s.List(ctx, ""); !errors.Is(err, ErrTampered) {
				t.Errorf("List = %v, want ErrTampered", err)
			}
			if _, err := s.Rotate(ctx, in.ID, f.apnsP8()); !errors.Is(err, ErrTampered) {
				t.Errorf("Rotate = %v, want ErrTampered", err)
			}
			if err := s.Delete(ctx, in.ID); err != nil {
				t.Errorf("Delete of a tampered record: %v", err)
			}
		})
	}
}

func TestHealthIsNotAuthenticated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestStore(t, randomKey(t))
	in := mustAdd(t, s, android(vendors.Vivo, "vivo-secret"))
	if err := s.SetHealth(ctx, in.ID, false, "auth failed"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, in.ID)
	if err != nil || got.Healthy || got.HealthReason != "auth failed" {
		t.Fatalf("Get after SetHealth = %+v, %v", got, err)
	}
	if _, err := s.Credential(ctx, in.ID); err != nil {
		t.Errorf("Credential after SetHealth: %v", err)
	}
}

// putFormat1 stores a record as pushd wrote it before format 2: no format,
// key id or MAC, secrets bound to id, app and vendor only.
func putFormat1(t *testing.T, s *Store, key []byte, id int64, secret string) {
	t.Helper()
	k, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	up := android(vendors.OPPO, secret)
	r := &record{Info: Info{ID: id, AppID: up.AppID, Vendor: up.Vendor, Version: 3, Fields: up.Fields, Healthy: true, CreatedAt: testNow()}}
	if r.Sealed, err = k.seal(up.Secrets, aad(id, r.AppID, r.Vendor)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.rdb.Set(ctx, s.certKey(id), jsonOf(t, r), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.rdb.SAdd(ctx, s.allKey(), id).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.rdb.SAdd(ctx, s.appKey(r.AppID), id).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestFormat1RecordsMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := randomKey(t)
	s, _ := newTestStore(t, key)
	putFormat1(t, s, key, 5, "oppo-format-1-secret")
	old := rawDoc(t, s, 5)
	// Before migration the old record is read as it is.
	cred, err := s.Credential(ctx, 5)
	if err != nil || string(cred.Secrets["master_secret"]) != "oppo-format-1-secret" {
		t.Fatalf("Credential of a format-1 record before migration = %+v, %v", cred, err)
	}
	// The first CheckKey migrates it in place.
	if err := s.CheckKey(ctx); err != nil {
		t.Fatal(err)
	}
	doc := rawDoc(t, s, 5)
	if doc["format"] != float64(formatAuth) || doc["key_id"] != KeyID(key) || doc["mac"] == nil {
		t.Errorf("record after migration = %v, want format 2 with key id and mac", doc)
	}
	cred, err = s.Credential(ctx, 5)
	if err != nil || string(cred.Secrets["master_secret"]) != "oppo-format-1-secret" || cred.Version != 3 {
		t.Fatalf("Credential after migration = %+v, %v", cred, err)
	}
	// Writing the old record back is now refused.
	putDoc(t, s, 5, old)
	if _, err := s.Credential(ctx, 5); !errors.Is(err, ErrTampered) {
		t.Errorf("format-1 record restored after migration = %v, want ErrTampered", err)
	}
}
