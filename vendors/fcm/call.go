package fcm

import (
	"firebase.google.com/go/v4/messaging"

	"github.com/pushd/pushd/vendors"
)

// callClass gives a call, and its cancel, FCM's call class
// (docs/rules.md "Calls (VoIP)"): android.priority high, which wakes the
// device at once (vendor-protocols.md §2 android.priority), whatever the
// job's fcm_priority says; and a tag naming the call, so the cancel
// replaces the call's notification on the device (android.notification
// tag: a notification with the same tag replaces the shown one), not
// only a pending message (collapse_key).
func callClass(n *vendors.Notification, m *messaging.Message) {
	if !n.Call {
		return
	}
	m.Android.Priority = priorityHigh
	if m.Android.Notification == nil {
		m.Android.Notification = &messaging.AndroidNotification{}
	}
	m.Android.Notification.Tag = collapseKey(n.ReplaceKey())
}
