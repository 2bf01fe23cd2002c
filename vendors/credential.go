package vendors

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Credential is one certificate as an adapter needs it: the non-secret
// settings and the decrypted secret material. The certs package stores it
// encrypted and hands it out; adapters must never log Secrets.
type Credential struct {
	// ID is the certificate's numeric cert_id, the seed's busiId.
	ID     int64  `json:"cert_id"`
	AppID  string `json:"app_id"`
	Vendor Vendor `json:"vendor"`
	// Version increases whenever the certificate is rotated or edited;
	// cached senders are rebuilt when it changes.
	Version int64 `json:"version"`
	// Fields holds the non-secret settings, keyed by the Field* names.
	Fields map[string]string `json:"fields,omitempty"`
	// Secrets holds the secret material, keyed by the Secret* names.
	Secrets map[string][]byte `json:"-"`
	// Click is what tapping the notification does (Android vendors).
	Click Click `json:"click"`
}

// Field returns the non-secret setting name, or "".
func (c *Credential) Field(name string) string { return c.Fields[name] }

// Secret returns the secret name, or nil.
func (c *Credential) Secret(name string) []byte { return c.Secrets[name] }

// Require returns an error naming the first of names that is missing from
// Fields or Secrets.
func (c *Credential) Require(names ...string) error {
	for _, n := range names {
		if c.Fields[n] == "" && len(c.Secrets[n]) == 0 {
			return fmt.Errorf("%s certificate %d: %s is required", c.Vendor, c.ID, n)
		}
	}
	return nil
}

// The names of certificate settings and secrets. They are the JSON field
// names of the HTTP API and, with _ turned into -, the CLI flags.
const (
	FieldBundleID       = "bundle_id"
	FieldEnv            = "env"
	FieldKeyID          = "key_id"
	FieldTeamID         = "team_id"
	FieldProjectID      = "project_id"
	FieldAppID          = "app_id"
	FieldAppKey         = "app_key"
	FieldClientID       = "client_id"
	FieldPackage        = "package"
	FieldRegion         = "region"
	FieldChannelID      = "channel_id"
	FieldBadgeClass     = "badge_class"
	FieldCategory       = "category"
	FieldImportance     = "importance"
	FieldClassification = "classification"

	SecretP12            = "p12"
	SecretPassword       = "password"
	SecretP8             = "p8"
	SecretServiceAccount = "service_account"
	SecretAppSecret      = "app_secret"
	SecretClientSecret   = "client_secret"
	SecretMasterSecret   = "master_secret"
)

// APNs environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// ClickAction is what tapping an Android notification does.
type ClickAction string

// The click actions of SPEC §3.1.
const (
	ClickOpenApp ClickAction = "open_app"
	ClickURL     ClickAction = "url"
	ClickIntent  ClickAction = "intent"
)

// Click is a certificate's "Response after Click".
type Click struct {
	Action ClickAction `json:"action,omitempty"`
	// Target is the URL (ClickURL) or the intent URI / Activity class
	// (ClickIntent); empty for ClickOpenApp.
	Target string `json:"target,omitempty"`
}

// Normalize fills the default action and validates the target.
func (c Click) Normalize() (Click, error) {
	if c.Action == "" {
		c.Action = ClickOpenApp
	}
	switch c.Action {
	case ClickOpenApp:
		if c.Target != "" {
			return c, fmt.Errorf("click_target must be empty for click_action %s", c.Action)
		}
	case ClickURL:
		u, err := url.Parse(c.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("click_target %q: a url click action needs an http:// or https:// URL", c.Target)
		}
	case ClickIntent:
		if strings.TrimSpace(c.Target) == "" {
			return c, fmt.Errorf("click_target is required for click_action intent (an intent URI or Activity class)")
		}
	default:
		return c, fmt.Errorf("unknown click_action %q (want open_app, url or intent)", c.Action)
	}
	return c, nil
}

// CarriesExt reports whether ext is delivered with this click action: only
// "open app" and "open in-app page" pass custom content to the app.
func (c Click) CarriesExt() bool { return c.Action != ClickURL }

// Endpoint is where an adapter sends, so tests, benchmarks and the sandbox
// can point it at a loopback fake, and how long it may take.
//
// URL and AuthURL are set by the operator (configuration) or by code
// (tests, the sandbox), never by a credential: their host:port is trusted
// as given, loopback or not. Every other address an adapter connects to
// (the vendor's default hosts, an FCM service account's token_uri) must be
// public unless AllowAddresses holds it; internal/vendorhttp enforces that
// when it dials.
type Endpoint struct {
	// URL replaces the vendor's send host ("" = the vendor's default).
	URL string
	// AuthURL replaces the vendor's OAuth/auth endpoint ("" = default).
	AuthURL string
	// Client is the HTTP client to use (with the fake's CA trusted); nil
	// means the adapter's own default client. Its *http.Transport is
	// cloned and given the address guard and the timeouts.
	Client *http.Client
	// Timeout bounds one whole request and ConnectTimeout its TCP connect;
	// zero means DefaultTimeouts.
	Timeout, ConnectTimeout time.Duration
	// Allowed lists the non-public networks the adapter may connect to (an
	// egress proxy, a loopback fake named by a credential); nil allows none.
	Allowed *AddressList
}

// Builder makes a Sender for one certificate.
type Builder func(cred *Credential, ep Endpoint) (Sender, error)

// Registry maps each vendor to the Builder of its adapter. cmd wires it
// explicitly; there are no init-time registrations.
type Registry struct {
	builders  map[Vendor]Builder
	endpoints map[Vendor]Endpoint
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{builders: map[Vendor]Builder{}, endpoints: map[Vendor]Endpoint{}}
}

// Register adds the adapter of v with its endpoint. It panics if v is
// unknown or already registered: both are wiring bugs.
func (r *Registry) Register(v Vendor, b Builder, ep Endpoint) {
	if !v.Valid() {
		panic(fmt.Sprintf("vendors: register unknown vendor %q", v))
	}
	if _, dup := r.builders[v]; dup {
		panic(fmt.Sprintf("vendors: %s registered twice", v))
	}
	r.builders[v] = b
	r.endpoints[v] = ep
}

// Has reports whether an adapter for v is registered.
func (r *Registry) Has(v Vendor) bool { _, ok := r.builders[v]; return ok }

// Build makes the Sender for cred.
func (r *Registry) Build(cred *Credential) (Sender, error) {
	b, ok := r.builders[cred.Vendor]
	if !ok {
		return nil, fmt.Errorf("no adapter for vendor %q", cred.Vendor)
	}
	return b(cred, r.endpoints[cred.Vendor])
}
