package xiaomi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Receipts [vendor-protocols.md §3 "extra.callback"; PUSHAPI Callback
// struct; Mi Push server docs "消息回执"]. A message sent with
// extra.callback (the URL), extra.callback.param (≤64 bytes, echoed) and
// extra.callback.type (a bit mask: 1 delivered, 2 clicked, 3 both) makes
// Xiaomi POST, as a form, data=<JSON object keyed by message id>, each
// value {"param", "type", "targets": "<regId,regId,…>", "timestamp"}.
// Xiaomi does not sign receipts [UNCERTAIN: no signature is documented];
// the signed param is their proof. Xiaomi expects HTTP 200.
const (
	// FieldCallback, FieldCallbackParam and FieldCallbackType are the
	// callback form fields of a send.
	FieldCallback      = "extra.callback"
	FieldCallbackParam = "extra.callback.param"
	FieldCallbackType  = "extra.callback.type"
	// CallbackTypeBoth asks for delivery and click receipts.
	CallbackTypeBoth = "3"
	// ReceiptDelivered and ReceiptClicked are the receipt types.
	ReceiptDelivered = 1
	ReceiptClicked   = 2
)

// ReceiptEntry is one message's receipt in the data field.
type ReceiptEntry struct {
	Param     string `json:"param"`
	Type      int    `json:"type"`
	Targets   string `json:"targets"`
	Timestamp int64  `json:"timestamp,omitempty"`
}

// ParseReceipts reads a receipt POST: one Receipt per target of each
// message.
func ParseReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		return nil, fmt.Errorf("xiaomi receipt: %w", err)
	}
	var data map[string]ReceiptEntry
	if err := json.Unmarshal([]byte(form.Get("data")), &data); err != nil {
		return nil, fmt.Errorf("xiaomi receipt: data: %w", err)
	}
	var out []vendors.Receipt
	for msgID, e := range data {
		kind := vendors.ReceiptDelivered
		switch e.Type {
		case ReceiptDelivered:
		case ReceiptClicked:
			kind = vendors.ReceiptClicked
		default:
			kind = vendors.ReceiptUndelivered
		}
		for _, t := range strings.Split(e.Targets, ",") {
			if t = strings.TrimSpace(t); t == "" {
				continue
			}
			rc := vendors.Receipt{Kind: kind, Param: e.Param, Token: t, VendorMsgID: msgID}
			if kind == vendors.ReceiptUndelivered {
				rc.Code = strconv.Itoa(e.Type)
			}
			if e.Timestamp > 0 {
				rc.At = time.UnixMilli(e.Timestamp)
			}
			out = append(out, rc)
		}
	}
	return out, nil
}

// ReceiptReply is the answer Xiaomi expects: 200 when taken.
func ReceiptReply(err error) (int, any) {
	if err != nil {
		return 401, map[string]string{"result": "error"}
	}
	return 200, map[string]string{"result": "ok"}
}

// ReceiptForm is the body Xiaomi POSTs for entries keyed by message id
// (the fake sends it; tests build receipts with it).
func ReceiptForm(entries map[string]ReceiptEntry) string {
	b, _ := json.Marshal(entries)
	return url.Values{"data": {string(b)}}.Encode()
}

// setCallback asks for delivery and click receipts at cb.
func setCallback(f url.Values, cb *vendors.Callback) {
	if cb == nil {
		return
	}
	f.Set(FieldCallback, cb.URL)
	f.Set(FieldCallbackParam, cb.Param)
	f.Set(FieldCallbackType, CallbackTypeBoth)
}
