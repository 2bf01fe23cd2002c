package honor

import "github.com/pushd/pushd/vendors"

// callImportance is Honor's call class (docs/rules.md "Calls (VoIP)"):
// importance NORMAL, "service and communication", which rings and shows on
// the lock screen; LOW is marketing (vendor-protocols.md §8 importance;
// trtc.io/document/60576, Honor: "推送消息携带 importance 字段").
const callImportance = "NORMAL"

// callClass puts a call, and its cancel, in the call class.
func callClass(n *vendors.Notification, nt *notification) {
	if n.Call {
		nt.Importance = callImportance
	}
}
