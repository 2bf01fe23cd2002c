package certs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/vendors"
)

// certKeys returns the certificate documents in the test database.
func certKeys(t *testing.T, s *Store) []string {
	t.Helper()
	keys, err := s.rdb.Keys(context.Background(), s.prefix+"cert:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// mustAdd adds up or fails t.
func mustAdd(t *testing.T, s *Store, up Upload) *Info {
	t.Helper()
	in, err := s.Add(context.Background(), up)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	return in
}

// roundTrip is one upload and what must come back from the store.
type roundTrip struct {
	name         string
	up           Upload
	wantSecrets  map[string][]byte
	wantNotAfter *time.Time
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	p12NotAfter := f.p12.Cert.NotAfter.UTC()
	tests := []roundTrip{
		{"apns p8", f.apnsP8(), map[string][]byte{"p8": f.p8.PEM}, nil},
		{"apns p12", f.apnsP12(), map[string][]byte{"p12": f.p12.Data, "password": []byte(testPassword)}, &p12NotAfter},
		{"fcm", f.fcm(), map[string][]byte{"service_account": f.sa.JSON}, nil},
		{"xiaomi", android(vendors.Xiaomi, "xiaomi-app-secret-0123456789"), map[string][]byte{"app_secret": []byte("xiaomi-app-secret-0123456789")}, nil},
		{"huawei", android(vendors.Huawei, "huawei-app-secret-0123456789"), map[string][]byte{"app_secret": []byte("huawei-app-secret-0123456789")}, nil},
		{"honor", android(vendors.Honor, "honor-client-secret-0123456789"), map[string][]byte{"client_secret": []byte("honor-client-secret-0123456789")}, nil},
		{"oppo", android(vendors.OPPO, "oppo-master-secret-0123456789"), map[string][]byte{"master_secret": []byte("oppo-master-secret-0123456789")}, nil},
		{"vivo", android(vendors.Vivo, "vivo-app-secret-0123456789"), map[string][]byte{"app_secret": []byte("vivo-app-secret-0123456789")}, nil},
		{"meizu", android(vendors.Meizu, "meizu-app-secret-0123456789"), map[string][]byte{"app_secret": []byte("meizu-app-secret-0123456789")}, nil},
	}
	s, _ := newTestStore(t, randomKey(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRoundTrip(t, s, tt) })
	}
	checkListing(t, s, tests)
}

// checkRoundTrip adds tt.up and checks Add, Get, Credential and the stored
// document.
func checkRoundTrip(t *testing.T, s *Store, tt roundTrip) {
	ctx := context.Background()
	added := mustAdd(t, s, tt.up)
	if added.Version != 1 || !added.Healthy || !added.CreatedAt.Equal(testNow()) || added.AppID != testAppID || added.Vendor != tt.up.Vendor {
		t.Errorf("Add = %+v, want version 1, healthy, created now", added)
	}
	if diff := cmp.Diff(tt.wantNotAfter, added.NotAfter); diff != "" {
		t.Errorf("NotAfter (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fingerprints(tt.wantSecrets), added.Fingerprints); diff != "" {
		t.Errorf("Fingerprints (-want +got):\n%s", diff)
	}
	got, err := s.Get(ctx, added.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(added, got); diff != "" {
		t.Errorf("Get differs from Add (-add +get):\n%s", diff)
	}
	cred, err := s.Credential(ctx, added.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(tt.wantSecrets, cred.Secrets) {
		t.Errorf("Credential secrets differ from the upload's")
	}
	if cred.ID != added.ID || cred.Version != 1 || cred.Vendor != tt.up.Vendor || !maps.Equal(cred.Fields, added.Fields) || cred.Click != added.Click {
		t.Errorf("Credential metadata (id %d v%d %s %v %v) does not match %+v", cred.ID, cred.Version, cred.Vendor, cred.Fields, cred.Click, added)
	}
	raw, err := s.rdb.Get(ctx, s.certKey(added.ID)).Result()
	if err != nil {
		t.Fatal(err)
	}
	assertNoLeak(t, "stored document", raw, tt.wantSecrets)
	assertNoLeak(t, "Info JSON", jsonOf(t, got), tt.wantSecrets)
}

// checkListing checks that List shows every upload of tests, in id order,
// with the .p12 expiry and without secrets.
func checkListing(t *testing.T, s *Store, tests []roundTrip) {
	list, err := s.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(tests) {
		t.Fatalf("List returned %d certificates, want %d", len(list), len(tests))
	}
	listJSON := jsonOf(t, list)
	for i, tt := range tests {
		if list[i].ID != int64(i+1) || list[i].Vendor != tt.up.Vendor {
			t.Errorf("List[%d] = cert %d %s, want cert %d %s", i, list[i].ID, list[i].Vendor, i+1, tt.up.Vendor)
		}
		assertNoLeak(t, "List JSON", listJSON, tt.wantSecrets)
		if tt.wantNotAfter != nil && !strings.Contains(listJSON, `"not_after":"`+tt.wantNotAfter.Format(time.RFC3339)) {
			t.Errorf("List JSON lacks the .p12 not_after: %s", listJSON)
		}
	}
}

func TestAddRefusedStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	s, _ := newTestStore(t, randomKey(t))
	for _, tt := range refusals(t, f) {
		t.Run(tt.name, func(t *testing.T) {
			secrets := maps.Clone(tt.up.Secrets)
			_, err := s.Add(context.Background(), tt.up)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Fatalf("Add = %v, want a ValidationError for %q", err, tt.field)
			}
			assertNoLeak(t, "error", err.Error(), secrets)
			if keys := certKeys(t, s); len(keys) != 0 {
				t.Errorf("refused upload stored %v", keys)
			}
		})
	}
	if list, err := s.List(context.Background(), ""); err != nil || len(list) != 0 {
		t.Errorf("List after refusals = %v, %v; want empty", list, err)
	}
}

func TestWrongMasterKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyA, keyB := randomKey(t), randomKey(t)
	a, db := newTestStore(t, keyA)
	in := mustAdd(t, a, android(vendors.Xiaomi, "xiaomi-secret-for-key-a"))
	b, err := NewStore(db.Client, keyB, WithClock(testNow))
	if err != nil {
		t.Fatal(err)
	}
	_, credErr := b.Credential(ctx, in.ID)
	want := fmt.Sprintf("certificate %d: sealed under master key id %q, neither the current nor the previous key: wrong PUSHD_MASTER_KEY?", in.ID, KeyID(keyA))
	if credErr == nil || credErr.Error() != want || !errors.Is(credErr, ErrWrongKey) {
		t.Errorf("Credential under another key = %v, want %q", credErr, want)
	}
	checkErr := b.CheckKey(ctx)
	if !errors.Is(checkErr, ErrWrongKey) {
		t.Errorf("CheckKey under another key = %v, want ErrWrongKey", checkErr)
	}
	if _, err := b.Add(ctx, android(vendors.Xiaomi, "s")); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Add under another key = %v, want ErrWrongKey", err)
	}
	if _, err := b.Rotate(ctx, in.ID, android(vendors.Xiaomi, "s")); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Rotate under another key = %v, want ErrWrongKey", err)
	}
	if err := a.CheckKey(ctx); err != nil {
		t.Errorf("CheckKey under the right key: %v", err)
	}
	for _, e := range []error{credErr, checkErr} {
		if e != nil {
			assertNoLeak(t, "error", e.Error(), map[string][]byte{"a": keyA, "b": keyB})
		}
	}
	// With the key check value deleted by hand, CheckKey must still not
	// adopt a wrong key: it decrypts an existing certificate first.
	if err := db.Client.Del(ctx, b.keyCheckKey()).Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.CheckKey(ctx); !errors.Is(err, ErrWrongKey) {
		t.Errorf("CheckKey with no key check value and a foreign certificate = %v, want ErrWrongKey", err)
	}
	if err := a.CheckKey(ctx); err != nil {
		t.Errorf("CheckKey re-initializing under the right key: %v", err)
	}
}

