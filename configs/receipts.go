package configs

import (
	"net/url"
	"strings"
	"time"
)

// Receipts configures vendor receipts (delivered, clicked) and the funnel
// (docs/rules.md "Receipts and the funnel").
type Receipts struct {
	// BaseURL is the public URL vendors reach pushd's API at, e.g.
	// https://push.example.com; callbacks go to
	// <base_url>/v1/receipts/<vendor>/<cert_id>. Receipts are off while it
	// is empty.
	BaseURL string `mapstructure:"base_url"`
	// Secret keys the signed references the callbacks carry (required
	// with base_url; prefer PUSHD_RECEIPTS_SECRET). Changing it makes the
	// receipts of messages already sent unverifiable.
	Secret string `mapstructure:"secret"`
	// CallbackUser and CallbackSecret are the callback user name and key
	// configured in AppGallery Connect (Huawei) and the Honor console:
	// when both are set, Huawei and Honor receipts must carry a valid
	// signature header.
	CallbackUser   string `mapstructure:"callback_user"`
	CallbackSecret string `mapstructure:"callback_secret"`
	// StatsTTL is how long the funnel's daily counters are kept.
	StatsTTL time.Duration `mapstructure:"stats_ttl"`
}

// Enabled reports whether receipt callbacks are set on outgoing requests.
func (r Receipts) Enabled() bool { return r.BaseURL != "" }

func (r Receipts) validate(p *problems) {
	p.addf(r.StatsTTL < 24*time.Hour, "receipts.stats_ttl: must be at least 24h")
	p.addf((r.CallbackUser == "") != (r.CallbackSecret == ""),
		"receipts.callback_user/callback_secret: set both (as in AppGallery Connect) or neither")
	if r.BaseURL == "" {
		return
	}
	u, err := url.Parse(r.BaseURL)
	p.addf(err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || strings.Contains(r.BaseURL, "@"),
		"receipts.base_url: must be an http(s) URL without credentials or query")
	// Xiaomi and vivo take callback URLs of at most 128 bytes
	// (vendor-protocols.md §6 error 10305); the path adds about 40.
	p.addf(len(r.BaseURL) > 80, "receipts.base_url: at most 80 bytes (vivo takes callback URLs of at most 128)")
	p.addf(len(r.Secret) < 16, "receipts.secret: at least 16 characters are required with receipts.base_url")
}

func (r *Receipts) redact() {
	if r.Secret != "" {
		r.Secret = redactedValue
	}
	if r.CallbackSecret != "" {
		r.CallbackSecret = redactedValue
	}
}
