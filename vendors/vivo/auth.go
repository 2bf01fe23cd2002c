package vivo

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Auth facts (vendor-protocols.md §6 "Host and auth").
const (
	authPath = "/message/auth"
	// tokenTTL is the authToken lifetime vivo documents: 24 hours.
	tokenTTL = 24 * time.Hour
	// tokenRefresh is how often a token is replaced: vivo recommends every
	// 1–2 hours, since several tokens may be valid at once.
	tokenRefresh = time.Hour
)

// sign is vivo's auth signature: lower-case hex MD5 of
// trim(appId + appKey + timestamp + appSecret).
func sign(appID, appKey, timestamp string, appSecret []byte) string {
	var b bytes.Buffer
	b.WriteString(appID)
	b.WriteString(appKey)
	b.WriteString(timestamp)
	b.Write(appSecret)
	sum := md5.Sum(bytes.TrimSpace(b.Bytes()))
	return hex.EncodeToString(sum[:])
}

// authRequest is the body of POST /message/auth. appId is a number, as in
// vivo's documentation and the Java SDKs.
type authRequest struct {
	AppID     int64  `json:"appId"`
	AppKey    string `json:"appKey"`
	Timestamp int64  `json:"timestamp"`
	Sign      string `json:"sign"`
}

// authResponse is its answer.
type authResponse struct {
	Result    code   `json:"result"`
	Desc      string `json:"desc"`
	AuthToken string `json:"authToken"`
}

// fetchToken signs a fresh timestamp and exchanges it for an authToken. It
// is the tokencache.Fetch of the sender: concurrent senders share one call.
func (s *Sender) fetchToken(ctx context.Context) (string, time.Duration, error) {
	ts := s.now().UnixMilli()
	body, err := json.Marshal(authRequest{AppID: s.st.AppID, AppKey: s.appKey, Timestamp: ts,
		Sign: sign(strconv.FormatInt(s.st.AppID, 10), s.appKey, strconv.FormatInt(ts, 10), s.appSecret)})
	if err != nil {
		return "", 0, err
	}
	rep, err := s.post(ctx, s.authURL, body, "")
	if err != nil {
		return "", 0, err
	}
	var ar authResponse
	if json.Unmarshal(rep.body, &ar) != nil || ar.Result != "0" || strings.TrimSpace(ar.AuthToken) == "" {
		if err := classify(rep.status, ar.Result, ar.Desc, rep.retryAfter, s.now()); err != nil {
			return "", 0, err
		}
		return "", 0, &vendors.Error{Vendor: vendors.Vivo, Kind: vendors.Retryable, Status: rep.status,
			Message: "auth answer without an authToken"}
	}
	return ar.AuthToken, tokenTTL, nil
}