func TestIDsNeverReused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestStore(t, randomKey(t))
	var ids []int64
	for range 3 {
		ids = append(ids, mustAdd(t, s, android(vendors.OPPO, "oppo-secret")).ID)
	}
	if diff := cmp.Diff([]int64{1, 2, 3}, ids); diff != "" {
		t.Fatalf("ids (-want +got):\n%s", diff)
	}
	for _, id := range []int64{3, 2} {
		if err := s.Delete(ctx, id); err != nil {
			t.Fatalf("Delete(%d): %v", id, err)
		}
	}
	if next := mustAdd(t, s, android(vendors.OPPO, "oppo-secret")).ID; next != 4 {
		t.Errorf("id after deleting 2 and 3 = %d, want 4", next)
	}
	for _, id := range []int64{2, 3} {
		if _, err := s.Get(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%d) after delete = %v, want ErrNotFound", id, err)
		}
		if _, err := s.Credential(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Credential(%d) after delete = %v, want ErrNotFound", id, err)
		}
		if err := s.Delete(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("second Delete(%d) = %v, want ErrNotFound", id, err)
		}
	}
	list, err := s.List(ctx, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int64{list[0].ID, list[1].ID}; len(list) != 2 || got[0] != 1 || got[1] != 4 {
		t.Errorf("List after deletes = %v, want ids 1 and 4", list)
	}
}

