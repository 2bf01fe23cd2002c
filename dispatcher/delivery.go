package dispatcher

import "github.com/pushd/pushd/vendors"

// Delivery is one notification due to one device: the unit the dispatcher
// groups per certificate, sends, marks as sent and retries.
type Delivery struct {
	// UserID is the recipient, "" for a job with explicit devices.
	UserID string                `json:"user_id,omitempty"`
	CertID int64                 `json:"cert_id"`
	Token  string                `json:"token"`
	Vendor vendors.Vendor        `json:"vendor"`
	Notif  *vendors.Notification `json:"notification"`
	// share, when not 0, says which deliveries carry equal notifications:
	// those with the same share and badge. Planning groups them into one
	// vendor batch without comparing the notifications.
	share int
}

// Drop records a recipient or device that was not pushed, with the rule
// that decided it.
type Drop struct {
	UserID string `json:"user_id,omitempty"`
	CertID int64  `json:"cert_id,omitempty"`
	Token  string `json:"-"`
	// Rule names the rule (see the Rule* constants).
	Rule string `json:"rule"`
}

// The rules that drop a push (SPEC §4.1). Each names a metric label and an
// event reason.
const (
	RuleOnlineUserOnly   = "online_user_only"
	RuleDisabled         = "offline_push_disabled"
	RuleSystemMessage    = "system_message"
	RuleGroupTips        = "group_tips"
	RuleAVChatRoom       = "avchatroom"
	RuleCustomNoDesc     = "custom_without_desc"
	RuleEmptyMessage     = "empty_message"
	RuleSender           = "sender_is_recipient"
	RulePushOff          = "user_push_off"
	RuleNotReceive       = "receive_opt_not_receive"
	RuleReceiveNoNotify  = "receive_opt_not_notify"
	RuleGroupTypeDefault = "group_type_no_push"
	RuleDoNotDisturb     = "do_not_disturb"
	RuleNoBinding        = "no_binding"
	RuleForeground       = "foreground"
	RuleUnknownCert      = "unknown_certificate"
	RuleVendorMismatch   = "vendor_mismatch"
	RuleExpired          = "expired"
	// RuleBindingExpired drops a binding neither bound again nor reporting
	// a state for devices.binding_ttl: it is deleted when resolved
	// (lazily; no sweep), and this drop is its event.
	RuleBindingExpired = "binding_expired"
)
