package dispatcher

import (
	"testing"
	"time"

	"github.com/pushd/pushd/devices"
)

// The message rules apply in SPEC §4.1 order; the first that holds names
// the drop.
func TestMessageRuleOrder(t *testing.T) {
	cases := []struct {
		name string
		seed string
		edit func(j *Job)
		want string
	}{
		{"pushable", "", func(j *Job) {}, ""},
		{"online-only wins over everything after it", "L5052", func(j *Job) {
			j.OnlineUserOnly, j.OfflinePush.Disable, j.System = true, true, true
		}, RuleOnlineUserOnly},
		{"disable before system", "L5058", func(j *Job) { j.OfflinePush.Disable, j.System = true, true }, RuleDisabled},
		{"system before group tips", "L24098", func(j *Job) { j.System, j.Elems = true, []Elem{{Type: ElemGroupTips}} }, RuleSystemMessage},
		{"group tips in a Work group", "", func(j *Job) { j.Group, j.Elems = hiking(GroupWork), []Elem{{Type: ElemGroupTips}} }, RuleGroupTips},
		{"AVChatRoom even with desc", "L5052", func(j *Job) { j.Group, j.OfflinePush.Desc = hiking(GroupAVChatRoom), "x" }, RuleAVChatRoom},
		{"custom without any desc", "L27292", func(j *Job) { j.Elems = []Elem{{Type: ElemCustom}, {Type: ElemCustom, Desc: " "}} }, RuleCustomNoDesc},
		{"offline_push.desc saves it", "L9130", func(j *Job) { j.Elems, j.OfflinePush.Desc = []Elem{{Type: ElemCustom}}, "New order" }, ""},
		{"no elements", "", func(j *Job) { j.Elems = nil }, RuleEmptyMessage},
		{"excluded from unread is still pushed", "L3277", func(j *Job) { j.ExcludedFromUnread = true }, ""},
		{"expired first of all", "", func(j *Job) {
			past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			j.ExpireAt, j.OnlineUserOnly = &past, true
		}, RuleExpired},
	}
	for _, tc := range cases {
		j := renderJob()
		tc.edit(j)
		if got := messageRule(j, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)); got != tc.want {
			t.Errorf("%s (seed %s): rule %q, want %q", tc.name, tc.seed, got, tc.want)
		}
	}
}

