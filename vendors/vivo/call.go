package vivo

import "github.com/pushd/pushd/vendors"

// vivo's call class (docs/rules.md "Calls (VoIP)"): a system message
// (classification 1) of category IM, instant messaging, the secondary
// class of chats and calls (vendor-protocols.md §6 classification and
// category; trtc.io/document/60576, vivo: "推送消息携带 category 字段").
const (
	callClassification = 1
	callCategory       = "IM"
)

// callClass puts a call, and its cancel, in the call class.
func callClass(n *vendors.Notification, m *message) {
	if n.Call {
		m.Classification, m.Category = callClassification, callCategory
	}
}
