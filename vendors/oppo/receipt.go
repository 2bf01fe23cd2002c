package oppo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Delivery receipts [vendor-protocols.md §5: call_back_url (≤200) and
// call_back_parameter (≤100; the SDK limits it to 50, within pushd's 64),
// regId targets only, POSTed as JSON]. OPPO POSTs a JSON array of events
// {"messageId", "appId", "taskId", "registrationIds": "<regId,…>",
// "eventTime", "param", "eventType"}; "push_arrive" is delivered, other
// event types (invalid regId, daily limit, …) are read as not delivered
// [UNCERTAIN: the event type names beyond push_arrive were not captured].
// OPPO does not sign receipts; the signed param is their proof. OPPO
// expects HTTP 200.
const eventArrive = "push_arrive"

// ReceiptEvent is one event of a receipt POST.
type ReceiptEvent struct {
	MessageID       string `json:"messageId"`
	AppID           string `json:"appId,omitempty"`
	TaskID          string `json:"taskId,omitempty"`
	RegistrationIDs string `json:"registrationIds"`
	EventTime       string `json:"eventTime,omitempty"`
	Param           string `json:"param"`
	EventType       string `json:"eventType"`
}

// ParseReceipts reads a receipt POST: one Receipt per registration id of
// each event.
func ParseReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	var evs []ReceiptEvent
	if err := json.Unmarshal(req.Body, &evs); err != nil {
		return nil, fmt.Errorf("oppo receipt: %w", err)
	}
	var out []vendors.Receipt
	for _, e := range evs {
		kind, code := vendors.ReceiptDelivered, ""
		if e.EventType != eventArrive {
			kind, code = vendors.ReceiptUndelivered, e.EventType
		}
		var at time.Time
		if ms, err := strconv.ParseInt(e.EventTime, 10, 64); err == nil && ms > 0 {
			at = time.UnixMilli(ms)
		}
		for _, t := range strings.Split(e.RegistrationIDs, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, vendors.Receipt{Kind: kind, Code: code, Param: e.Param, Token: t, VendorMsgID: e.MessageID, At: at})
			}
		}
	}
	return out, nil
}

// ReceiptReply is the answer OPPO expects: 200 when taken.
func ReceiptReply(err error) (int, any) {
	if err != nil {
		return 401, map[string]string{"result": "error"}
	}
	return 200, map[string]string{"result": "ok"}
}
