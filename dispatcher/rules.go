package dispatcher

import (
	"strings"
	"time"

	"github.com/pushd/pushd/devices"
)

// RuleCoalesced drops a message inside a recipient's burst window on a
// vendor that cannot replace the window's notification (the descriptor's
// Replaces and Updates: Xiaomi's default channel, Meizu past its folding
// limit): the phone keeps the window's first alert
// (docs/rules.md, "Burst coalescing").
const RuleCoalesced = "coalesced"

// CoalescedSetting is what RuleSetting says of RuleCoalesced.
const CoalescedSetting = "apps.<app_id>.coalesce_window (or the conversation's coalesce_window): a burst of this conversation is already shown, and this vendor cannot update it"

// messageRule returns the rule that stops j from being pushed to anyone
// (SPEC §4.1), or "" when it may be pushed. The rules, in order:
//
//   - the job expired before it ran;
//   - online_user_only: "not pushed to the recipient offline" (seed L5052);
//   - offline_push.disable (seed L5058, L9579);
//   - system and group-system messages: "only supported for ordinary chat
//     messages, not for system messages" (seed L24098); the message
//     service flags them with `system`;
//   - group tips (join/leave notices): system-like, the seed gives no text
//     for them;
//   - AVChatRoom and BChatRoom: no stored membership offline state, never
//     pushed (seed L5052, L18684, L6017–6019);
//   - no text at all: a custom element without a desc and no
//     offline_push.desc "will not be pushed" (seed L9254, L27292, L5064),
//     likewise a message whose elements are all blank.
func messageRule(j *Job, now time.Time) string {
	switch {
	case j.ExpireAt != nil && !now.Before(*j.ExpireAt):
		return RuleExpired
	case j.OnlineUserOnly:
		return RuleOnlineUserOnly
	case j.OfflinePush.Disable:
		return RuleDisabled
	case j.System:
		return RuleSystemMessage
	case hasElem(j.Elems, ElemGroupTips):
		return RuleGroupTips
	case j.Group != nil && (j.Group.Type == GroupAVChatRoom || j.Group.Type == GroupBChatRoom):
		return RuleAVChatRoom
	}
	if strings.TrimSpace(j.OfflinePush.Desc) != "" {
		return ""
	}
	// Placeholders are never empty (see AppSettings.ForLocale), so whether
	// there is content does not depend on the recipient's locale.
	pieces, customNoDesc := elemPieces(j.Elems, builtinTexts[LocaleEnglish].Placeholders)
	switch {
	case len(pieces) > 0:
		return ""
	case customNoDesc:
		return RuleCustomNoDesc
	}
	return RuleEmptyMessage
}

func hasElem(elems []Elem, typ string) bool {
	for _, e := range elems {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// recipientRules decides, for one job, which recipients are not notified.
type recipientRules struct {
	j   *Job
	app AppSettings
	now time.Time
	// mentioned holds the @ targets of a group message; all is "@all".
	mentioned map[string]bool
	all       bool
}

func newRecipientRules(j *Job, app AppSettings, now time.Time) *recipientRules {
	rr := &recipientRules{j: j, app: app, now: now, mentioned: map[string]bool{}}
	if j.IsGroup() {
		for _, m := range j.Mentions {
			rr.all = rr.all || m == MentionAll
			rr.mentioned[m] = true
		}
	}
	return rr
}

// conversation is the message's conversation seen from a recipient: the
// sender (one-to-one) or the group. A one-to-one message without a sender
// id has no peer option to look up.
func conversation(j *Job) devices.Conv {
	if j.IsGroup() {
		return devices.Conv{Kind: devices.KindGroup, ID: j.Group.ID}
	}
	if j.Sender.UserID == "" {
		return devices.Conv{}
	}
	return devices.Conv{Kind: devices.KindC2C, ID: j.Sender.UserID}
}

// rule returns the rule that drops user, or "", in the order of SPEC
// §4.1: the sender (seed L8269: "messages sent by other accounts"), the
// global switch (openPush=2, L27312), the receive option, do-not-disturb.
func (rr *recipientRules) rule(user string, st devices.UserState) string {
	switch {
	case user == rr.j.Sender.UserID:
		return RuleSender
	case !st.Settings.PushEnabled():
		return RulePushOff
	}
	opt, byDefault := rr.effectiveOpt(st.Opt)
	switch opt {
	case devices.OptNotReceive:
		// Not even a mention gets through: the user receives nothing.
		return RuleNotReceive
	case devices.OptReceiveNotNotify:
		if rr.app.MentionOverridesMute && (rr.all || rr.mentioned[user]) {
			break
		}
		if byDefault {
			return RuleGroupTypeDefault
		}
		return RuleReceiveNoNotify
	}
	if st.Settings.DND.Active(rr.now) {
		return RuleDoNotDisturb
	}
	return ""
}

// effectiveOpt is the recipient's stored option, or the default of the
// conversation: notify for one-to-one and for Work/Private/Public groups;
// receive without push for Meeting (legacy ChatRoom) groups (seed
// L15213–15214). A stored `receive` on a Meeting group does push.
func (rr *recipientRules) effectiveOpt(stored devices.ReceiveOpt) (opt devices.ReceiveOpt, byDefault bool) {
	switch stored {
	case devices.OptReceive, devices.OptReceiveNotNotify, devices.OptNotReceive:
		return stored, false
	}
	if g := rr.j.Group; g != nil && (g.Type == GroupMeeting || g.Type == GroupChatRoom) {
		return devices.OptReceiveNotNotify, true
	}
	return devices.OptReceive, true
}
