package fake

import (
	"encoding/json"
)

// Honor receipts, as read by vendors/honor/receipt.go (Huawei's shape,
// signed under X-HONOR-CALLBACK-ID): the receipt address and the callback
// user and key are set in the Honor console, here with SetReceipts; after
// a send is accepted the fake POSTs one receipt per accepted token,
// asynchronously.

const hnCallbackHeader = "X-HONOR-CALLBACK-ID"

// SetReceipts configures the receipt address of every app, and the
// callback user name and key that sign receipts ("" and nil: unsigned).
func (h *Honor) SetReceipts(url, user string, secret []byte) { h.receipts.set(url, user, secret) }

func (h *Honor) deliveredReceipts(body []byte, tokens []string, ans any) {
	a, ok := ans.(map[string]any)
	if !ok || a["code"] != 200 {
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
	h.receipts.send(h.ReceiptLog, h.now(), m.Android.BiTag, rid, tokens, bad)
}
