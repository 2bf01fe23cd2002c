package certs

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pushd/pushd/vendors"
)

func TestParseMasterKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x01}, 11)[:32]
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"standard", base64.StdEncoding.EncodeToString(key), ""},
		{"standard with newline", base64.StdEncoding.EncodeToString(key) + "\n", ""},
		{"unpadded", base64.RawStdEncoding.EncodeToString(key), ""},
		{"url alphabet", base64.URLEncoding.EncodeToString(key), ""},
		{"empty", "  ", "is empty"},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), "decodes to 16 bytes, want 32"},
		{"not base64", "this is not base64 at all!!", "not valid base64"},
		{"hex", strings.Repeat("ab", 32), "decodes to 48 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMasterKey(tt.in)
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got, key) {
					t.Fatalf("ParseMasterKey = %x, %v; want the key", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseMasterKey error = %v, want %q", err, tt.wantErr)
			}
			if trimmed := strings.TrimSpace(tt.in); trimmed != "" && strings.Contains(err.Error(), trimmed) {
				t.Errorf("error echoes the key: %v", err)
			}
		})
	}
}

func TestNewStoreRejectsBadKeys(t *testing.T) {
	t.Parallel()
	for _, key := range [][]byte{nil, make([]byte, 16), make([]byte, 33)} {
		if _, err := NewStore(nil, key); err == nil {
			t.Errorf("NewStore with a %d-byte key succeeded", len(key))
		}
	}
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s, err := newSealer(randomKey(t))
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{"p12": {0, 1, 2, 255}, "password": []byte("pw")}
	sealed, err := s.seal(secrets, aad(7, "app", vendors.APNs))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.seal(secrets, aad(7, "app", vendors.APNs))
	if again == sealed {
		t.Error("two seals of the same secrets are identical: the nonce is not random")
	}
	got, err := s.open(sealed, aad(7, "app", vendors.APNs))
	if err != nil || !bytes.Equal(got["p12"], secrets["p12"]) || string(got["password"]) != "pw" {
		t.Fatalf("open = %v, %v", got, err)
	}
	for _, ad := range [][]byte{aad(8, "app", vendors.APNs), aad(7, "app2", vendors.APNs), aad(7, "app", vendors.FCM), aad(70, "", vendors.APNs)} {
		if _, err := s.open(sealed, ad); !errors.Is(err, ErrWrongKey) {
			t.Errorf("open with AAD %q = %v, want ErrWrongKey", ad, err)
		}
	}
	if _, err := s.open("%%%", aad(7, "app", vendors.APNs)); err == nil || errors.Is(err, ErrWrongKey) {
		t.Errorf("open of malformed base64 = %v, want a malformed error", err)
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	// sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.
	if got := Fingerprint([]byte("abc")); got != "sha256:ba7816bf8f01cfea" {
		t.Errorf("Fingerprint(abc) = %s", got)
	}
	fp := fingerprints(map[string][]byte{"p12": []byte("abc"), "password": []byte("pw")})
	if _, ok := fp["password"]; ok || fp["p12"] != "sha256:ba7816bf8f01cfea" {
		t.Errorf("fingerprints = %v, want p12 only", fp)
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "master.key")
	key, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created || len(key) != MasterKeySize {
		t.Fatalf("first LoadOrCreateKeyFile = %d bytes, created=%v, %v", len(key), created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", st.Mode(), err)
	}
	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Fatalf("second LoadOrCreateKeyFile = created=%v, same=%v, %v", created, bytes.Equal(again, key), err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file", len(entries))
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key file = %v, want refused", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("c2hvcnQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKeyFile(bad); err == nil || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "c2hvcnQ") {
		t.Errorf("short key file = %v, want an error naming the file, not its content", err)
	}
}

func TestLoadOrCreateKeyFileRace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 8
	keys := make([][]byte, n)
	created := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			keys[i], created[i], err = LoadOrCreateKeyFile(path)
			if err != nil {
				keys[i] = nil
			}
		})
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if keys[i] == nil || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got a different key (or an error)", i)
		}
		if created[i] {
			creators++
		}
	}
	if creators != 1 {
		t.Errorf("%d callers report creating the file, want 1", creators)
	}
}
