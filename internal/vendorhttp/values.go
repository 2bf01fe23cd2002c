package vendorhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pushd/pushd/vendors"
)

// MaxRetryAfter caps every Retry-After, so a bogus header (99999999
// seconds, a date years ahead) cannot park a job for longer than a day.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads h's Retry-After header (see ParseRetryAfter), else def.
func RetryAfter(h http.Header, now time.Time, def time.Duration) time.Duration {
	return ParseRetryAfter(h.Get("Retry-After"), now, def)
}

// ParseRetryAfter reads a Retry-After value, delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3), capped at MaxRetryAfter. It returns def
// when v is empty, malformed, not positive or already past.
func ParseRetryAfter(v string, now time.Time, def time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return def
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return def
		}
		return time.Duration(min(secs, int64(MaxRetryAfter/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return min(at.Sub(now), MaxRetryAfter)
	}
	return def
}

// SnippetBytes is the most of a body Snippet shows.
const SnippetBytes = 200

// secretValue matches a credential in a JSON or form body: the key, its
// separator, and the value that Snippet replaces.
var secretValue = regexp.MustCompile(`(?i)("?(?:access_token|auth_token|authtoken|refresh_token|id_token|` +
	`client_secret|app_secret|appsecret|master_secret|mastersecret|secret|password|private_key|sign)"?\s*[:=]\s*"?)` +
	`([^"'&,;\s}<>]+)`)

// bearer matches an Authorization value echoed back in a body.
var bearer = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+`)

// Snippet is the start of an unexpected body, for the operator: trimmed,
// valid UTF-8, at most SnippetBytes bytes (cut on a character, with an
// ellipsis), and with every credential value (access_token, secret,
// password, sign, a Bearer token…) shown as vendors.Redacted, so an error
// message never carries a secret.
func Snippet(body []byte) string {
	s := strings.ToValidUTF8(string(bytes.TrimSpace(body)), "")
	s = secretValue.ReplaceAllString(s, "${1}"+vendors.Redacted)
	s = bearer.ReplaceAllString(s, "${1}"+vendors.Redacted)
	if len(s) <= SnippetBytes {
		return s
	}
	cut := SnippetBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + vendors.Ellipsis
}

// FlexString is the one lenient code type: a JSON string, number or null,
// as Xiaomi, OPPO, vivo, Meizu, Huawei and Honor send codes and ids in
// either form depending on the endpoint.
type FlexString string

// UnmarshalJSON keeps a string as is, a number as its literal text and
// leaves the value empty for null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var v string
		err := json.Unmarshal(b, &v)
		*s = FlexString(v)
		return err
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var n json.Number
	err := json.Unmarshal(b, &n)
	*s = FlexString(n)
	return err
}

// Int returns s as an integer, and false when it is not one.
func (s FlexString) Int() (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(string(s)))
	return n, err == nil
}

// Is reports whether s is the integer code n.
func (s FlexString) Is(n int) bool {
	v, ok := s.Int()
	return ok && v == n
}

// Require is the first check of every adapter's New: cred is present and
// has the settings and secrets names.
func Require(v vendors.Vendor, cred *vendors.Credential, names ...string) error {
	if cred == nil {
		return fmt.Errorf("%s: nil credential", v)
	}
	return cred.Require(names...)
}
