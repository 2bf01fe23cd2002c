package configs

import (
	"math"
	"net/url"
	"strconv"
	"time"
)

// Webhook is where delivery events are POSTed, in batches signed with
// HMAC-SHA256 (header X-Pushd-Signature: sha256=<hex>).
type Webhook struct {
	// URL receives the batches; empty disables the webhook.
	URL string `mapstructure:"url"`
	// Secret keys the signature; required with a URL.
	Secret string `mapstructure:"secret"`
	// Batch is the most events per POST.
	Batch int `mapstructure:"batch"`
	// Flush is the longest an event waits for its batch to fill.
	Flush time.Duration `mapstructure:"flush"`
}

// maxWebhookBatch bounds one POST's events (about 500 bytes each).
const maxWebhookBatch = 10000

func (w Webhook) validate(p *problems) {
	if w.URL == "" {
		return
	}
	u, err := url.Parse(w.URL)
	p.addf(err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "", "events.webhook.url: must be an http(s) URL")
	p.addf(len(w.Secret) < 16, "events.webhook.secret: at least 16 characters are required with events.webhook.url")
	p.addf(w.Batch < 1 || w.Batch > maxWebhookBatch, "events.webhook.batch: must be between 1 and %d", maxWebhookBatch)
	p.addf(w.Flush <= 0, "events.webhook.flush: must be positive")
}

func badRate(v float64) bool { return v < 0 || math.IsInf(v, 0) || math.IsNaN(v) }

func (w Worker) validateRateLimits(p *problems) {
	p.addf(badRate(w.DefaultRateLimit), "worker.default_rate_limit: must be 0 (no limit) or a positive number of requests/s")
	for k, v := range w.RateLimits {
		id, err := strconv.ParseInt(k, 10, 64)
		p.addf(err != nil || id <= 0, "worker.rate_limits.%s: keys are certificate ids", k)
		p.addf(badRate(v), "worker.rate_limits.%s: must be 0 (no limit) or a positive number of requests/s", k)
	}
}

// CertRateLimits returns RateLimits keyed by certificate id (Validate has
// checked the keys).
func (w Worker) CertRateLimits() map[int64]float64 {
	out := make(map[int64]float64, len(w.RateLimits))
	for k, v := range w.RateLimits {
		if id, err := strconv.ParseInt(k, 10, 64); err == nil {
			out[id] = v
		}
	}
	return out
}
