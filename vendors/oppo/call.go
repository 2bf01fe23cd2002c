package oppo

import "github.com/pushd/pushd/vendors"

// OPPO's call class (docs/rules.md "Calls (VoIP)"): category IM
// (communication and service) at notify_level 16, the strong reminder
// (notification bar, lock screen, banner, vibration and ring), which OPPO
// grants Chat-class apps on application (Tencent's OPPOCategory and
// OPPONotifyLevel 1/2/16, tencent-rest-format.md §1.2;
// trtc.io/document/60576, OPPO: "setAndroidOPPONotifyLevel … 强提醒申请";
// vendor-protocols.md §5 category / notify_level [UNCERTAIN names]).
const (
	callCategory    = "IM"
	callNotifyLevel = 16
)

// callClass puts a call, and its cancel, in the call class.
func callClass(n *vendors.Notification, nt *notification) {
	if n.Call {
		nt.Category, nt.NotifyLevel = callCategory, callNotifyLevel
	}
}
