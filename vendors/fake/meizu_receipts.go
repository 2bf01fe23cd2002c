package fake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Meizu receipts (vendors/meizu/receipt.go): a message accepted with
// extra.callback and callback.type 1 or 3 gets, asynchronously, the form
// cb=<JSON {"<msgId>-1":{"param","type":1,"targets":[…]}}>&access_token=…
// POSTed to that URL; Click sends the type 2 receipt of a device's last
// message.

type meizuReceipt struct {
	Param   string   `json:"param"`
	Type    int      `json:"type"`
	Targets []string `json:"targets"`
}

func (f *Meizu) deliveredReceipts(raw []byte, ids []string, res meizuResult) {
	form, _ := url.ParseQuery(string(raw))
	var m struct {
		Extra struct {
			Callback string `json:"callback"`
			Param    string `json:"callback.param"`
			Type     int    `json:"callback.type"`
		} `json:"extra"`
	}
	if json.Unmarshal([]byte(form.Get("messageJson")), &m) != nil || m.Extra.Callback == "" {
		return
	}
	failed := map[string]bool{}
	if v, ok := res.value.(map[string][]string); ok {
		for _, list := range v {
			for _, id := range list {
				failed[id] = true
			}
		}
	}
	var got []string
	for _, id := range ids {
		if !failed[id] {
			got = append(got, id)
		}
	}
	f.callbacks.remember(got, sentCallback{URL: m.Extra.Callback, Param: m.Extra.Param, MsgID: res.msgID})
	if m.Extra.Type&1 == 0 || len(got) == 0 {
		return
	}
	f.postLater(m.Extra.Callback, meizuReceiptHeader(), meizuReceiptBody(res.msgID, meizuReceipt{Param: m.Extra.Param, Type: 1, Targets: got}))
}

// Click simulates the user tapping the last notification pushId was sent:
// the type 2 receipt is POSTed now. It returns false when pushId was sent
// no message with a callback.
func (f *Meizu) Click(pushID string) (SentReceipt, bool) {
	cb, ok := f.callbacks.last(pushID)
	if !ok {
		return SentReceipt{}, false
	}
	return f.post(cb.URL, meizuReceiptHeader(), meizuReceiptBody(cb.MsgID, meizuReceipt{Param: cb.Param, Type: 2, Targets: []string{pushID}})), true
}

func meizuReceiptBody(msgID string, r meizuReceipt) []byte {
	b, _ := json.Marshal(map[string]meizuReceipt{msgID + "-" + strconv.Itoa(r.Type): r})
	return []byte(url.Values{"cb": {string(b)}, "access_token": {"fake-meizu-callback"}}.Encode())
}

func meizuReceiptHeader() http.Header {
	return http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
}
