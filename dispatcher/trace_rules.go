package dispatcher

// RuleSetting returns, for every rule of rules.go and resolve.go, which
// setting or job field made it drop a push (what a support engineer
// checks or changes), "" for no rule. TestEveryRuleHasASetting keeps it
// complete.
func RuleSetting(rule string) string {
	switch rule {
	case RuleCoalesced:
		return CoalescedSetting
	case RuleExpired:
		return "the job's expire_at passed before it was sent"
	case RuleOnlineUserOnly:
		return "the job's online_user_only is true: never pushed to offline users"
	case RuleDisabled:
		return "the job's offline_push.disable is true"
	case RuleSystemMessage:
		return "the job's system flag: system messages are never pushed"
	case RuleGroupTips:
		return "the message holds a group tips element (join/leave notice)"
	case RuleAVChatRoom:
		return "group.type is AVChatRoom or BChatRoom: never pushed"
	case RuleCustomNoDesc:
		return "a custom element without desc, and no offline_push.desc"
	case RuleEmptyMessage:
		return "no element has text, and no offline_push.desc"
	case RuleSender:
		return "the recipient is the sender (sender.user_id)"
	case RulePushOff:
		return "the user's settings push=off (the global switch, mute all)"
	case RuleNotReceive:
		return "the user's receive option for this conversation is not_receive"
	case RuleReceiveNoNotify:
		return "the user muted this conversation (receive option receive_not_notify)"
	case RuleGroupTypeDefault:
		return "no receive option set: a Meeting/ChatRoom group defaults to receive without push"
	case RuleDoNotDisturb:
		return "the user's settings dnd: the do-not-disturb window is active"
	case RuleNoBinding:
		return "the user has no device binding"
	case RuleForeground:
		return "the app reported this device in the foreground (online): the app shows the message itself"
	case RuleUnknownCert:
		return "the binding's cert_id is unknown or belongs to another app"
	case RuleVendorMismatch:
		return "the device's vendor differs from its certificate's vendor"
	case RuleBindingExpired:
		return "the binding reported nothing for devices.binding_ttl and was removed"
	}
	return ""
}
