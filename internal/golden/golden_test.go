package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of stopping the
// real test, so the helpers' failure paths can be checked.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
}

// Fatalf records the failure and ends the helper's goroutine, as the real
// Fatalf does; tests call helpers that may Fatalf through call.
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(r)
}

// call runs f with r, swallowing the panic Fatalf uses to stop f.
func (r *recorder) call(f func()) {
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
	}()
	f()
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCasesListsInputsSorted(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.in.json", "a.in.json", "a.golden.json", "notes.txt"} {
		write(t, filepath.Join(dir, f), "{}")
	}
	if got, want := Cases(t, dir), []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Cases = %q, want %q", got, want)
	}
	r := &recorder{TB: t}
	r.call(func() { Cases(r, t.TempDir()) })
	if !r.failed {
		t.Error("Cases of an empty directory did not fail")
	}
}

func TestJSONIgnoresLayoutAndReportsDiffs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.golden.json")
	write(t, path, "{\n  \"b\": [1, 2],\n  \"a\": \"x\"\n}\n")
	JSON(t, path, []byte(`{"a":"x","b":[1,2]}`))

	r := &recorder{TB: t}
	r.call(func() { JSON(r, path, []byte(`{"a":"y","b":[1,2]}`)) })
	if !r.failed || !strings.Contains(r.msg, `"x"`) || !strings.Contains(r.msg, `"y"`) {
		t.Errorf("a changed value: failed=%v, diff %q lacks both values", r.failed, r.msg)
	}
	r = &recorder{TB: t}
	r.call(func() { JSON(r, filepath.Join(t.TempDir(), "missing.golden.json"), []byte(`{}`)) })
	if !r.failed {
		t.Error("a missing golden file did not fail")
	}
}

func TestJSONUpdateRewritesTheFile(t *testing.T) {
	old := *update
	*update = true
	t.Cleanup(func() { *update = old })
	path := filepath.Join(t.TempDir(), "c.golden.json")
	write(t, path, `{"stale": true}`)
	JSON(t, path, []byte(`{"fresh":true}`))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "{\"fresh\":true}\n" {
		t.Errorf("golden file after -update = %q", b)
	}
}

func TestRunAndMarshal(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "one.in.json"), `{"n": "<&>"}`)
	write(t, filepath.Join(dir, "one.golden.json"), "{\n  \"n\": \"<&>\",\n  \"seen\": true\n}\n")
	var ran []string
	Run(t, dir, func(t *testing.T, in string) []byte {
		var v map[string]any
		ReadJSON(t, in, &v)
		v["seen"] = true
		ran = append(ran, filepath.Base(in))
		return Marshal(t, v)
	})
	if !reflect.DeepEqual(ran, []string{"one.in.json"}) {
		t.Errorf("Run built %q", ran)
	}
	if got := string(Marshal(t, map[string]string{"n": "<&>"})); got != "{\n  \"n\": \"<&>\"\n}\n" {
		t.Errorf("Marshal = %q", got)
	}
}
