package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// control is the client of a `pushd fake-vendor` control endpoint.
type control struct {
	base string
	http *http.Client
}

// stats fetches GET /stats.
func (c *control) stats(ctx context.Context) (Stats, error) {
	var st Stats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/stats", nil)
	if err != nil {
		return st, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return st, fmt.Errorf("fake-vendor stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("fake-vendor stats: HTTP %d", resp.StatusCode)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// reset calls POST /reset.
func (c *control) reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/reset", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("fake-vendor reset: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("fake-vendor reset: HTTP %d", resp.StatusCode)
	}
	return nil
}
