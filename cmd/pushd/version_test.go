package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/pushd/pushd/api"
)

func TestVersionCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("pushd version: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "go "+runtime.Version()) || !strings.HasPrefix(out.String(), "pushd ") {
		t.Fatalf("pushd version printed %q", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"version", "-o", "json"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("pushd version -o json: exit %d", code)
	}
	var v api.VersionInfo
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v.Go != runtime.Version() || v.Module == "" {
		t.Fatalf("pushd version -o json: %q (%v)", out.String(), err)
	}
}
