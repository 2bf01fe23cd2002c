package configs

import (
	"net/url"
	"os"
	"path/filepath"
)

// Redacted returns a copy of c safe to print: the master key, the API and
// metrics tokens, the webhook secret, and the credentials of every URL
// (userinfo and query values, in the Redis and webhook URLs) are replaced.
func (c *Config) Redacted() *Config {
	r := *c
	if r.MasterKey != "" {
		r.MasterKey = redactedValue
	}
	if r.MasterKeyPrevious != "" {
		r.MasterKeyPrevious = redactedValue
	}
	r.Tokens = make([]Token, len(c.Tokens))
	for i, t := range c.Tokens {
		t.Token = redactedValue
		r.Tokens[i] = t
	}
	r.Redis.URL = redactURL(c.Redis.URL)
	if r.Redis.Password != "" {
		r.Redis.Password = redactedValue
	}
	if r.Redis.SentinelPassword != "" {
		r.Redis.SentinelPassword = redactedValue
	}
	if r.Events.Webhook.Secret != "" {
		r.Events.Webhook.Secret = redactedValue
	}
	r.Events.Webhook.URL = redactURL(c.Events.Webhook.URL)
	if r.MetricsToken != "" {
		r.MetricsToken = redactedValue
	}
	r.Receipts.redact()
	return &r
}

const redactedValue = "<redacted>"

// RedactURL returns raw with its userinfo and every query value replaced:
// both carry credentials (https://user:pass@host, ?token=…). A URL that
// does not parse is replaced whole, since it cannot be shown in part.
func RedactURL(raw string) string { return redactURL(raw) }

func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "<redacted: unparseable URL>"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword("redacted", "redacted")
		} else {
			u.User = url.User("redacted")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"redacted"}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment = ""
	return u.String()
}

func defaultDataDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "pushd")
	}
	return ".pushd"
}
