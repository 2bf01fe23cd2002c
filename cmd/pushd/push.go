package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
)

func pushCmd(g *globals) *cobra.Command {
	var req api.PushRequest
	var badge int
	var verbose bool
	c := &cobra.Command{
		Use:   "push",
		Short: "Send a test push to one device token and print the vendor's answer",
		Long: `Send one notification synchronously through a certificate, bypassing the
queue and the notification rules, and print what the vendor answered. With
--dry-run nothing is sent: pushd prints the exact vendor request instead.
With --validate-only the vendor checks the credential, token and payload
without alerting the phone (FCM and Huawei validate_only, vivo pushMode 1);
Honor and OPPO only authenticate; HarmonyOS only signs its service-account
JWT, locally (Push Kit v3 documents no validation mode, so nothing is sent);
APNs, Xiaomi and Meizu have no such mode and answer validate_only_unsupported.

Exit code 0 when the vendor accepted it, 1 when the vendor refused it.`,
		Example: `  pushd push --cert 1 --token 8a3f… --title Hiking --desc "Denny: See you at 8" --badge 3
  pushd push --cert 1 --token 8a3f… --desc hello --ext '{"conv":"c2c_denny"}' --dry-run
  pushd push --cert 2 --token dXNlcj… --desc check --validate-only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("badge") {
				req.Badge = &badge
			}
			var res dispatcher.PushResult
			if err := g.client().Do(cmd.Context(), http.MethodPost, "/v1/push", req, &res); err != nil {
				return err
			}
			if err := g.print(res, func(w io.Writer) {
				printPush(w, &res, req.ValidateOnly)
				if verbose {
					printAnswers(w, res.Answers)
				}
			}); err != nil {
				return err
			}
			if !res.OK {
				return &exitError{code: exitRefused, err: errors.New("the vendor refused the push")}
			}
			return nil
		},
	}
	fs := c.Flags()
	fs.Int64Var(&req.CertID, "cert", 0, "certificate id")
	fs.StringVar(&req.Token, "token", "", "device token")
	fs.StringVar(&req.Title, "title", "", "notification title")
	fs.StringVar(&req.Desc, "desc", "", "notification body")
	fs.StringVar(&req.Ext, "ext", "", "pass-through content for the app")
	fs.StringVar(&req.Sound, "sound", "", `iOS sound file; "push.no_sound" for silent`)
	fs.IntVar(&badge, "badge", 0, "badge number to set")
	fs.StringVar(&req.MsgID, "msg-id", "", "message id (feeds the collapse id); random when empty")
	fs.BoolVar(&req.DryRun, "dry-run", false, "print the exact vendor request instead of sending it")
	fs.BoolVar(&req.ValidateOnly, "validate-only", false, "ask the vendor to check the credential and token without alerting the phone (FCM/Huawei validate_only, vivo pushMode 1; Honor/OPPO authenticate only; HarmonyOS signs its JWT locally; APNs/Xiaomi/Meizu: unsupported)")
	fs.BoolVarP(&verbose, "verbose", "v", false, "also print the vendor's raw answer: status, headers and body")
	return c
}

func printPush(w io.Writer, r *dispatcher.PushResult, validateOnly bool) {
	if len(r.Requests) > 0 {
		for _, q := range r.Requests {
			fmt.Fprintf(w, "%s %s\n", q.Method, q.URL)
			for _, k := range sortedKeys(q.Header) {
				fmt.Fprintf(w, "%s: %s\n", k, q.Header[k])
			}
			fmt.Fprintf(w, "\n%s\n", q.Body)
		}
		return
	}
	if r.OK && validateOnly {
		fmt.Fprintf(w, "validated: %s accepted the credential and token, no phone was alerted (certificate %d)\n", r.Vendor, r.CertID)
		return
	}
	if r.OK {
		fmt.Fprintf(w, "ok: %s accepted the push (certificate %d)", r.Vendor, r.CertID)
		if r.MessageID != "" {
			fmt.Fprintf(w, ", message id %s", r.MessageID)
		}
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "refused: %s answered %s", r.Vendor, r.Kind)
	if r.Status != 0 {
		fmt.Fprintf(w, ", HTTP %d", r.Status)
	}
	if r.Code != "" {
		fmt.Fprintf(w, ", code %s", r.Code)
	}
	fmt.Fprintf(w, "\n%s\n", r.Message)
}

// printAnswers prints the vendor's raw answers as an HTTP exchange would
// show them.
func printAnswers(w io.Writer, as []vendors.Answer) {
	for _, a := range as {
		fmt.Fprintf(w, "\n< HTTP %d\n", a.Status)
		for _, k := range sortedKeys(a.Header) {
			fmt.Fprintf(w, "< %s: %s\n", k, a.Header[k])
		}
		fmt.Fprintf(w, "<\n%s\n", a.Body)
	}
}

func enqueueCmd(g *globals) *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "enqueue --file job.json",
		Short: "Enqueue an offline-delivery job, as the message service does",
		Long: `Enqueue a push:message job (SPEC §3.3). The job is validated first: a bad
field is reported by name and nothing is queued. Enqueueing the same msg_id
again is a no-op that prints the existing task id. Use --file - for stdin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageErr("--file is required (use - for standard input)")
			}
			var body []byte
			var err error
			if file == "-" {
				body, err = io.ReadAll(g.stdin)
			} else {
				body, err = os.ReadFile(file)
			}
			if err != nil {
				return usageErr("--file: %v", err)
			}
			var res api.EnqueueResponse
			if err := g.client().DoRaw(cmd.Context(), http.MethodPost, "/v1/messages", strings.NewReader(string(body)), &res); err != nil {
				return err
			}
			return g.print(res, func(w io.Writer) {
				if res.Duplicate {
					fmt.Fprintf(w, "already enqueued: %s (nothing new queued)\n", res.TaskID)
					return
				}
				fmt.Fprintf(w, "enqueued: %s\n", res.TaskID)
			})
		},
	}
	c.Flags().StringVarP(&file, "file", "f", "", "job JSON file, - for stdin")
	return c
}
