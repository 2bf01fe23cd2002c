package configs

import (
	"fmt"
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

func (w Webhook) validate() error {
	if w.URL == "" {
		return nil
	}
	u, err := url.Parse(w.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("events.webhook.url: must be an http(s) URL")
	case len(w.Secret) < 16:
		return fmt.Errorf("events.webhook.secret: at least 16 characters are required with events.webhook.url")
	case w.Batch < 1 || w.Batch > maxWebhookBatch:
		return fmt.Errorf("events.webhook.batch: must be between 1 and %d", maxWebhookBatch)
	case w.Flush <= 0:
		return fmt.Errorf("events.webhook.flush: must be positive")
	}
	return nil
}

func (w Worker) validateRateLimits() error {
	if w.DefaultRateLimit < 0 || math.IsInf(w.DefaultRateLimit, 0) || math.IsNaN(w.DefaultRateLimit) {
		return fmt.Errorf("worker.default_rate_limit: must be 0 (no limit) or a positive number of requests/s")
	}
	for k, v := range w.RateLimits {
		if id, err := strconv.ParseInt(k, 10, 64); err != nil || id <= 0 {
			return fmt.Errorf("worker.rate_limits.%s: keys are certificate ids", k)
		}
		if v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("worker.rate_limits.%s: must be 0 (no limit) or a positive number of requests/s", k)
		}
	}
	return nil
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
