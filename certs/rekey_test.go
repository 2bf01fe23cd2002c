package certs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pushd/pushd/vendors"
)

func TestRekey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyA, keyB := randomKey(t), randomKey(t)
	a, db := newTestStore(t, keyA)
	want := map[int64]string{}
	putFormat1(t, a, keyA, 10, "format-1-under-a") // migrated by a's first CheckKey
	want[10] = "format-1-under-a"
	for i := range 3 {
		secret := fmt.Sprintf("huawei-secret-%d", i)
		want[mustAdd(t, a, android(vendors.Huawei, secret)).ID] = secret
	}
	if err := a.CheckKey(ctx); err != nil {
		t.Fatal(err)
	}
	readAll := func(s *Store, what string) {
		t.Helper()
		for id, secret := range want {
			cred, err := s.Credential(ctx, id)
			if err != nil {
				t.Errorf("%s: Credential(%d): %v", what, id, err)
				continue
			}
			got := string(cred.Secrets["app_secret"]) + string(cred.Secrets["master_secret"])
			if got != secret {
				t.Errorf("%s: Credential(%d) secret = %q, want %q", what, id, got, secret)
			}
		}
		if list, err := s.List(ctx, ""); err != nil || len(list) != len(want) {
			t.Errorf("%s: List = %d certs, %v; want %d", what, len(list), err, len(want))
		}
	}
	// B without A cannot read the store.
	bOnly, err := NewStore(db.Client, keyB, WithClock(testNow))
	if err != nil {
		t.Fatal(err)
	}
	if err := bOnly.CheckKey(ctx); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("CheckKey with B only before the rekey = %v, want ErrWrongKey", err)
	}
	// B with previous A reads everything and writes under B.
	b, err := NewStore(db.Client, keyB, WithClock(testNow), WithPreviousKey(keyA))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckKey(ctx); err != nil {
		t.Fatalf("CheckKey with B and previous A: %v", err)
	}
	readAll(b, "B+A before rekey")
	in := mustAdd(t, b, android(vendors.Huawei, "added-during-switch"))
	want[in.ID] = "added-during-switch"
	if got := rawDoc(t, b, in.ID)["key_id"]; got != KeyID(keyB) {
		t.Errorf("certificate added during the switch sealed under %v, want B %s", got, KeyID(keyB))
	}
	// Rekey moves the four certificates still under A.
	res, err := b.Rekey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rekeyed != 4 || res.Total != 5 || res.KeyID != KeyID(keyB) {
		t.Errorf("Rekey = %+v, want 4 of 5 rekeyed under %s", res, KeyID(keyB))
	}
	for id := range want {
		if got := rawDoc(t, b, id)["key_id"]; got != KeyID(keyB) {
			t.Errorf("cert %d after rekey under %v, want B", id, got)
		}
	}
	if res, err := b.Rekey(ctx); err != nil || res.Rekeyed != 0 {
		t.Errorf("second Rekey = %+v, %v; want nothing to do", res, err)
	}
	// Dropping A: B alone reads everything; A alone no longer can.
	readAll(bOnly, "B only after rekey")
	if err := bOnly.CheckKey(ctx); err != nil {
		t.Errorf("CheckKey with B only after the rekey: %v", err)
	}
	if err := a.CheckKey(ctx); !errors.Is(err, ErrWrongKey) {
		t.Errorf("CheckKey with A only after the rekey = %v, want ErrWrongKey", err)
	}
	if _, err := a.Credential(ctx, 1); !errors.Is(err, ErrWrongKey) {
		t.Errorf("Credential with A only after the rekey = %v, want ErrWrongKey", err)
	}
}

func TestRekeyVersionsKept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keyA, keyB := randomKey(t), randomKey(t)
	a, db := newTestStore(t, keyA)
	in := mustAdd(t, a, android(vendors.Meizu, "meizu-v1"))
	if _, err := a.Rotate(ctx, in.ID, android(vendors.Meizu, "meizu-v2")); err != nil {
		t.Fatal(err)
	}
	if err := a.SetHealth(ctx, in.ID, false, "quota"); err != nil {
		t.Fatal(err)
	}
	b, err := NewStore(db.Client, keyB, WithClock(testNow), WithPreviousKey(keyA))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Rekey(ctx); err != nil {
		t.Fatal(err)
	}
	cred, err := b.Credential(ctx, in.ID)
	if err != nil || cred.Version != 2 || string(cred.Secrets["app_secret"]) != "meizu-v2" {
		t.Errorf("Credential after rekey = %+v, %v; want version 2 with meizu-v2", cred, err)
	}
	if got, _ := b.Get(ctx, in.ID); got == nil || got.Healthy || got.HealthReason != "quota" {
		t.Errorf("health after rekey = %+v, want kept", got)
	}
}

func TestPreviousKeyRefusesBadSize(t *testing.T) {
	t.Parallel()
	_, tdb := newTestStore(t, randomKey(t))
	db, key := tdb.Client, randomKey(t)
	if _, err := NewStore(db, key, WithPreviousKey([]byte("short"))); err == nil {
		t.Error("NewStore with a 5-byte previous key succeeded")
	}
	s, err := NewStore(db, key, WithPreviousKey(key))
	if err != nil || s.keys.previous != nil {
		t.Errorf("NewStore with previous = current: previous %v, err %v; want ignored", s.keys.previous, err)
	}
}
