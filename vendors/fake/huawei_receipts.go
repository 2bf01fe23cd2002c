package fake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Huawei receipts [HWDOC push-msg-receipt, https-send-receipt-api]: the
// receipt address (and the optional callback user name and key) are set
// in AppGallery Connect, here with SetReceipts. After a send is accepted,
// the fake POSTs, asynchronously, one V2 receipt per accepted token:
// {"statuses":[{"biTag", "token", "requestId", "pushType", "appPackageName",
// "deliveryStatus":{"result":0,"timestamp":<ms>}}]}, signed with
// X-HUAWEI-CALLBACK-ID: timestamp=<ms>;nonce=<uuid>;value=<base64
// HMAC-SHA256(key, timestamp+nonce+user)> when a user and key are set.
// Huawei sends no click receipts.

// hwCallbackHeader is the signature header of Huawei receipts.
const hwCallbackHeader = "X-HUAWEI-CALLBACK-ID"

// hwReceiptConfig is the receipt address of an HMS-style fake (Huawei,
// Honor) and the callback user and key that sign its receipts under
// header.
type hwReceiptConfig struct {
	header string
	mu     sync.Mutex
	url    string
	user   string
	secret []byte
	// results are the receipt result codes of tokens whose device does
	// not report delivery (0, delivered, for the others).
	results map[string]int
}

// setResult makes the receipts of token carry code.
func (c *hwReceiptConfig) setResult(token string, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.results == nil {
		c.results = map[string]int{}
	}
	c.results[token] = code
}

// set configures the receipt address and the callback user and key ("" and
// nil: unsigned).
func (c *hwReceiptConfig) set(url, user string, secret []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.url, c.user, c.secret = url, user, append([]byte(nil), secret...)
}

// send posts to the receipt address, later through l, one receipt of
// request rid with biTag tag per token not in bad; nothing without an
// address or without such a token.
func (c *hwReceiptConfig) send(l *ReceiptLog, now time.Time, tag, rid string, tokens []string, bad map[string]bool) {
	c.mu.Lock()
	url, user, secret := c.url, c.user, c.secret
	var st []hwReceiptStatus
	for _, t := range tokens {
		if !bad[t] {
			st = append(st, hwReceiptStatus{BiTag: tag, Token: t, RequestID: rid,
				DeliveryStatus: hwDeliveryStatus{Result: c.results[t], Timestamp: now.UnixMilli()}})
		}
	}
	c.mu.Unlock()
	if url == "" || len(st) == 0 {
		return
	}
	b, _ := json.Marshal(map[string]any{"statuses": st})
	hd := http.Header{"Content-Type": {"application/json"}}
	if user != "" && len(secret) > 0 {
		hd.Set(c.header, hwSign(strconv.FormatInt(now.UnixMilli(), 10), user, secret))
	}
	l.postLater(url, hd, b)
}

// SetReceipts configures the receipt address of every app, and the
// callback user name and key that sign receipts ("" and nil: unsigned).
func (h *Huawei) SetReceipts(url, user string, secret []byte) { h.receipts.set(url, user, secret) }

// SetReceiptResult makes the receipts of token report code instead of 0
// (delivered): 2, the app is uninstalled; 5, the token is not on the
// device; 6, notifications are off [HWDOC push-receipt, receipt states].
func (h *Huawei) SetReceiptResult(token string, code int) { h.receipts.setResult(token, code) }

type hwReceiptStatus struct {
	BiTag          string           `json:"biTag,omitempty"`
	Token          string           `json:"token"`
	RequestID      string           `json:"requestId"`
	PushType       int              `json:"pushType"`
	AppPackageName string           `json:"appPackageName"`
	DeliveryStatus hwDeliveryStatus `json:"deliveryStatus"`
}

type hwDeliveryStatus struct {
	Result    int   `json:"result"`
	Timestamp int64 `json:"timestamp"`
}

// deliveredReceipts sends the receipts of an accepted send.
func (h *Huawei) deliveredReceipts(m *hwMessage, tokens []string, ans any) {
	body, ok := ans.(map[string]any)
	if !ok || (body["code"] != HuaweiSuccess && body["code"] != HuaweiPartial) {
		return
	}
	rid, _ := body["requestId"].(string)
	bad := hwIllegal(body)
	var tag string
	if m.Message != nil && m.Message.Android != nil {
		tag = m.Message.Android.BiTag
	}
	h.receipts.send(h.ReceiptLog, h.now(), tag, rid, tokens, bad)
}

// hwIllegal returns the tokens a partial answer lists as failed.
func hwIllegal(body map[string]any) map[string]bool {
	out := map[string]bool{}
	msg, _ := body["msg"].(string)
	var d struct {
		List []string            `json:"illegal_tokens"`
		Map  map[string][]string `json:"illegalTokens"`
	}
	if json.Unmarshal([]byte(msg), &d) != nil {
		return out
	}
	for _, t := range d.List {
		out[t] = true
	}
	for _, ts := range d.Map {
		for _, t := range ts {
			out[t] = true
		}
	}
	return out
}

// hwSign is the X-HUAWEI-CALLBACK-ID value for timestamp, a fresh nonce,
// user and key.
func hwSign(timestamp, user string, secret []byte) string {
	var n [16]byte
	rand.Read(n[:])
	nonce := hex.EncodeToString(n[:])
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp + nonce + user))
	return "timestamp=" + timestamp + ";nonce=" + nonce + ";value=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}
