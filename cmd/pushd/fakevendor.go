package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pushd/pushd/internal/bench"
	"github.com/pushd/pushd/vendors"
)

func fakeVendorCmd(g *globals) *cobra.Command {
	var listenFile, cpuprofile string
	var delays, hangs []string
	c := &cobra.Command{
		Use:   "fake-vendor",
		Short: "Run loopback fakes of every push vendor (what pushd bench measures against)",
		Long: `Run the fakes of every vendor (the ones the tests and serve --sandbox use) in
this process, each on its own loopback TLS port, with a generated
certificate per vendor that the fakes trust. When ready it writes
--listen-file: each vendor's endpoint, auth endpoint, CA file and the
certificate to upload (POST /v1/certs), and the control endpoint:
GET /stats (devices received and enqueue→vendor latencies per vendor, from
the "bench_t" in each job's ext) and POST /reset. Runs until interrupted.`,
		Example: `  pushd fake-vendor --listen-file /tmp/fake.json --delay huawei=3s`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := bench.FakeOptions{ListenFile: listenFile, Delay: map[vendors.Vendor]time.Duration{}, Log: g.stderr}
			for _, d := range delays {
				v, dur, err := parseVendorDelay(d)
				if err != nil {
					return usageErr("--delay: %v", err)
				}
				opts.Delay[v] = dur
			}
			for _, h := range hangs {
				v, err := vendors.ParseVendor(h)
				if err != nil {
					return usageErr("--hang: %v", err)
				}
				opts.Hang = append(opts.Hang, v)
			}
			if listenFile == "" {
				return usageErr("--listen-file is required")
			}
			if cpuprofile != "" {
				stop, err := startCPUProfile(cpuprofile)
				if err != nil {
					return usageErr("--cpuprofile: %v", err)
				}
				defer stop()
			}
			return bench.RunFake(cmd.Context(), opts)
		},
	}
	c.Flags().StringVar(&listenFile, "listen-file", "", "where to write the endpoints, CA files and certificates (JSON)")
	c.Flags().StringArrayVar(&delays, "delay", nil, "VENDOR=DURATION: that vendor's fake answers every request after DURATION (repeatable)")
	c.Flags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the fakes to this file until the process stops (go tool pprof)")
	c.Flags().StringArrayVar(&hangs, "hang", nil, "VENDOR: that vendor's fake never answers (repeatable)")
	return c
}

// parseVendorDelay parses "huawei=3s".
func parseVendorDelay(s string) (vendors.Vendor, time.Duration, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return "", 0, fmt.Errorf("%q is not VENDOR=DURATION", s)
	}
	v, err := vendors.ParseVendor(name)
	if err != nil {
		return "", 0, err
	}
	d, err := time.ParseDuration(val)
	if err != nil || d <= 0 {
		return "", 0, fmt.Errorf("%q: the duration must be positive, like 3s", s)
	}
	return v, d, nil
}
