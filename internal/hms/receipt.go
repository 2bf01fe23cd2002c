package hms

// Message receipts of Huawei Push Kit and Honor Push, Honor's being a fork
// of Huawei's [HWDOC push-msg-receipt and https-send-receipt-api;
// vendor-protocols.md §4 "Receipts"]. The receipt address is configured in
// the vendor's console (the message only carries android.bi_tag / biTag,
// echoed as biTag). The vendor POSTs {"statuses":[…≤100]}; each status has
// the token, the requestId of the send, the biTag and either a V1 "status"
// or a V2 "deliveryStatus": {"result", "timestamp"}; 0 is delivered.
// Receipts report delivery only, never clicks. When a callback user name
// and key are configured, every receipt carries
//
//	<header>: timestamp=<ms>;nonce=<uuid>;value=<base64 HMAC-SHA256(key, timestamp+nonce+user)>
//
// and the answer expected is {"code":"0","message":"success"}.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// receiptSkew bounds how old (or early) a signed receipt may be.
const receiptSkew = 5 * time.Minute

type receiptBody struct {
	Statuses []struct {
		Token     string `json:"token"`
		BiTag     string `json:"biTag"`
		RequestID string `json:"requestId"`
		// Status (V1) and DeliveryStatus (V2) hold the result.
		Status         *int  `json:"status"`
		Timestamp      int64 `json:"timestamp"`
		DeliveryStatus *struct {
			Result    int   `json:"result"`
			Timestamp int64 `json:"timestamp"`
		} `json:"deliveryStatus"`
	} `json:"statuses"`
}

// ParseReceipts verifies a receipt POST of vendor v, signed in the first
// of headers present, and returns its receipts, with the biTag as each
// receipt's Param (the caller verifies it).
func ParseReceipts(v vendors.Vendor, req vendors.ReceiptRequest, headers ...string) ([]vendors.Receipt, error) {
	h, name := "", headers[0]
	for _, n := range headers {
		if h = req.Header.Get(n); h != "" {
			name = n
			break
		}
	}
	if err := VerifyCallbackID(name, h, req.User, req.Secret, req.Now); err != nil {
		return nil, err
	}
	var b receiptBody
	if err := json.Unmarshal(req.Body, &b); err != nil {
		return nil, fmt.Errorf("%s receipt: %w", v, err)
	}
	out := make([]vendors.Receipt, 0, len(b.Statuses))
	for _, s := range b.Statuses {
		rc := vendors.Receipt{Param: s.BiTag, Token: s.Token, VendorMsgID: s.RequestID}
		result, ms := -1, s.Timestamp
		if s.DeliveryStatus != nil {
			result, ms = s.DeliveryStatus.Result, s.DeliveryStatus.Timestamp
		} else if s.Status != nil {
			result = *s.Status
		}
		rc.Kind, rc.Code = vendors.ReceiptDelivered, ""
		if result != 0 {
			rc.Kind, rc.Code = vendors.ReceiptUndelivered, strconv.Itoa(result)
		}
		if ms > 0 {
			rc.At = time.UnixMilli(ms)
		}
		out = append(out, rc)
	}
	return out, nil
}

// VerifyCallbackID checks the signature header name (value header) when a
// callback user and key are configured (the vendor sends the header only
// then); with none configured there is nothing to check here and the
// signed biTag is the receipt's only proof.
func VerifyCallbackID(name, header, user string, secret []byte, now time.Time) error {
	if user == "" || len(secret) == 0 {
		return nil
	}
	f := map[string]string{}
	for _, part := range strings.Split(header, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		f[k] = v
	}
	ts, err := strconv.ParseInt(f["timestamp"], 10, 64)
	if err != nil || f["nonce"] == "" || f["value"] == "" {
		return fmt.Errorf("%w: %s missing or malformed", vendors.ErrReceiptAuth, name)
	}
	at := time.UnixMilli(ts)
	if ts < 1e11 {
		// HWDOC says milliseconds; some receivers were written for
		// seconds, so a seconds value is read as such.
		at = time.Unix(ts, 0)
	}
	if d := now.Sub(at); d > receiptSkew || d < -receiptSkew {
		return fmt.Errorf("%w: %s timestamp outside ±%v", vendors.ErrReceiptAuth, name, receiptSkew)
	}
	want := CallbackSignature(f["timestamp"], f["nonce"], user, secret)
	if !hmac.Equal([]byte(f["value"]), []byte(want)) {
		return fmt.Errorf("%w: %s signature mismatch", vendors.ErrReceiptAuth, name)
	}
	return nil
}

// CallbackSignature is Base64(HMAC-SHA256(secret, timestamp+nonce+user)).
func CallbackSignature(timestamp, nonce, user string, secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp + nonce + user))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ReceiptReply is the answer Huawei and Honor expect: {"code":"0"} when
// the receipts were taken, a non-zero code (the vendor then retries)
// otherwise.
func ReceiptReply(err error) (int, any) {
	if err != nil {
		return 401, map[string]string{"code": "1", "message": "receipt refused"}
	}
	return 200, map[string]string{"code": "0", "message": "success"}
}
