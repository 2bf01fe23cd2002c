package fake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Xiaomi receipts (vendors/xiaomi/receipt.go): a message accepted with
// extra.callback gets, asynchronously, a type 1 (delivered) receipt for
// its accepted regIds, POSTed as the form data=<JSON keyed by message id>;
// Click sends the type 2 receipt of a device's last message.

// The callback fields of a send and the receipt types, as Xiaomi names
// them (written here independently of the adapter, so that a test of
// the adapter against the fake checks one reading against another).
const (
	xmReceiptType   = "application/x-www-form-urlencoded"
	xmCallback      = "extra.callback"
	xmCallbackParam = "extra.callback.param"
	xmCallbackType  = "extra.callback.type"
	xmTypeDelivered = 1
	xmTypeClicked   = 2
)

// xmReceipt is one message's entry of the data field.
type xmReceipt struct {
	Param     string `json:"param"`
	Type      int    `json:"type"`
	Targets   string `json:"targets"`
	Timestamp int64  `json:"timestamp"`
}

func xmReceiptBody(msgID string, r xmReceipt) []byte {
	b, _ := json.Marshal(map[string]xmReceipt{msgID: r})
	return []byte(url.Values{"data": {string(b)}}.Encode())
}

// deliveredReceipts sends the delivery receipt of an accepted message that
// asked for one (callback.type 1 or 3).
func (x *Xiaomi) deliveredReceipts(form map[string][]string, tokens []string, rep xmReply) {
	to, param := first(form[xmCallback]), first(form[xmCallbackParam])
	body, ok := rep.body.(map[string]any)
	if to == "" || !ok || body["result"] != "ok" {
		return
	}
	data, _ := body["data"].(map[string]any)
	id, _ := data["id"].(string)
	bad, _ := data["bad_regids"].(string)
	var got []string
	for _, t := range tokens {
		if !xmContains(bad, t) {
			got = append(got, t)
		}
	}
	x.callbacks.remember(got, sentCallback{URL: to, Param: param, MsgID: id})
	if !strings.ContainsAny(first(form[xmCallbackType]), "13") || len(got) == 0 {
		return
	}
	entry := xmReceipt{Param: param, Type: xmTypeDelivered, Targets: strings.Join(got, ","), Timestamp: x.now().UnixMilli()}
	x.postLater(to, xmReceiptHeader(), xmReceiptBody(id, entry))
}

// Click simulates the user tapping the last notification token was sent:
// the type 2 receipt is POSTed now. It returns false when token was sent
// no message with a callback.
func (x *Xiaomi) Click(token string) (SentReceipt, bool) {
	cb, ok := x.callbacks.last(token)
	if !ok {
		return SentReceipt{}, false
	}
	entry := xmReceipt{Param: cb.Param, Type: xmTypeClicked, Targets: token, Timestamp: x.now().UnixMilli()}
	return x.post(cb.URL, xmReceiptHeader(), xmReceiptBody(cb.MsgID, entry)), true
}

func xmReceiptHeader() http.Header {
	return http.Header{"Content-Type": {xmReceiptType}}
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
