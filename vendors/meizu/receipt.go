package meizu

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/pushd/pushd/vendors"
)

// Receipts [vendor-protocols.md §7; MZAPI]: a message whose extra has
// "callback" (a URL registered in the Flyme console, ≤128 bytes),
// "callback.param" (≤64) and "callback.type" (1 delivered, 2 clicked, 3
// both) makes Meizu POST, as a form, about once a second, cb=<JSON object
// keyed "<msgId>-<type>": {"param", "type", "targets": [pushId, …]}> and
// access_token. Meizu does not sign receipts [UNCERTAIN: what
// access_token proves is not documented]; the signed param is their
// proof. Meizu expects HTTP 200.
const callbackBoth = 3

// ReceiptEntry is one message's receipt in cb.
type ReceiptEntry struct {
	Param   string   `json:"param"`
	Type    int      `json:"type"`
	Targets []string `json:"targets"`
}

// ParseReceipts reads a receipt POST.
func ParseReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return nil, fmt.Errorf("meizu receipt: %w", err)
	}
	var data map[string]ReceiptEntry
	if err := json.Unmarshal([]byte(form.Get("cb")), &data); err != nil {
		return nil, fmt.Errorf("meizu receipt: cb: %w", err)
	}
	var out []vendors.Receipt
	for key, e := range data {
		kind := vendors.ReceiptDelivered
		if e.Type == 2 {
			kind = vendors.ReceiptClicked
		}
		msgID, _, _ := strings.Cut(key, "-")
		for _, t := range e.Targets {
			if t != "" {
				out = append(out, vendors.Receipt{Kind: kind, Param: e.Param, Token: t, VendorMsgID: msgID})
			}
		}
	}
	return out, nil
}

// ReceiptReply is the answer Meizu expects: 200 when taken.
func ReceiptReply(err error) (int, any) {
	if err != nil {
		return 401, map[string]string{"code": "401"}
	}
	return 200, map[string]string{"code": "200"}
}

// extra is the callback of a send.
type extra struct {
	Callback string `json:"callback"`
	Param    string `json:"callback.param"`
	Type     int    `json:"callback.type"`
}

func extraOf(cb *vendors.Callback) *extra {
	if cb == nil {
		return nil
	}
	return &extra{Callback: cb.URL, Param: cb.Param, Type: callbackBoth}
}