// The recipient rules in order: sender, switch, receive option with group
// defaults and mentions, then DND.
func TestRecipientRuleOrder(t *testing.T) {
	on := devices.Settings{Push: devices.PushOn}
	off := devices.Settings{Push: devices.PushOff}
	always := &devices.DND{Start: "00:00", Duration: devices.Duration(24 * time.Hour)}
	cases := []struct {
		name  string
		group string // "" for one-to-one
		user  string
		st    devices.UserState
		want  string
	}{
		{"the sender, even with push off", "", "denny", devices.UserState{Settings: off}, RuleSender},
		{"push off before options", "", "vinson", devices.UserState{Settings: off, Opt: devices.OptNotReceive}, RulePushOff},
		{"not_receive before DND", "", "vinson", devices.UserState{Settings: devices.Settings{DND: always}, Opt: devices.OptNotReceive}, RuleNotReceive},
		{"Meeting default before DND", GroupMeeting, "vinson", devices.UserState{Settings: devices.Settings{DND: always}}, RuleGroupTypeDefault},
		{"DND last", GroupWork, "vinson", devices.UserState{Settings: devices.Settings{DND: always}}, RuleDoNotDisturb},
		{"an unknown stored option is the default", GroupWork, "vinson", devices.UserState{Settings: on, Opt: "mute"}, ""},
		{"notified", GroupPublic, "vinson", devices.UserState{Settings: on}, ""},
	}
	for _, tc := range cases {
		j := renderJob()
		if tc.group != "" {
			j.Group = hiking(tc.group)
		}
		rr := newRecipientRules(j, DefaultAppSettings(), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
		if got := rr.rule(tc.user, tc.st); got != tc.want {
			t.Errorf("%s: rule %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestResolveMuteAndDND(t *testing.T) {
	group := func(typ string) func(j *Job) { return func(j *Job) { j.Group = hiking(typ) } }
	dnd := func(start string, d time.Duration, tz string) func(t *testing.T, e *rsvEnv) {
		return func(t *testing.T, e *rsvEnv) {
			e.set(t, "vinson", devices.SettingsPatch{DND: &devices.DND{Start: start, Duration: devices.Duration(d), TZ: tz}})
		}
	}
	runRsvCases(t, []rsvCase{
		{name: "peer not_receive", seed: "L3460", setup: func(t *testing.T, e *rsvEnv) {
			e.opt(t, "vinson", devices.KindC2C, "denny", devices.OptNotReceive)
		}, wantDrops: []string{"vinson@0:receive_opt_not_receive"}},
		{name: "peer receive_not_notify", seed: "L3463", setup: func(t *testing.T, e *rsvEnv) {
			e.opt(t, "vinson", devices.KindC2C, "denny", devices.OptReceiveNotNotify)
		}, wantDrops: []string{"vinson@0:receive_opt_not_notify"}},
		{name: "another peer's option does not apply", seed: "L3455", setup: func(t *testing.T, e *rsvEnv) {
			e.opt(t, "vinson", devices.KindC2C, "carol", devices.OptNotReceive)
		}, want: rsvBoth},
		{name: "a group option does not apply to one-to-one", seed: "L3455", setup: func(t *testing.T, e *rsvEnv) {
			e.opt(t, "vinson", devices.KindGroup, "denny", devices.OptNotReceive)
		}, want: rsvBoth},
		{name: "Work group notifies by default", seed: "L15213", edit: group(GroupWork), want: rsvBoth},
		{name: "Public group notifies by default", seed: "L15213", edit: group(GroupPublic), want: rsvBoth},
		{name: "Meeting group does not push by default", seed: "L15214", edit: group(GroupMeeting),
			wantDrops: []string{"vinson@0:group_type_no_push"}},
		{name: "legacy ChatRoom is Meeting", seed: "L7196", edit: group(GroupChatRoom),
			wantDrops: []string{"vinson@0:group_type_no_push"}},
		{name: "Meeting group pushes after the user sets receive", seed: "L15226", edit: group(GroupMeeting),
			setup: func(t *testing.T, e *rsvEnv) { e.opt(t, "vinson", devices.KindGroup, "g1", devices.OptReceive) }, want: rsvBoth},
		{name: "group receive_not_notify", seed: "L15224", edit: group(GroupWork),
			setup: func(t *testing.T, e *rsvEnv) {
				e.opt(t, "vinson", devices.KindGroup, "g1", devices.OptReceiveNotNotify)
			},
			wantDrops: []string{"vinson@0:receive_opt_not_notify"}},
		{name: "group not_receive", seed: "L15222", edit: group(GroupPublic),
			setup:     func(t *testing.T, e *rsvEnv) { e.opt(t, "vinson", devices.KindGroup, "g1", devices.OptNotReceive) },
			wantDrops: []string{"vinson@0:receive_opt_not_receive"}},
		{name: "option cleared back to the default", seed: "", edit: group(GroupWork), setup: func(t *testing.T, e *rsvEnv) {
			e.opt(t, "vinson", devices.KindGroup, "g1", devices.OptNotReceive)
			e.opt(t, "vinson", devices.KindGroup, "g1", devices.OptDefault)
		}, want: rsvBoth},
		// 12:00 UTC is 20:00 in Shanghai.
		{name: "inside a DND window crossing midnight (Shanghai)", setup: dnd("19:00", 12*time.Hour, "Asia/Shanghai"),
			wantDrops: []string{"vinson@0:do_not_disturb"}},
		{name: "before the DND window (Shanghai)", setup: dnd("22:00", 8*time.Hour, "Asia/Shanghai"), want: rsvBoth},
		{name: "UTC window, local time elsewhere irrelevant", setup: dnd("11:30", time.Hour, ""),
			wantDrops: []string{"vinson@0:do_not_disturb"}},
	})
}

func TestResolveMentions(t *testing.T) {
	muted := func(t *testing.T, e *rsvEnv) {
		e.opt(t, "vinson", devices.KindGroup, "g1", devices.OptReceiveNotNotify)
	}
	mention := func(typ string, who ...string) func(j *Job) {
		return func(j *Job) { j.Group, j.Mentions = hiking(typ), who }
	}
	runRsvCases(t, []rsvCase{
		{name: "@me in a muted group notifies", seed: "L3077", setup: muted, edit: mention(GroupWork, "vinson"), want: rsvBoth},
		{name: "@all in a muted group notifies", seed: "L3077", setup: muted, edit: mention(GroupWork, MentionAll), want: rsvBoth},
		{name: "@someone else stays muted", setup: muted, edit: mention(GroupWork, "carol"),
			wantDrops: []string{"vinson@0:receive_opt_not_notify"}},
		{name: "@me in a Meeting group (default no push) notifies", seed: "L15214", edit: mention(GroupMeeting, "vinson"), want: rsvBoth},
		{name: "@me never passes not_receive", seed: "L6066", edit: mention(GroupWork, "vinson"),
			setup:     func(t *testing.T, e *rsvEnv) { e.opt(t, "vinson", devices.KindGroup, "g1", devices.OptNotReceive) },
			wantDrops: []string{"vinson@0:receive_opt_not_receive"}},
		{name: "@me never passes the global switch", edit: mention(GroupWork, "vinson"),
			setup:     func(t *testing.T, e *rsvEnv) { e.set(t, "vinson", devices.SettingsPatch{Push: devices.PushOff}) },
			wantDrops: []string{"vinson@0:user_push_off"}},
		{name: "@me never passes do-not-disturb", edit: mention(GroupWork, "vinson"), setup: func(t *testing.T, e *rsvEnv) {
			e.set(t, "vinson", devices.SettingsPatch{DND: &devices.DND{Start: "00:00", Duration: devices.Duration(24 * time.Hour)}})
		}, wantDrops: []string{"vinson@0:do_not_disturb"}},
		{name: "app turned the override off", edit: mention(GroupWork, "vinson"), setup: func(t *testing.T, e *rsvEnv) {
			muted(t, e)
			e.app.MentionOverridesMute = false
		}, wantDrops: []string{"vinson@0:receive_opt_not_notify"}},
		{name: "mentions mean nothing one-to-one", edit: func(j *Job) { j.Mentions = []string{"vinson"} },
			setup: func(t *testing.T, e *rsvEnv) {
				e.opt(t, "vinson", devices.KindC2C, "denny", devices.OptReceiveNotNotify)
			},
			wantDrops: []string{"vinson@0:receive_opt_not_notify"}},
	})
}
