package huawei

import "github.com/pushd/pushd/vendors"

// Huawei's call class (docs/rules.md "Calls (VoIP)"): category VOIP
// ("音视频通话", audio and video calls) at urgency HIGH. The category is
// honoured once the app holds Huawei's self-classification right
// (vendor-protocols.md §4 android.category and urgency; help.aliyun.com
// 436435, Huawei categories "VOIP:音视频通话").
const (
	callCategory = "VOIP"
	callUrgency  = "HIGH"
)

// callClass puts a call, and its cancel, in the call class.
func callClass(n *vendors.Notification, a *android) {
	if n.Call {
		a.Category, a.Urgency = callCategory, callUrgency
	}
}