func TestListByApp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestStore(t, randomKey(t))
	for _, app := range []string{"app-b", "app-a", "app-b", "app-a"} {
		up := android(vendors.Vivo, "vivo-secret")
		up.AppID = app
		mustAdd(t, s, up)
	}
	for app, want := range map[string][]int64{"app-a": {2, 4}, "app-b": {1, 3}, "": {1, 2, 3, 4}, "app-c": {}} {
		list, err := s.List(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		got := []int64{}
		for _, in := range list {
			got = append(got, in.ID)
			if app != "" && in.AppID != app {
				t.Errorf("List(%q) returned cert %d of %q", app, in.ID, in.AppID)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("List(%q) ids (-want +got):\n%s", app, diff)
		}
	}
}

func TestMovedCiphertextFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Format-2 records carry a MAC over the metadata and the sealed text,
	// so every edit is caught before decryption, as ErrTampered.
	tests := []struct {
		name string
		edit func(target, source map[string]any)
	}{
		{"sealed secrets copied from another cert", func(target, source map[string]any) { target["sealed"] = source["sealed"] }},
		{"sealed secrets and mac copied from another cert", func(target, source map[string]any) {
			target["sealed"], target["mac"] = source["sealed"], source["mac"]
		}},
		{"app_id edited", func(target, _ map[string]any) { target["app_id"] = "1400000999" }},
		{"vendor edited", func(target, _ map[string]any) { target["vendor"] = "huawei" }},
		{"ciphertext bit flipped", func(target, _ map[string]any) {
			raw, _ := base64.StdEncoding.DecodeString(target["sealed"].(string))
			raw[len(raw)-1] ^= 1
			target["sealed"] = base64.StdEncoding.EncodeToString(raw)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db := newTestStore(t, randomKey(t))
			src := mustAdd(t, s, android(vendors.Xiaomi, "source-secret"))
			dst := mustAdd(t, s, android(vendors.Xiaomi, "target-secret"))
			docs := map[int64]map[string]any{}
			for _, id := range []int64{src.ID, dst.ID} {
				raw, err := db.Client.Get(ctx, s.certKey(id)).Result()
				if err != nil {
					t.Fatal(err)
				}
				doc := map[string]any{}
				if err := json.Unmarshal([]byte(raw), &doc); err != nil {
					t.Fatal(err)
				}
				docs[id] = doc
			}
			tt.edit(docs[dst.ID], docs[src.ID])
			if err := db.Client.Set(ctx, s.certKey(dst.ID), jsonOf(t, docs[dst.ID]), 0).Err(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Credential(ctx, dst.ID); !errors.Is(err, ErrTampered) {
				t.Errorf("Credential of the edited cert = %v, want ErrTampered", err)
			}
			if _, err := s.Credential(ctx, src.ID); err != nil {
				t.Errorf("Credential of the untouched cert: %v", err)
			}
		})
	}
}

func TestRecordOfAnotherIDRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, db := newTestStore(t, randomKey(t))
	in := mustAdd(t, s, android(vendors.Meizu, "meizu-secret"))
	raw, err := db.Client.Get(ctx, s.certKey(in.ID)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Client.Set(ctx, s.certKey(99), raw, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credential(ctx, 99); err == nil || !strings.Contains(err.Error(), "claims cert_id 1") {
		t.Errorf("Credential of a copied document = %v, want a cert_id mismatch", err)
	}
}
