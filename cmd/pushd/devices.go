package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/devices"
)

func devicesCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "devices", Short: "Report and inspect users' device bindings"}
	var app, user, platform string
	var cert int64
	var unread int
	c.PersistentFlags().StringVar(&app, "app", "", "app id")
	c.PersistentFlags().StringVar(&user, "user", "", "user id")
	path := func(token string) string {
		p := "/v1/apps/" + url.PathEscape(app) + "/users/" + url.PathEscape(user) + "/devices"
		if token != "" {
			p += "/" + strconv.FormatInt(cert, 10) + "/" + url.PathEscape(token)
		}
		return p
	}
	need := func(token bool, args []string) error {
		if app == "" || user == "" {
			return usageErr("--app and --user are required")
		}
		if token && (cert <= 0 || len(args) != 1) {
			return usageErr("give --cert ID and the device token as the argument")
		}
		return nil
	}
	bind := &cobra.Command{Use: "bind TOKEN", Short: "Report a device token after login (moves it from another user)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := need(true, args); err != nil {
				return err
			}
			return g.simple(cmd, http.MethodPut, path(args[0]), api.BindRequest{Platform: platform}, "bound")
		}}
	bind.Flags().StringVar(&platform, "platform", "", "ios, android, …")
	unbind := &cobra.Command{Use: "unbind TOKEN", Short: "Remove a binding (logout, forced offline, null config)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := need(true, args); err != nil {
				return err
			}
			return g.simple(cmd, http.MethodDelete, path(args[0]), nil, "unbound")
		}}
	bg := &cobra.Command{Use: "background TOKEN", Short: "Report the app went to the background with its unread count", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := need(true, args); err != nil {
				return err
			}
			return g.simple(cmd, http.MethodPost, path(args[0])+"/background", api.BackgroundRequest{Unread: unread}, "background")
		}}
	bg.Flags().IntVar(&unread, "unread", 0, "the app's unread count: the badge starts from it")
	fg := &cobra.Command{Use: "foreground TOKEN", Short: "Report the app is in the foreground (not pushed)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := need(true, args); err != nil {
				return err
			}
			return g.simple(cmd, http.MethodPost, path(args[0])+"/foreground", nil, "foreground")
		}}
	list := &cobra.Command{Use: "list", Short: "List a user's bindings (tokens shortened)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := need(false, args); err != nil {
				return err
			}
			var out struct {
				Devices []api.DeviceView `json:"devices"`
			}
			if err := g.client().Do(cmd.Context(), http.MethodGet, path(""), nil, &out); err != nil {
				return err
			}
			return g.print(out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CERT_ID\tTOKEN\tPLATFORM\tSTATE\tBADGE\tREPORTED")
				for _, d := range out.Devices {
					state := "-"
					if d.Background {
						state = "background"
					} else if d.Foreground {
						state = "foreground"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", d.CertID, d.Token, dash(d.Platform), state, d.Badge, d.ReportedAt.Format("2006-01-02 15:04:05"))
				}
				tw.Flush()
			})
		}}
	for _, sub := range []*cobra.Command{bind, unbind, bg, fg} {
		sub.Flags().Int64Var(&cert, "cert", 0, "certificate id the token was reported with")
	}
	c.AddCommand(bind, unbind, bg, fg, list)
	return c
}

// simple calls the API and prints a one-word confirmation (or the JSON).
func (g *globals) simple(cmd *cobra.Command, method, path string, body any, done string) error {
	var out map[string]any
	if err := g.client().Do(cmd.Context(), method, path, body, &out); err != nil {
		return err
	}
	return g.print(out, func(w io.Writer) { fmt.Fprintln(w, done) })
}

func usersCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "users", Short: "Users' push settings"}
	var app, user, c2c, group, tz, start, locale, kind, id, opt string
	var push int
	var minutes int
	settings := &cobra.Command{
		Use:   "settings",
		Short: "Show, or with flags change, a user's push settings",
		Example: `  pushd users settings --app 1400000001 --user vinson
  pushd users settings --app 1400000001 --user vinson --push off --c2c-sound 01.caf
  pushd users settings --app 1400000001 --user vinson --dnd-start 22:00 --dnd-minutes 480 --dnd-tz Asia/Shanghai`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if app == "" || user == "" {
				return usageErr("--app and --user are required")
			}
			p := "/v1/apps/" + url.PathEscape(app) + "/users/" + url.PathEscape(user) + "/settings"
			var patch devices.SettingsPatch
			changed := false
			f := cmd.Flags()
			if f.Changed("push") {
				patch.Push, changed = push, true
			}
			for flag, dst := range map[string]**string{"c2c-sound": &patch.C2CSound, "group-sound": &patch.GroupSound, "locale": &patch.Locale} {
				if f.Changed(flag) {
					v, _ := f.GetString(flag)
					*dst, changed = &v, true
				}
			}
			if f.Changed("dnd-start") || f.Changed("dnd-minutes") || f.Changed("dnd-tz") {
				patch.DND, changed = &devices.DND{Start: start, Duration: devices.Duration(time.Duration(minutes) * time.Minute), TZ: tz}, true
			}
			var st devices.Settings
			var err error
			if changed {
				err = g.client().Do(cmd.Context(), http.MethodPut, p, patch, &st)
			} else {
				err = g.client().Do(cmd.Context(), http.MethodGet, p, nil, &st)
			}
			if err != nil {
				return err
			}
			return g.print(st, func(w io.Writer) {
				state := map[int]string{devices.PushOn: "on", devices.PushOff: "off"}[st.Push]
				if state == "" {
					state = "on"
				}
				fmt.Fprintf(w, "push\t%s\nc2c_sound\t%s\ngroup_sound\t%s\nlocale\t%s\n", state, dash(st.C2CSound), dash(st.GroupSound), dash(st.Locale))
				if st.DND != nil {
					fmt.Fprintf(w, "dnd\t%s for %s (%s)\n", st.DND.Start, time.Duration(st.DND.Duration), dash(st.DND.TZ))
				}
			})
		},
	}
	fs := settings.Flags()
	fs.IntVar(&push, "push", 0, "global switch: 1 on, 2 off (the seed's openPush)")
	fs.StringVar(&c2c, "c2c-sound", "", "iOS sound for one-to-one messages")
	fs.StringVar(&group, "group-sound", "", "iOS sound for group messages")
	fs.StringVar(&locale, "locale", "", "locale of generated text (en, zh-Hans)")
	fs.StringVar(&start, "dnd-start", "", "do-not-disturb start, HH:MM local time")
	fs.IntVar(&minutes, "dnd-minutes", 0, "do-not-disturb length in minutes (0 turns it off)")
	fs.StringVar(&tz, "dnd-tz", "", "IANA time zone of the window")
	recv := &cobra.Command{
		Use:   "receive-option",
		Short: "Set a user's receive option for a peer (c2c) or a group",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if app == "" || user == "" || kind == "" || id == "" || opt == "" {
				return usageErr("--app, --user, --kind, --id and --opt are required")
			}
			p := "/v1/apps/" + url.PathEscape(app) + "/users/" + url.PathEscape(user) + "/receive-options/" + url.PathEscape(kind) + "/" + url.PathEscape(id)
			return g.simple(cmd, http.MethodPut, p, api.ReceiveOptionRequest{Opt: opt}, "ok")
		},
	}
	recv.Flags().StringVar(&kind, "kind", "", "c2c or group")
	recv.Flags().StringVar(&id, "id", "", "peer user id or group id")
	recv.Flags().StringVar(&opt, "opt", "", "receive, receive_not_notify, not_receive or default")
	c.PersistentFlags().StringVar(&app, "app", "", "app id")
	c.PersistentFlags().StringVar(&user, "user", "", "user id")
	c.AddCommand(settings, recv)
	return c
}
