package main

import (
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/pushd/pushd/configs"
)

func configCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Inspect configuration"}
	var local string
	var isLocal bool
	p := &cobra.Command{
		Use:   "print",
		Short: "Print the running server's configuration, secrets redacted",
		Long: `Print the effective configuration of the pushd at --server, with every
secret redacted: the master key, the API and metrics tokens, the webhook
secret, and the credentials of the Redis and webhook URLs (their userinfo
and query values). With --local, print the
configuration this machine would load (defaults, --config file, PUSHD_*
environment) without asking a server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cfg map[string]any
			if isLocal {
				c, err := configs.Load(local)
				if err != nil {
					return usageErr("%v", err)
				}
				cfg = c.Redacted().Map()
			} else if err := g.client().Do(cmd.Context(), http.MethodGet, "/v1/config", nil, &cfg); err != nil {
				return err
			}
			return g.print(cfg, func(w io.Writer) {
				b, err := yaml.Marshal(cfg)
				if err != nil {
					fmt.Fprintln(w, err)
					return
				}
				w.Write(b)
			})
		},
	}
	p.Flags().BoolVar(&isLocal, "local", false, "print the local configuration instead of the server's")
	p.Flags().StringVar(&local, "config", "", "config file for --local")
	c.AddCommand(p)
	return c
}
