// Package vendorhttp holds the HTTP plumbing every JSON push vendor repeats:
// a bounded default client, one POST with a bounded answer read, the
// Retry-After header and a JSON value sent as either a string or a number.
// Vendor facts (codes, tables, field names) stay in each vendor's package.
package vendorhttp

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// DefaultClient is NewClient for v with the default endpoint: what an
// adapter uses when its endpoint brings no client.
func DefaultClient(v vendors.Vendor) *http.Client { return NewClient(v, vendors.Endpoint{}) }

// Base returns override without trailing slashes, or def when override is
// empty, so tests and sandboxes can point a client at a fake server.
func Base(override, def string) string {
	if override != "" {
		return strings.TrimRight(override, "/")
	}
	return def
}

// Answer is what a vendor sent back: its status, headers and body.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Exchange performs req with hc and reads at most limit bytes of the answer.
// A transport failure or an unreadable answer (a deadline passing
// included) is a Retryable error of v whose message starts with label
// (see TransportError); Status is kept when the answer started.
func Exchange(hc *http.Client, req *http.Request, v vendors.Vendor, limit int64, label string) (Answer, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, TransportError(v, err, label, 0)
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode, Header: resp.Header}
	a.Body, err = io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return a, TransportError(v, err, label+"reading the answer: ", resp.StatusCode)
	}
	return a, nil
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date), else def.
func RetryAfter(h http.Header, now time.Time, def time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return def
}

// Snippet is the start of an unexpected body, for the operator.
func Snippet(body []byte) string {
	s := string(bytes.TrimSpace(body))
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "")
}

// FlexString accepts a JSON string, number or null: vendors send codes and
// ids in either form depending on the endpoint.
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
