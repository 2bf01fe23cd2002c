package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pushd/pushd/api"
)

// versionCmd prints the binary's own version; it needs no server.
func versionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print pushd's version, commit and Go version",
		Long: `Print the module version, the VCS commit the binary was built from and the
Go version, read from the binary's build information. A running server
answers the same at GET /v1/version.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := api.BuildVersion()
			return g.print(v, func(w io.Writer) { printVersion(w, v) })
		},
	}
}

func printVersion(w io.Writer, v api.VersionInfo) {
	fmt.Fprintf(w, "pushd %s (%s)\n", v.Version, v.Module)
	if v.Commit != "" {
		dirty := ""
		if v.Modified {
			dirty = " (modified)"
		}
		fmt.Fprintf(w, "commit %s%s %s\n", v.Commit, dirty, v.CommitTime)
	}
	fmt.Fprintf(w, "go %s\n", v.Go)
}
