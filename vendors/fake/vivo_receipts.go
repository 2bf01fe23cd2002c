package fake

import (
	"encoding/json"
	"net/http"
)

// vivo delivery receipts (vendors/vivo/receipt.go): a single push
// (/message/send, formal mode) accepted with extra.callback gets,
// asynchronously, {"<taskId>":{"param", "targets"}} POSTed as JSON to
// that URL. Batch pushes get none, as vivo documents.

const vivoSendPath = "/message/send"

type vivoReceipt struct {
	Param   string `json:"param"`
	Targets string `json:"targets"`
}

func (f *Vivo) deliveredReceipts(raw []byte, tokens []string, extra map[string]any) {
	var m struct {
		PushMode int `json:"pushMode"`
		Extra    struct {
			Callback string `json:"callback"`
			Param    string `json:"callback.param"`
		} `json:"extra"`
	}
	task, _ := extra["taskId"].(string)
	if json.Unmarshal(raw, &m) != nil || m.Extra.Callback == "" || m.PushMode != 0 || task == "" || len(tokens) != 1 {
		return
	}
	b, _ := json.Marshal(map[string]vivoReceipt{task: {Param: m.Extra.Param, Targets: tokens[0]}})
	f.postLater(m.Extra.Callback, http.Header{"Content-Type": {"application/json"}}, b)
}
