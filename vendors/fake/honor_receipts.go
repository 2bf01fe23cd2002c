package fake

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Honor receipts, as read by vendors/honor/receipt.go (Huawei's shape,
// signed under X-HONOR-CALLBACK-ID): the receipt address and the callback
// user and key are set in the Honor console, here with SetReceipts; after
// a send is accepted the fake POSTs one receipt per accepted token,
// asynchronously.

const hnCallbackHeader = "X-HONOR-CALLBACK-ID"

// SetReceipts configures the receipt address of every app, and the
// callback user name and key that sign receipts ("" and nil: unsigned).
func (h *Honor) SetReceipts(url, user string, secret []byte) {
	h.receipts.mu.Lock()
	defer h.receipts.mu.Unlock()
	h.receipts.url, h.receipts.user, h.receipts.secret = url, user, append([]byte(nil), secret...)
}

func (h *Honor) deliveredReceipts(body []byte, tokens []string, ans any) {
	h.receipts.mu.Lock()
	to, user, secret := h.receipts.url, h.receipts.user, h.receipts.secret
	h.receipts.mu.Unlock()
	a, ok := ans.(map[string]any)
	if to == "" || !ok || a["code"] != 200 {
		return
	}
	data, _ := a["data"].(map[string]any)
	rid, _ := data["requestId"].(string)
	bad := map[string]bool{}
	for _, k := range []string{"failTokens", "expireTokens"} {
		list, _ := data[k].([]string)
		for _, t := range list {
			bad[t] = true
		}
	}
	var m struct {
		Android struct {
			BiTag string `json:"biTag"`
		} `json:"android"`
	}
	json.Unmarshal(body, &m)
	var st []hwReceiptStatus
	for _, t := range tokens {
		if !bad[t] {
			st = append(st, hwReceiptStatus{BiTag: m.Android.BiTag, Token: t, RequestID: rid,
				DeliveryStatus: hwDeliveryStatus{Timestamp: h.now().UnixMilli()}})
		}
	}
	if len(st) == 0 {
		return
	}
	b, _ := json.Marshal(map[string]any{"statuses": st})
	hd := http.Header{"Content-Type": {"application/json"}}
	if user != "" && len(secret) > 0 {
		hd.Set(hnCallbackHeader, hwSign(strconv.FormatInt(h.now().UnixMilli(), 10), user, secret))
	}
	h.postLater(to, hd, b)
}
