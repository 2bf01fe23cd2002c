package certs

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// LoadOrCreateKeyFile returns the master key kept in the file at path,
// creating the file with a new random key the first time (created is then
// true, so the caller can say where the key lives). The file holds the key
// in base64 and is readable by its owner only; a key file that others can
// read is refused, as ssh refuses such a private key. This is how the
// embedded default runs without PUSHD_MASTER_KEY.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	return loadOrCreate(path, "master key file")
}

// LoadOrCreatePasswordFile is LoadOrCreateKeyFile for a password: 32
// random bytes in URL-safe base64 without padding (43 characters), kept
// the same way (0600, refused when others can read it). The embedded Redis
// requires the one kept beside the master key.
func LoadOrCreatePasswordFile(path string) (password string, created bool, err error) {
	key, created, err := loadOrCreate(path, "password file")
	if err != nil {
		return "", false, err
	}
	return base64.RawURLEncoding.EncodeToString(key), created, nil
}

// loadOrCreate implements LoadOrCreateKeyFile; what names the file in
// errors.
func loadOrCreate(path, what string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path, what)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("%s: %w", what, err)
	}
	key = make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, err
	}
	switch err := createExclusive(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n")); {
	case errors.Is(err, fs.ErrExist):
		// Another process created it first; use its key.
		key, err = readKeyFile(path, what)
		return key, false, err
	case err != nil:
		return nil, false, fmt.Errorf("%s: %w", what, err)
	}
	return key, true, nil
}

// readKeyFile reads and decodes an existing key file.
func readKeyFile(path, what string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s is readable by others (mode %04o); run: chmod 600 %s", what, path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return key, nil
}

// createExclusive writes data to a new 0600 file at path, failing with
// fs.ErrExist if it exists. The data goes to a temporary file first and is
// linked into place, so a concurrent reader never sees half a key.
func createExclusive(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pushd-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
