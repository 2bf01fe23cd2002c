package fake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// OPPO delivery receipts (vendors/oppo/receipt.go): a message accepted
// with notification.call_back_url gets, asynchronously, a JSON array of
// events {"messageId", "appId", "registrationIds", "eventTime", "param",
// "eventType": "push_arrive"} POSTed to that URL.

type oppoReceiptEvent struct {
	MessageID       string `json:"messageId"`
	RegistrationIDs string `json:"registrationIds"`
	EventTime       string `json:"eventTime"`
	Param           string `json:"param"`
	EventType       string `json:"eventType"`
}

type oppoCallback struct {
	TargetValue  string `json:"target_value"`
	Notification struct {
		URL   string `json:"call_back_url"`
		Param string `json:"call_back_parameter"`
	} `json:"notification"`
}

// deliveredReceipts sends the receipt of every accepted target of a
// unicast (data {"messageId"}) or batch (data [{"registrationId",
// "messageId"} | {"errorCode"}]) request that asked for one.
func (f *OPPO) deliveredReceipts(raw []byte, data any) {
	form, _ := url.ParseQuery(string(raw))
	var msgs []oppoCallback
	if one := form.Get("message"); one != "" {
		var m oppoCallback
		json.Unmarshal([]byte(one), &m)
		msgs = []oppoCallback{m}
	} else {
		json.Unmarshal([]byte(form.Get("messages")), &msgs)
	}
	ids := oppoAccepted(data)
	for i, m := range msgs {
		if m.Notification.URL == "" || i >= len(ids) || ids[i] == "" {
			continue
		}
		ev := oppoReceiptEvent{MessageID: ids[i], RegistrationIDs: m.TargetValue, Param: m.Notification.Param,
			EventTime: strconv.FormatInt(f.now().UnixMilli(), 10), EventType: "push_arrive"}
		b, _ := json.Marshal([]oppoReceiptEvent{ev})
		f.postLater(m.Notification.URL, http.Header{"Content-Type": {"application/json"}}, b)
	}
}

// oppoAccepted returns the messageId of each target, "" for a failed one.
func oppoAccepted(data any) []string {
	switch d := data.(type) {
	case map[string]any:
		id, _ := d["messageId"].(string)
		return []string{id}
	case []map[string]any:
		out := make([]string, len(d))
		for i, item := range d {
			out[i], _ = item["messageId"].(string)
		}
		return out
	}
	return nil
}
