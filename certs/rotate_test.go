package certs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/vendors"
)

func TestRotate(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	ctx := context.Background()
	s, _ := newTestStore(t, randomKey(t))
	orig := mustAdd(t, s, f.apnsP8())
	if err := s.SetHealth(ctx, orig.ID, false, "InvalidProviderToken"); err != nil {
		t.Fatal(err)
	}

	// A .p12 replaces the .p8: the fields are inherited (bundle_id, env)
	// without the .p8-only key_id and team_id.
	rot, err := s.Rotate(ctx, orig.ID, Upload{Secrets: f.apnsP12().Secrets})
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	wantNA := f.p12.Cert.NotAfter.UTC()
	want := Info{ID: orig.ID, AppID: testAppID, Vendor: vendors.APNs, Name: orig.Name, Version: 2,
		Fields:       map[string]string{"bundle_id": testBundle, "env": "production"},
		Fingerprints: map[string]string{"p12": Fingerprint(f.p12.Data)}, NotAfter: &wantNA,
		Click: vendors.Click{Action: vendors.ClickOpenApp}, CreatedAt: testNow(), UpdatedAt: testNow(), Healthy: true}
	if diff := cmp.Diff(&want, rot); diff != "" {
		t.Errorf("Rotate (-want +got):\n%s", diff)
	}
	cred, err := s.Credential(ctx, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cred.Version != 2 || string(cred.Secret("p12")) != string(f.p12.Data) || cred.Secret("p8") != nil {
		t.Errorf("Credential after rotate: version %d, p12 %v, p8 %v", cred.Version, cred.Secret("p12") != nil, cred.Secret("p8") != nil)
	}

	refused := []struct {
		name  string
		up    Upload
		field string
	}{
		{"another app", func() Upload { u := f.apnsP8(); u.AppID = "1400000999"; return u }(), "app_id"},
		{"another vendor", android(vendors.Xiaomi, "s"), "vendor"},
		{"p12 without password", Upload{Secrets: map[string][]byte{"p12": f.p12.Data}}, "password"},
		{"p8 that is RSA", Upload{Fields: f.apnsP8().Fields, Secrets: map[string][]byte{"p8": f.rsaP8}}, "p8"},
	}
	for _, tt := range refused {
		_, err := s.Rotate(ctx, orig.ID, tt.up)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field {
			t.Errorf("Rotate %s = %v, want a ValidationError for %q", tt.name, err, tt.field)
		}
	}
	if got, _ := s.Get(ctx, orig.ID); got.Version != 2 {
		t.Errorf("refused rotations changed the version to %d", got.Version)
	}
	if _, err := s.Rotate(ctx, 404, android(vendors.Xiaomi, "s")); !errors.Is(err, ErrNotFound) {
		t.Errorf("Rotate of a missing cert = %v, want ErrNotFound", err)
	}
}

func TestRotateKeepsClickAndName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestStore(t, randomKey(t))
	up := android(vendors.Huawei, "old-secret")
	up.Name = "huawei prod"
	up.Click = vendors.Click{Action: vendors.ClickIntent, Target: "intent://chat#Intent;end"}
	in := mustAdd(t, s, up)
	rot, err := s.Rotate(ctx, in.ID, Upload{Secrets: map[string][]byte{"app_secret": []byte("new-secret")}})
	if err != nil {
		t.Fatal(err)
	}
	if rot.Name != "huawei prod" || rot.Click != up.Click || !cmp.Equal(rot.Fields, in.Fields) {
		t.Errorf("Rotate dropped settings: %+v", rot)
	}
	cred, err := s.Credential(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(cred.Secret("app_secret")) != "new-secret" {
		t.Errorf("secret after rotate = %q", cred.Secret("app_secret"))
	}
}

func TestConcurrentRotations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestStore(t, randomKey(t))
	in := mustAdd(t, s, android(vendors.OPPO, "secret-0"))
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Rotate(ctx, in.ID, Upload{Secrets: map[string][]byte{"master_secret": []byte("rotated")}})
		})
	}
	wg.Wait()
	rotated := int64(0)
	for _, err := range errs {
		if err == nil {
			rotated++
		} else if !strings.Contains(err.Error(), "changed concurrently") {
			t.Errorf("Rotate: %v", err)
		}
	}
	got, err := s.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1+rotated || rotated == 0 {
		t.Errorf("version after %d successful rotations = %d, want %d", rotated, got.Version, 1+rotated)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestStore(t, randomKey(t))
	in := mustAdd(t, s, android(vendors.Vivo, "vivo-secret"))
	steps := []struct {
		name        string
		set         func() error
		wantHealthy bool
		wantReason  string
	}{
		{"vendor rejects", func() error { return s.SetHealth(ctx, in.ID, false, "vivo 10000: authentication failure") }, false, "vivo 10000: authentication failure"},
		{"stale version ignored", func() error { return s.SetHealthIfVersion(ctx, in.ID, 7, true, "") }, false, "vivo 10000: authentication failure"},
		{"current version applies", func() error { return s.SetHealthIfVersion(ctx, in.ID, 1, true, "") }, true, ""},
		{"long reason clipped", func() error { return s.SetHealth(ctx, in.ID, false, strings.Repeat("é", 400)) }, false, strings.Repeat("é", 256) + "…"},
	}
	for _, st := range steps {
		if err := st.set(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		list, err := s.List(ctx, testAppID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Healthy != st.wantHealthy || list[0].HealthReason != st.wantReason {
			t.Errorf("%s: listing shows %+v, want healthy=%v reason %q", st.name, list, st.wantHealthy, st.wantReason)
		}
	}
	if err := s.SetHealth(ctx, 404, false, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetHealth of a missing cert = %v, want ErrNotFound", err)
	}
}

func TestExpiredP12ShowsUnhealthy(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	ctx := context.Background()
	key := randomKey(t)
	s, db := newTestStore(t, key)
	in := mustAdd(t, s, f.apnsP12())
	later, err := NewStore(db.Client, key, WithClock(func() time.Time { return f.p12.Cert.NotAfter.Add(time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	got, err := later.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Healthy || !strings.Contains(got.HealthReason, "expired") {
		t.Errorf("expired .p12 shows healthy=%v reason %q", got.Healthy, got.HealthReason)
	}
}

func TestChangesVisibleToOtherWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := randomKey(t)
	api, db := newTestStore(t, key)
	worker, err := NewStore(db.Client, key, WithClock(testNow))
	if err != nil {
		t.Fatal(err)
	}
	in := mustAdd(t, api, android(vendors.Xiaomi, "first-secret"))
	if _, err := worker.Credential(ctx, in.ID); err != nil {
		t.Fatalf("worker cannot read a new certificate: %v", err)
	}
	if _, err := api.Rotate(ctx, in.ID, Upload{Secrets: map[string][]byte{"app_secret": []byte("second-secret")}}); err != nil {
		t.Fatal(err)
	}
	cred, err := worker.Credential(ctx, in.ID)
	if err != nil {
		t.Fatalf("worker after rotate: %v", err)
	}
	if cred.Version != 2 || string(cred.Secret("app_secret")) != "second-secret" {
		t.Errorf("worker after rotate: version %d, new secret %v; want version 2 with the new secret", cred.Version, string(cred.Secret("app_secret")) == "second-secret")
	}
	if err := api.Delete(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := worker.Credential(ctx, in.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("worker after delete = %v, want ErrNotFound", err)
	}
}
