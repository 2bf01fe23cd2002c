// Package golden is the golden-file harness shared by the vendor payload
// tests: testdata/<case>.in.json is the input of a case, and what the code
// under test builds from it is compared, as JSON, with
// testdata/<case>.golden.json. Running the tests with -update rewrites the
// golden files from the current output instead.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is registered here, once, so that every test binary importing this
// package gets the flag without defining its own (a second definition of
// the same flag name panics at start-up).
var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

const (
	inSuffix     = ".in.json"
	goldenSuffix = ".golden.json"
)

// Cases returns the names of the cases in dir, that is the *.in.json files
// without that suffix, sorted. It fails the test when there are none, since
// a golden test that checks nothing must not pass.
func Cases(t testing.TB, dir string) []string {
	t.Helper()
	ins, err := filepath.Glob(filepath.Join(dir, "*"+inSuffix))
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden cases in %s: %v", dir, err)
	}
	names := make([]string, len(ins))
	for i, in := range ins {
		names[i] = strings.TrimSuffix(filepath.Base(in), inSuffix)
	}
	sort.Strings(names)
	return names
}

// Run runs one subtest per case in dir. build reads the case's input file
// (its path is passed in) and returns the JSON document the case produces,
// which is then compared with, or written to, the case's golden file.
func Run(t *testing.T, dir string, build func(t *testing.T, inPath string) []byte) {
	t.Helper()
	for _, name := range Cases(t, dir) {
		t.Run(name, func(t *testing.T) {
			got := build(t, filepath.Join(dir, name+inSuffix))
			JSON(t, filepath.Join(dir, name+goldenSuffix), got)
		})
	}
}

// ReadJSON decodes the JSON file at path into v, failing the test on error.
func ReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Marshal encodes v the way golden files are written: indented by two
// spaces, ending in a newline, with <, > and & kept as they are so that the
// files stay readable.
func Marshal(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// JSON compares the JSON document got with the golden file at path as JSON
// values, so that key order and spacing do not matter, and reports a go-cmp
// diff when they differ. With -update it first rewrites the file with got
// (plus a final newline if got lacks one).
func JSON(t testing.TB, path string, got []byte) {
	t.Helper()
	var have any
	if err := json.Unmarshal(got, &have); err != nil {
		t.Fatalf("output for %s is not JSON: %v", path, err)
	}
	if *update {
		if !bytes.HasSuffix(got, []byte("\n")) {
			got = append(got[:len(got):len(got)], '\n')
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var want any
	ReadJSON(t, path, &want)
	if d := cmp.Diff(want, have); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}
