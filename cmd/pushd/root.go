package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/pushd/pushd/api"
)

// Exit codes.
const (
	exitOK          = 0
	exitRefused     = 1 // the vendor refused the delivery
	exitUsage       = 2 // bad flags, bad input or bad configuration
	exitUnreachable = 3 // the pushd server could not be reached
)

// exitError carries an exit code with its error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// globals are the flags every client subcommand shares.
type globals struct {
	server string
	output string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func (g *globals) client() *api.Client { return api.NewClient(g.server, os.Getenv("PUSHD_TOKEN")) }

// print writes v as JSON with --output json, or calls text otherwise.
func (g *globals) print(v any, text func(w io.Writer)) error {
	switch g.output {
	case "json":
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "text", "":
		text(g.stdout)
		return nil
	}
	return usageErr("--output must be text or json, got %q", g.output)
}

// run executes the CLI with args and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "pushd",
		Short:         "Offline push dispatcher for instant-messaging backends",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	server := os.Getenv("PUSHD_SERVER")
	if server == "" {
		server = "http://127.0.0.1:8080"
	}
	root.PersistentFlags().StringVar(&g.server, "server", server, "pushd API address (env PUSHD_SERVER); the token comes from PUSHD_TOKEN")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErr("%v", err) })
	root.AddCommand(serveCmd(g), workerCmd(g), apiCmd(g), certsCmd(g), pushCmd(g), enqueueCmd(g), configCmd(g),
		devicesCmd(g), usersCmd(g), jobsCmd(g), eventsCmd(g), traceCmd(g), benchCmd(g), fakeVendorCmd(g), versionCmd(g))
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "pushd:", err)
	return exitCode(err)
}

func exitCode(err error) int {
	var ee *exitError
	var ue *api.UnreachableError
	var se *api.StatusError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		return exitUnreachable
	case errors.As(err, &se):
		if se.Status == 502 {
			return exitRefused
		}
		return exitUsage
	}
	// Cobra's own argument errors ("unknown command", "accepts 1 arg").
	return exitUsage
}
