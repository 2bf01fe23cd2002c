package dispatcher

import (
	"encoding/json"
	"fmt"
)

// RedactedPayload is how the queue UI (asynqmon) shows a task: its app,
// message and how many targets it has, never the message text, the ext or
// a device token (asynqmon shows payloads to every operator who can open
// it).
func RedactedPayload(taskType string, payload []byte) string {
	var head struct {
		AppID      string            `json:"app_id"`
		MsgID      string            `json:"msg_id"`
		Recipients []json.RawMessage `json:"recipients"`
		Devices    []json.RawMessage `json:"devices"`
		Targets    []json.RawMessage `json:"targets"`
		Deliveries []json.RawMessage `json:"deliveries"`
	}
	if json.Unmarshal(payload, &head) != nil {
		return fmt.Sprintf("(%d bytes, not JSON)", len(payload))
	}
	n := len(head.Recipients) + len(head.Devices) + len(head.Targets) + len(head.Deliveries)
	b, _ := json.Marshal(map[string]any{"app_id": head.AppID, "msg_id": head.MsgID, "targets": n, "bytes": len(payload),
		"redacted": "message text, ext and device tokens are not shown"})
	return string(b)
}
