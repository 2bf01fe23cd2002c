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
configuration this machine would load (defaults, --config file,
PUSHD_CONFIG_JSON, PUSHD_<KEY> variables) without asking a server.`,
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
	c.AddCommand(p, keysCmd())
	return c
}

// keysCmd lists every configuration key with the variable that sets it.
func keysCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "keys",
		Short: "List every configuration key and its PUSHD_ environment variable",
		Long: `List every configuration key with the PUSHD_ variable that sets it alone.
Keys shown with PUSHD_CONFIG_JSON are map- or list-shaped and keyed by the
operator (tokens, apps, limits.apps, worker.rate_limits): give them in the
JSON object PUSHD_CONFIG_JSON, merged over the file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			for _, k := range configs.Keys() {
				env := k.Env
				if env == "" {
					env = configs.EnvConfigJSON
				}
				fmt.Fprintf(w, "%-40s %s\n", k.Name, env)
			}
			return nil
		},
	}
}
