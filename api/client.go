package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls a running pushd's HTTP API. The CLI uses it, and so can any
// Go program.
type Client struct {
	// Base is the server URL, e.g. http://127.0.0.1:8080.
	Base string
	// Token is the bearer token (PUSHD_TOKEN), "" for none.
	Token string
	HTTP  *http.Client
}

// NewClient returns a Client for base with a sane timeout.
func NewClient(base, token string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// StatusError is an error answer of the API.
type StatusError struct {
	Status int
	Body   ErrorBody
}

func (e *StatusError) Error() string {
	if e.Body.Field != "" && !strings.HasPrefix(e.Body.Error, e.Body.Field+":") {
		return fmt.Sprintf("%s: %s (HTTP %d)", e.Body.Field, e.Body.Error, e.Status)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.Body.Error, e.Status)
}

// UnreachableError means the server could not be reached at all.
type UnreachableError struct {
	Base string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach pushd at %s: %v (is `pushd serve` running? see --server)", e.Base, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Do sends a request with a JSON body (nil for none) and decodes a JSON
// answer into out (nil to discard). Non-2xx answers are *StatusError;
// transport failures are *UnreachableError.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	return c.DoRaw(ctx, method, path, rd, out)
}

// DoRaw is Do with a raw body.
func (c *Client) DoRaw(ctx context.Context, method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UnreachableError{Base: c.Base, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &UnreachableError{Base: c.Base, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		se := &StatusError{Status: resp.StatusCode}
		if json.Unmarshal(b, &se.Body) != nil || se.Body.Error == "" {
			se.Body.Error = strings.TrimSpace(string(b))
		}
		return se
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
		}
	}
	return nil
}
