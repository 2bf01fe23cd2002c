package configs

import (
	"net/url"
	"os"
	"path/filepath"
)

// Redacted returns a copy of c safe to print: the master key, API tokens and
// the Redis password are replaced.
func (c *Config) Redacted() *Config {
	r := *c
	if r.MasterKey != "" {
		r.MasterKey = "<redacted>"
	}
	if r.MasterKeyPrevious != "" {
		r.MasterKeyPrevious = "<redacted>"
	}
	r.Tokens = make([]Token, len(c.Tokens))
	for i, t := range c.Tokens {
		t.Token = "<redacted>"
		r.Tokens[i] = t
	}
	r.Redis.URL = redactURL(c.Redis.URL)
	if r.Events.Webhook.Secret != "" {
		r.Events.Webhook.Secret = "<redacted>"
	}
	r.Events.Webhook.URL = redactURL(c.Events.Webhook.URL)
	return &r
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	return u.String()
}

func defaultDataDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "pushd")
	}
	return ".pushd"
}
