package api

import (
	"net/http"
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	cases := []struct {
		name string
		bi   debug.BuildInfo
		want VersionInfo
	}{
		{"checkout build", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/pushd/pushd", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0efbb1a"}, {Key: "vcs.time", Value: "2025-01-01T00:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			VersionInfo{Module: "github.com/pushd/pushd", Version: "(devel)", Commit: "0efbb1a", CommitTime: "2025-01-01T00:00:00Z", Modified: true, Go: "go1.26.0"}},
		{"go install at a tag", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/pushd/pushd", Version: "v1.2.3"}},
			VersionInfo{Module: "github.com/pushd/pushd", Version: "v1.2.3", Go: "go1.26.0"}},
		{"no version", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "m"}},
			VersionInfo{Module: "m", Version: "(devel)", Go: "go1.26.0"}},
	}
	for _, c := range cases {
		if got := versionOf(&c.bi); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestVersionRoute(t *testing.T) {
	f := newFixture(t, nil, nil)
	rec := f.do(request("GET", "/v1/version", "", nil))
	var v VersionInfo
	decode(t, rec, &v)
	if rec.Code != http.StatusOK || v.Go == "" || v.Module == "" || v.Version == "" {
		t.Fatalf("GET /v1/version: %d %+v", rec.Code, v)
	}
}
