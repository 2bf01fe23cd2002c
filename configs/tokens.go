package configs

import (
	"strings"
	"unicode"
)

// placeholderToken marks the example file's tokens: a configuration that
// still carries one was copied without being edited, and its tokens are
// public.
const placeholderToken = "change-me"

func (c *Config) validateTokens(p *problems) {
	for i, t := range c.Tokens {
		p.addf(len(t.Token) < 16, "tokens[%d] (%s): a token must be at least 16 characters", i, t.Name)
		p.addf(strings.Contains(strings.ToLower(t.Token), placeholderToken), "tokens[%d] (%s): the token still contains %q from the example; generate one (openssl rand -hex 24)", i, t.Name, placeholderToken)
		p.addf(!printableASCII(t.Token), "tokens[%d] (%s): a token must be printable ASCII without spaces", i, t.Name)
		p.addf(t.Role != RoleEnqueue && t.Role != RoleAdmin, "tokens[%d] (%s): role must be %q or %q, got %q", i, t.Name, RoleEnqueue, RoleAdmin, t.Role)
		for j, app := range t.Apps {
			p.addf(!ValidAppID(app), "tokens[%d].apps[%d] (%s): %q is not an app id (1-64 of A-Z a-z 0-9 . _ -)", i, j, t.Name, app)
		}
	}
	p.addf(c.MetricsToken != "" && (len(c.MetricsToken) < 16 || !printableASCII(c.MetricsToken)), "metrics_token: must be at least 16 printable ASCII characters without spaces")
}

func (c *Config) validateServing(p *problems) {
	p.addf((c.ListenTLS.CertFile == "") != (c.ListenTLS.KeyFile == ""), "listen_tls: give both cert_file and key_file, or neither")
}

// ValidAppID reports whether s is an app id: 1 to 64 characters of
// A-Z a-z 0-9 . _ - (the job contract's app_id, dispatcher.ValidateID).
func ValidAppID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-')) {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
