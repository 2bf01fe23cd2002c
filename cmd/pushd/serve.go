package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/internal/app"
)

func serveCmd(g *globals) *cobra.Command { return processCmd(g, app.Options{}) }

// workerCmd and apiCmd run one half of serve each, to scale them apart.
func workerCmd(g *globals) *cobra.Command {
	c := processCmd(g, app.Options{NoAPI: true})
	c.Use, c.Short, c.Long = "worker", "Run only the worker (no HTTP API); scale it out against one Redis", ""
	return c
}

func apiCmd(g *globals) *cobra.Command {
	c := processCmd(g, app.Options{NoWorker: true})
	c.Use, c.Short, c.Long = "api", "Run only the HTTP API (no worker)", ""
	return c
}

// processCmd is serve, worker or api: the same process with halves left out.
func processCmd(g *globals, mode app.Options) *cobra.Command {
	var file, redisURL, listen, cpuprofile, memprofile string
	var sandbox bool
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the worker and the HTTP API",
		Long: `Run pushd: the asynq worker that delivers offline pushes, and the HTTP API
(with /metrics and /monitoring). With no Redis configured (--redis,
PUSHD_REDIS_URL or redis.url) it starts an embedded in-process Redis, which is
fine to try pushd but keeps nothing across a restart.

With --sandbox every vendor goes to an in-process fake of its push service
(the fakes the tests use), which trusts whatever certificate you upload:
enqueue, rules, the exact vendor request and the vendor's answer, without
any real credentials.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := configs.Load(file)
			if err != nil {
				return usageErr("%v", err)
			}
			if cmd.Flags().Changed("redis") {
				cfg.Redis.URL = redisURL
			}
			if cmd.Flags().Changed("listen") {
				cfg.Listen = listen
			}
			if err := cfg.Validate(); err != nil {
				return usageErr("%v", err)
			}
			if err := app.CheckListen(cfg); err != nil && !mode.NoAPI {
				return usageErr("%v", err)
			}
			opts := mode
			opts.Log, opts.Sandbox = newLogger(cfg.Log, g.stderr), sandbox
			if cpuprofile != "" {
				stop, err := startCPUProfile(cpuprofile)
				if err != nil {
					return usageErr("--cpuprofile: %v", err)
				}
				defer stop()
			}
			if memprofile != "" {
				defer writeHeapProfile(memprofile, g.stderr)
			}
			a, err := app.New(cmd.Context(), cfg, opts)
			if err != nil {
				return usageErr("%v", err)
			}
			defer a.Close()
			if fakes := a.SandboxFakes(); len(fakes) > 0 {
				fmt.Fprintln(g.stderr, "sandbox: nothing reaches a real push service; fake vendors running:")
				for _, line := range fakes {
					fmt.Fprintln(g.stderr, "  "+line)
				}
			}
			return a.Run(cmd.Context(), func(addr string) {
				fmt.Fprintf(g.stderr, "pushd is serving on http://%s (metrics /metrics, queue /monitoring/)\n", addr)
			})
		},
	}
	c.Flags().StringVar(&file, "config", "", "YAML config file (see configs/pushd.example.yaml)")
	c.Flags().StringVar(&redisURL, "redis", "", "Redis URL, e.g. redis://127.0.0.1:6379/0 (default: embedded)")
	c.Flags().StringVar(&listen, "listen", "", "HTTP API address (default 127.0.0.1:8080)")
	c.Flags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile to this file until the process stops (go tool pprof)")
	c.Flags().StringVar(&memprofile, "memprofile", "", "write a heap profile (allocations since start, and what is live) to this file when the process stops (go tool pprof -sample_index=alloc_space)")
	c.Flags().BoolVar(&sandbox, "sandbox", false, "send to in-process fake vendors that trust any uploaded certificate (no real pushes)")
	return c
}

// newLogger returns a slog logger: JSON unless stderr is a terminal (or as
// configured).
func newLogger(cfg configs.Log, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(strings.ToUpper(cfg.Level)))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.Format
	if format == "auto" || format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// writeHeapProfile writes the heap profile to file; a failure is reported,
// not fatal: the process is stopping anyway.
func writeHeapProfile(file string, stderr io.Writer) {
	f, err := os.Create(file)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		fmt.Fprintf(stderr, "pushd: --memprofile: %v\n", err)
	}
}

// startCPUProfile profiles the process into file until stop is called.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
