package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pushd/pushd/api"
)

func jobsCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "jobs", Short: "Inspect and replay failed (archived) jobs"}
	var app string
	failed := &cobra.Command{Use: "failed", Short: "List archived jobs with the reason they failed", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Jobs []api.FailedJob `json:"jobs"`
			}
			p := "/v1/jobs/failed"
			if app != "" {
				p += "?app=" + url.QueryEscape(app)
			}
			if err := g.client().Do(cmd.Context(), http.MethodGet, p, nil, &out); err != nil {
				return err
			}
			return g.print(out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TASK_ID\tTYPE\tAPP\tMSG_ID\tDEVICES\tRETRIED\tARCHIVED\tREASON")
				for _, j := range out.Jobs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", j.TaskID, j.Type, dash(j.AppID), dash(j.MsgID), j.Devices, j.Retried,
						j.ArchivedAt.Format("2006-01-02 15:04:05"), j.Reason)
				}
				tw.Flush()
			})
		}}
	failed.Flags().StringVar(&app, "app", "", "only this app's jobs")
	var all bool
	replay := &cobra.Command{Use: "replay [TASK_ID]", Short: "Re-enqueue an archived job, or --all of them", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := api.ReplayRequest{All: all, AppID: app}
			if len(args) == 1 {
				req.TaskID = args[0]
			}
			if (req.TaskID == "") == !all {
				return usageErr("give a TASK_ID or --all")
			}
			var out struct {
				Replayed int `json:"replayed"`
			}
			if err := g.client().Do(cmd.Context(), http.MethodPost, "/v1/jobs/replay", req, &out); err != nil {
				return err
			}
			return g.print(out, func(w io.Writer) { fmt.Fprintf(w, "replayed %d job(s)\n", out.Replayed) })
		}}
	replay.Flags().BoolVar(&all, "all", false, "replay every archived job (of --app when given)")
	replay.Flags().StringVar(&app, "app", "", "with --all: only this app's jobs")
	c.AddCommand(failed, replay)
	return c
}

func eventsCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "events", Short: "Delivery events (sent, failed, token_invalid, dropped)"}
	var app, since string
	var follow bool
	tail := &cobra.Command{Use: "tail", Short: "Print an app's delivery events as JSON lines, live", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if app == "" {
				return usageErr("--app is required")
			}
			q := url.Values{"follow": {fmt.Sprint(follow)}}
			if since != "" {
				q.Set("since", since)
			}
			cl := g.client()
			cl.HTTP.Timeout = 0
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, cl.Base+"/v1/apps/"+url.PathEscape(app)+"/events?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			if cl.Token != "" {
				req.Header.Set("Authorization", "Bearer "+cl.Token)
			}
			resp, err := cl.HTTP.Do(req)
			if err != nil {
				if cmd.Context().Err() != nil {
					return nil
				}
				return &api.UnreachableError{Base: cl.Base, Err: err}
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				return &api.StatusError{Status: resp.StatusCode, Body: api.ErrorBody{Error: string(b)}}
			}
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				fmt.Fprintln(g.stdout, sc.Text())
			}
			return nil
		}}
	tail.Flags().StringVar(&app, "app", "", "app id")
	tail.Flags().BoolVarP(&follow, "follow", "f", true, "keep printing new events")
	tail.Flags().StringVar(&since, "since", "", `start after this stream id ("0" = all retained events)`)
	c.AddCommand(tail)
	return c
}
