package oppo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Auth facts (vendor-protocols.md §5 "Auth").
const (
	authPath = "/server/v1/auth"
	// tokenTTL is the auth_token lifetime OPPODOC states: 24 hours.
	tokenTTL = 24 * time.Hour
	// tokenMargin refreshes the token an hour before it expires, so a token
	// is never used in its last minutes (MZS keeps only 120 s of margin).
	tokenMargin = time.Hour
)

// sign is OPPO's auth signature: lower-case hex SHA-256 of
// app_key + timestamp + master_secret (official SDK Auth.getSign).
func sign(appKey, timestamp string, masterSecret []byte) string {
	h := sha256.New()
	h.Write([]byte(appKey))
	h.Write([]byte(timestamp))
	h.Write(masterSecret)
	return hex.EncodeToString(h.Sum(nil))
}

// authResponse is the body of POST /server/v1/auth.
type authResponse struct {
	Code    code   `json:"code"`
	Message string `json:"message"`
	Data    struct {
		AuthToken  string `json:"auth_token"`
		CreateTime int64  `json:"create_time"`
	} `json:"data"`
}

// fetchToken exchanges the app key and a fresh signature for an auth_token.
// It is the tokencache.Fetch of the sender, so concurrent senders share one
// call.
func (s *Sender) fetchToken(ctx context.Context) (string, time.Duration, error) {
	ts := strconv.FormatInt(s.now().UnixMilli(), 10)
	form := url.Values{
		"app_key":   {s.appKey},
		"timestamp": {ts},
		"sign":      {sign(s.appKey, ts, s.masterSecret)},
	}
	rep, err := s.post(ctx, s.authURL, form.Encode())
	if err != nil {
		return "", 0, err
	}
	var ar authResponse
	if json.Unmarshal(rep.body, &ar) != nil || ar.Code != "0" || ar.Data.AuthToken == "" {
		if err := classify(rep.status, ar.Code, ar.Message, rep.retryAfter, s.now()); err != nil {
			return "", 0, err
		}
		return "", 0, &vendors.Error{Vendor: vendors.OPPO, Kind: vendors.Retryable, Status: rep.status,
			Message: "auth answer without an auth_token"}
	}
	return ar.Data.AuthToken, tokenTTL, nil
}
