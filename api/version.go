package api

import (
	"net/http"
	"runtime/debug"
)

// VersionInfo is what GET /v1/version and `pushd version` report: the
// module version, the VCS commit the binary was built from and the Go
// version, all read from the binary's build information.
type VersionInfo struct {
	// Module is the main module's path.
	Module string `json:"module"`
	// Version is the module version ("(devel)" for a build from a
	// checkout).
	Version string `json:"version"`
	// Commit is the vcs.revision stamped by `go build`, "" when the build
	// had no VCS information (go run, go test).
	Commit string `json:"commit,omitempty"`
	// CommitTime is the vcs.time of the commit.
	CommitTime string `json:"commit_time,omitempty"`
	// Modified is true when the working tree had uncommitted changes.
	Modified bool `json:"modified,omitempty"`
	// Go is the Go toolchain the binary was built with.
	Go string `json:"go"`
}

// BuildVersion reads the running binary's build information.
func BuildVersion() VersionInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return VersionInfo{Module: "github.com/pushd/pushd", Version: "unknown", Go: "unknown"}
	}
	return versionOf(bi)
}

// versionOf extracts a VersionInfo from bi (split out for tests).
func versionOf(bi *debug.BuildInfo) VersionInfo {
	v := VersionInfo{Module: bi.Main.Path, Version: bi.Main.Version, Go: bi.GoVersion}
	if v.Version == "" {
		v.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, BuildVersion())
}
