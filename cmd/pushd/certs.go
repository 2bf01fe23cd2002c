package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/vendors"
)

func certsCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "certs", Short: "Manage push certificates and vendor credentials"}
	c.AddCommand(certsAddCmd(g, false), certsAddCmd(g, true), certsListCmd(g), certsShowCmd(g), certsRmCmd(g), certsRekeyCmd(g))
	return c
}

// vendorHelp lists the registered vendors for --vendor.
func vendorHelp() string {
	names := make([]string, 0, len(vendors.All()))
	for _, v := range vendors.All() {
		names = append(names, string(v))
	}
	return strings.Join(names, ", ")
}

// certFlags are the union of every vendor's certificate fields, one flag
// each (bundle_id → --bundle-id).
func certFlags(fs *pflag.FlagSet) map[string]*string {
	vals := map[string]*string{}
	for _, v := range vendors.All() {
		for _, f := range vendors.SpecOf(v) {
			if _, ok := vals[f.Name]; ok || f.Derived {
				continue
			}
			help := f.Help
			if f.File {
				help += " (path to the file)"
			}
			vals[f.Name] = fs.String(flagName(f.Name), "", help)
		}
	}
	return vals
}

func flagName(field string) string { return strings.ReplaceAll(field, "_", "-") }

func certsAddCmd(g *globals, rotate bool) *cobra.Command {
	var app, vendor, name, clickAction, clickTarget string
	c := &cobra.Command{
		Use:   "add",
		Short: "Upload a certificate; prints its new cert id",
		Example: `  pushd certs add --app 1400000001 --vendor apns --p8 AuthKey_ABC123DEFG.p8 --key-id ABC123DEFG --team-id TEAM123456 --bundle-id com.example.chat --env production
  pushd certs add --app 1400000001 --vendor apns --p12 push.p12 --password '…' --bundle-id com.example.chat --env development
  pushd certs add --app 1400000001 --vendor fcm --service-account firebase-adminsdk.json`,
		Args: cobra.NoArgs,
	}
	if rotate {
		c.Use, c.Short, c.Example = "rotate ID", "Replace a certificate's credentials, keeping its cert id", ""
		c.Args = cobra.ExactArgs(1)
	}
	fs := c.Flags()
	fs.StringVar(&app, "app", "", "app id (SDKAppID)")
	fs.StringVar(&vendor, "vendor", "", vendorHelp())
	fs.StringVar(&name, "name", "", "a label for operators")
	fs.StringVar(&clickAction, "click-action", "", "Android: open_app (default), url or intent")
	fs.StringVar(&clickTarget, "click-target", "", "Android: the URL or intent URI / Activity for --click-action")
	vals := certFlags(fs)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		var cur certs.Info
		if rotate {
			// A rotation keeps the certificate's app, vendor and the
			// settings not given again.
			if err := g.client().Do(cmd.Context(), http.MethodGet, "/v1/certs/"+args[0], nil, &cur); err != nil {
				return err
			}
			app, vendor = firstOf(app, cur.AppID), firstOf(vendor, string(cur.Vendor))
		}
		req, err := certRequest(cmd, app, vendor, name, vals)
		if err != nil {
			return err
		}
		if rotate {
			keepFields(req, cur.Fields)
		}
		req.Click = vendors.Click{Action: vendors.ClickAction(clickAction), Target: clickTarget}
		var info certs.Info
		if rotate {
			err = g.client().Do(cmd.Context(), http.MethodPut, "/v1/certs/"+args[0], req, &info)
		} else {
			err = g.client().Do(cmd.Context(), http.MethodPost, "/v1/certs", req, &info)
		}
		if err != nil {
			return err
		}
		return g.print(info, func(w io.Writer) { fmt.Fprintln(w, info.ID) })
	}
	return c
}

// certRequest builds the API request from the flags that were set, reading
// file flags and refusing flags that do not belong to the vendor.
func certRequest(cmd *cobra.Command, app, vendor, name string, vals map[string]*string) (*api.CertRequest, error) {
	v, err := vendors.ParseVendor(vendor)
	if err != nil {
		return nil, usageErr("--vendor: %v", err)
	}
	if app == "" {
		return nil, usageErr("--app is required")
	}
	spec := map[string]vendors.FieldSpec{}
	for _, f := range vendors.SpecOf(v) {
		spec[f.Name] = f
	}
	req := &api.CertRequest{AppID: app, Vendor: string(v), Name: name, Fields: map[string]string{}, Secrets: map[string]string{}}
	for field, val := range vals {
		if !cmd.Flags().Changed(flagName(field)) {
			continue
		}
		f, ok := spec[field]
		if !ok {
			return nil, usageErr("--%s does not apply to %s certificates", flagName(field), v)
		}
		data := []byte(*val)
		if f.File {
			if data, err = os.ReadFile(*val); err != nil {
				return nil, usageErr("--%s: %v", flagName(field), err)
			}
		}
		if f.Secret {
			req.Secrets[field] = base64.StdEncoding.EncodeToString(data)
		} else {
			req.Fields[field] = string(data)
		}
	}
	return req, nil
}

