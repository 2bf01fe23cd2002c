package honor

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

// Message receipts. Honor's API is a fork of Huawei's: the receipt address
// is configured in the Honor developer console and each message carries
// android.biTag, "returned to the app server with the message receipts"
// [HONORGO model.go AndroidConfig.BiTag; HONORDOC "查看消息回执"]. The
// receipt body is read as Huawei's, {"statuses":[{"token", "biTag",
// "requestId", "status" | "deliveryStatus":{"result","timestamp"}}]}
// with 0 for delivered, and the signature header as Huawei's
// X-HUAWEI-CALLBACK-ID under Honor's name [UNCERTAIN: Honor's receipt
// page was not captured; both header names are accepted]. Receipts report
// delivery only.
const (
	// CallbackHeader carries the receipt signature:
	// timestamp=<ms>;nonce=<uuid>;value=<base64 HMAC-SHA256(key, timestamp+nonce+user)>.
	CallbackHeader    = "X-HONOR-CALLBACK-ID"
	altCallbackHeader = "X-HUAWEI-CALLBACK-ID"
	receiptSkew       = 5 * time.Minute
)

type receiptBody struct {
	Statuses []struct {
		Token          string `json:"token"`
		BiTag          string `json:"biTag"`
		RequestID      string `json:"requestId"`
		Status         *int   `json:"status"`
		Timestamp      int64  `json:"timestamp"`
		DeliveryStatus *struct {
			Result    int   `json:"result"`
			Timestamp int64 `json:"timestamp"`
		} `json:"deliveryStatus"`
	} `json:"statuses"`
}

// ParseReceipts verifies a receipt POST and returns its receipts, with the
// biTag as each receipt's Param (the caller verifies it).
func ParseReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	h := req.Header.Get(CallbackHeader)
	if h == "" {
		h = req.Header.Get(altCallbackHeader)
	}
	if err := verifyCallbackID(h, req.User, req.Secret, req.Now); err != nil {
		return nil, err
	}
	var b receiptBody
	if err := json.Unmarshal(req.Body, &b); err != nil {
		return nil, fmt.Errorf("honor receipt: %w", err)
	}
	out := make([]vendors.Receipt, 0, len(b.Statuses))
	for _, s := range b.Statuses {
		result, ms := -1, s.Timestamp
		if s.DeliveryStatus != nil {
			result, ms = s.DeliveryStatus.Result, s.DeliveryStatus.Timestamp
		} else if s.Status != nil {
			result = *s.Status
		}
		rc := vendors.Receipt{Kind: vendors.ReceiptDelivered, Param: s.BiTag, Token: s.Token, VendorMsgID: s.RequestID}
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

func verifyCallbackID(header, user string, secret []byte, now time.Time) error {
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
		return fmt.Errorf("%w: %s missing or malformed", vendors.ErrReceiptAuth, CallbackHeader)
	}
	if d := now.Sub(time.UnixMilli(ts)); d > receiptSkew || d < -receiptSkew {
		return fmt.Errorf("%w: %s timestamp outside ±%v", vendors.ErrReceiptAuth, CallbackHeader, receiptSkew)
	}
	if !hmac.Equal([]byte(f["value"]), []byte(CallbackSignature(f["timestamp"], f["nonce"], user, secret))) {
		return fmt.Errorf("%w: %s signature mismatch", vendors.ErrReceiptAuth, CallbackHeader)
	}
	return nil
}

// CallbackSignature is Base64(HMAC-SHA256(secret, timestamp+nonce+user)).
func CallbackSignature(timestamp, nonce, user string, secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp + nonce + user))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ReceiptReply is the answer Honor expects (as Huawei's: code "0").
func ReceiptReply(err error) (int, any) {
	if err != nil {
		return 401, map[string]string{"code": "1", "message": "receipt refused"}
	}
	return 200, map[string]string{"code": "0", "message": "success"}
}
