package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pushd/pushd/dispatcher"
)

// traceCmd is `pushd trace --app A MSG_ID`: why a message was (not)
// pushed, per recipient and device.
func traceCmd(g *globals) *cobra.Command {
	var app string
	c := &cobra.Command{Use: "trace --app APP MSG_ID", Short: "Why no push? Every step of one message, per recipient and device",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if app == "" {
				return usageErr("--app is required")
			}
			var t dispatcher.Trace
			p := "/v1/apps/" + url.PathEscape(app) + "/messages/" + url.PathEscape(args[0]) + "/trace"
			if err := g.client().Do(cmd.Context(), http.MethodGet, p, nil, &t); err != nil {
				return err
			}
			return g.print(t, func(w io.Writer) { printTrace(w, &t) })
		}}
	c.Flags().StringVar(&app, "app", "", "app id")
	return c
}

// printTrace prints t as a table, one block of rows per recipient (in the
// order they first appear), each row a step in time order.
func printTrace(w io.Writer, t *dispatcher.Trace) {
	var users []string
	rows := map[string][]dispatcher.TraceEntry{}
	for _, e := range t.Entries {
		if _, ok := rows[e.UserID]; !ok {
			users = append(users, e.UserID)
		}
		rows[e.UserID] = append(rows[e.UserID], e)
	}
	fmt.Fprintf(w, "trace of message %s of app %s\n", t.MsgID, t.AppID)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tRECIPIENT\tDEVICE\tSTEP\tDETAIL")
	for _, u := range users {
		for _, e := range rows[u] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Format("2006-01-02 15:04:05.000"), dash(e.UserID), traceDevice(&e), e.Step, traceDetail(&e))
		}
	}
	tw.Flush()
	if t.More > 0 {
		fmt.Fprintf(w, "… %d more entries not kept (the trace of a message is bounded)\n", t.More)
	}
}

// traceDevice names a trace entry's device: vendor, certificate and token hash.
func traceDevice(e *dispatcher.TraceEntry) string {
	if e.CertID == 0 && e.Token == "" {
		return "-"
	}
	return fmt.Sprintf("%s cert %d token %s", dash(e.Vendor), e.CertID, dash(e.Token))
}

// traceDetail is what one step says, in words.
func traceDetail(e *dispatcher.TraceEntry) string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if e.Devices != nil {
		add("%d device(s) found", *e.Devices)
	}
	if e.Rule != "" {
		add("rule %s: %s", e.Rule, e.Setting)
	}
	if e.Step == dispatcher.StepRendered {
		add("title %q body %q", e.Title, e.Body)
		if e.Badge != nil {
			add("badge %d", *e.Badge)
		}
		if e.Truncated {
			add("text truncated")
		}
	}
	if e.VendorMsgID != "" {
		add("vendor id %s", e.VendorMsgID)
	}
	if e.LatencyMS != nil {
		add("%d ms", *e.LatencyMS)
	}
	if e.Attempt > 0 {
		add("attempt %d", e.Attempt)
	}
	if e.Kind != "" || e.Code != "" {
		add("%s %s", e.Kind, e.Code)
	}
	if e.RetryAt != nil {
		add("next try at %s", e.RetryAt.Format("15:04:05"))
	}
	if e.Reason != "" {
		add("reason %s", strconv.Quote(e.Reason))
	}
	return strings.Join(parts, ", ")
}