func certsListCmd(g *globals) *cobra.Command {
	var app string
	c := &cobra.Command{Use: "list", Short: "List certificates (metadata and fingerprints only)", Args: cobra.NoArgs}
	c.Flags().StringVar(&app, "app", "", "only this app's certificates")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		var out struct {
			Certs []certs.Info `json:"certs"`
		}
		path := "/v1/certs"
		if app != "" {
			path += "?app=" + app
		}
		if err := g.client().Do(cmd.Context(), http.MethodGet, path, nil, &out); err != nil {
			return err
		}
		return g.print(out, func(w io.Writer) {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CERT_ID\tAPP\tVENDOR\tNAME\tDETAIL\tNOT_AFTER\tHEALTH")
			for _, i := range out.Certs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", i.ID, i.AppID, i.Vendor, dash(i.Name), detail(i), notAfter(i), health(i))
			}
			tw.Flush()
		})
	}
	return c
}

func certsShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "show ID", Short: "Show one certificate (never its secrets)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var i certs.Info
			if err := g.client().Do(cmd.Context(), http.MethodGet, "/v1/certs/"+args[0], nil, &i); err != nil {
				return err
			}
			return g.print(i, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "cert_id\t%d\napp_id\t%s\nvendor\t%s\nname\t%s\nversion\t%d\n", i.ID, i.AppID, i.Vendor, dash(i.Name), i.Version)
				for _, k := range sortedKeys(i.Fields) {
					fmt.Fprintf(tw, "%s\t%s\n", k, i.Fields[k])
				}
				for _, k := range sortedKeys(i.Fingerprints) {
					fmt.Fprintf(tw, "%s\t%s (fingerprint)\n", k, i.Fingerprints[k])
				}
				if i.Click.Action != "" {
					fmt.Fprintf(tw, "click\t%s %s\n", i.Click.Action, i.Click.Target)
				}
				fmt.Fprintf(tw, "not_after\t%s\nhealth\t%s\ncreated_at\t%s\nupdated_at\t%s\n", notAfter(i), health(i),
					i.CreatedAt.Format(time.RFC3339), i.UpdatedAt.Format(time.RFC3339))
				tw.Flush()
			})
		},
	}
}

func certsRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "rm ID", Short: "Delete a certificate (its id is never reused)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.client().Do(cmd.Context(), http.MethodDelete, "/v1/certs/"+args[0], nil, nil); err != nil {
				return err
			}
			return g.print(map[string]string{"deleted": args[0]}, func(w io.Writer) { fmt.Fprintf(w, "deleted certificate %s\n", args[0]) })
		},
	}
}

// certsRekeyCmd re-seals every certificate under the current master key
// through POST /v1/certs:rekey; see docs/certificates.md for the steps.
func certsRekeyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rekey",
		Short: "Re-encrypt every certificate under the current master key (after setting master_key_previous)",
		Long: `Re-encrypt every certificate under the current master key, without downtime.

1. Restart every pushd process with the new key in PUSHD_MASTER_KEY and the
   old one in PUSHD_MASTER_KEY_PREVIOUS: they read certificates under either
   key and seal new ones under the new key.
2. Run pushd certs rekey: it re-seals what is still under the old key and
   prints how many certificates it moved.
3. Remove PUSHD_MASTER_KEY_PREVIOUS and restart.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var res certs.RekeyResult
			if err := g.client().Do(cmd.Context(), http.MethodPost, "/v1/certs:rekey", nil, &res); err != nil {
				return err
			}
			return g.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "rekeyed %d of %d certificates; all are now under master key id %s\n", res.Rekeyed, res.Total, res.KeyID)
			})
		},
	}
}

// keepFields fills the settings a rotation did not give from the current
// certificate; moving an APNs certificate to .p12 drops the .p8's key and
// team ids.
func keepFields(req *api.CertRequest, cur map[string]string) {
	_, p12 := req.Secrets[vendors.SecretP12]
	for k, v := range cur {
		if _, given := req.Fields[k]; given || k == vendors.FieldProjectID {
			continue
		}
		if p12 && (k == vendors.FieldKeyID || k == vendors.FieldTeamID) {
			continue
		}
		req.Fields[k] = v
	}
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func detail(i certs.Info) string {
	for _, k := range []string{vendors.FieldBundleID, vendors.FieldProjectID, vendors.FieldPackage, vendors.FieldAppID, vendors.FieldAppKey} {
		if v := i.Fields[k]; v != "" {
			if env := i.Fields[vendors.FieldEnv]; env != "" {
				return v + " (" + env + ")"
			}
			return v
		}
	}
	return "-"
}

func notAfter(i certs.Info) string {
	if i.NotAfter == nil {
		return "-"
	}
	return i.NotAfter.Format("2006-01-02")
}

func health(i certs.Info) string {
	if i.Healthy {
		return "ok"
	}
	return "UNHEALTHY: " + i.HealthReason
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
