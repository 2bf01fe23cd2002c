package dispatcher

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

// TestBurstBody: the burst text per locale and preview mode; hidden and
// id_only never name the sender, id_only not even the count.
func TestBurstBody(t *testing.T) {
	custom := AppSettings{Locale: "en", Coalesced: "{count} from {sender}",
		Locales: map[string]LocaleText{"zh": {CoalescedHidden: "有{count}条消息"}}}
	cases := []struct {
		name   string
		app    AppSettings
		locale string
		group  bool
		nick   string
		mode   vendors.Preview
		want   string
	}{
		{"one-to-one", DefaultAppSettings(), "", false, "Denny", "", "Denny: 3 new messages"},
		{"group", DefaultAppSettings(), "", true, "Denny", "", "Den (Hiking): 3 new messages"},
		{"sender_only may name the sender", DefaultAppSettings(), "", true, "Denny", vendors.PreviewSenderOnly, "Den (Hiking): 3 new messages"},
		{"hidden", DefaultAppSettings(), "", true, "Denny", vendors.PreviewHidden, "3 new messages"},
		{"id_only shows no count", DefaultAppSettings(), "", false, "Denny", vendors.PreviewIDOnly, "New message"},
		{"no name", DefaultAppSettings(), "", false, "", "", "3 new messages"},
		{"Chinese", DefaultAppSettings(), "zh-CN", false, "Denny", "", "Denny: 3条新消息"},
		{"Chinese group", DefaultAppSettings(), "zh", true, "Denny", "", "Den (Hiking): 3条新消息"},
		{"Chinese hidden", DefaultAppSettings(), "zh-Hans", false, "Denny", vendors.PreviewHidden, "3条新消息"},
		{"Chinese id_only", DefaultAppSettings(), "zh", false, "Denny", vendors.PreviewIDOnly, "新消息"},
		{"app override", custom, "", false, "Denny", "", "3 from Denny"},
		{"per-locale override", custom, "zh", false, "Denny", vendors.PreviewHidden, "有3条消息"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := rsvJob()
			j.Sender.Nickname = tc.nick
			if tc.group {
				j.Group = &Group{ID: "g1", Name: "Hiking", Type: GroupWork}
				j.Sender.NameCard = "Den"
			}
			if got := burstBody(j, tc.app.ForLocale(tc.locale), tc.mode, 3); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// A group without a name uses the one-to-one text; a group name with
	// a token in it is not filled in again.
	j := rsvJob()
	j.Group = &Group{ID: "g1", Name: "{count}", Type: GroupWork}
	if got := burstBody(j, DefaultAppSettings().ForLocale(""), "", 2); got != "Denny ({count}): 2 new messages" {
		t.Errorf("group named {count}: %q", got)
	}
	j.Group.Name = ""
	if got := burstBody(j, DefaultAppSettings().ForLocale(""), "", 2); got != "Denny: 2 new messages" {
		t.Errorf("group without a name: %q", got)
	}
	for _, loc := range Locales() {
		text, _ := BuiltinLocale(loc)
		for _, s := range []string{text.Coalesced, text.CoalescedGroup, text.CoalescedHidden} {
			if !strings.Contains(s, CountToken) {
				t.Errorf("locale %s: burst text %q has no %s", loc, s, CountToken)
			}
		}
	}
}

// TestAppSettingsCoalesce: apps.<id>.coalesce_window is off by default,
// 0 or 1s..1h, and a bad value names the key.
func TestAppSettingsCoalesce(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "0": 0, "0s": 0, "1s": time.Second, "90s": 90 * time.Second, "1h": time.Hour} {
		a := AppSettings{CoalesceWindow: in}
		if got, err := a.Coalesce(); err != nil || got != want || a.Validate() != nil {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"500ms", "61m", "-1s", "soon", "5"} {
		err := AppSettings{CoalesceWindow: in}.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "coalesce_window") {
			t.Errorf("%q: %v, want an error on coalesce_window", in, err)
		}
	}
	if w, _ := DefaultAppSettings().Coalesce(); w != 0 {
		t.Errorf("default window %v, want off", w)
	}
}

// rsvOPPO is an OPPO certificate of the resolve tests' app.
const rsvOPPO = 4242

// coalesceEnv is vinson with an iPhone, a Huawei and an OPPO phone.
func coalesceEnv(t *testing.T, window string) *rsvEnv {
	t.Helper()
	e := newRsvEnv(t)
	e.app.CoalesceWindow = window
	certs := rsvCerts()
	e.r.Certs = func(ctx context.Context, id int64) (*CertInfo, error) {
		if id == rsvOPPO {
			return &CertInfo{ID: rsvOPPO, AppID: rsvApp, Vendor: vendors.OPPO}, nil
		}
		return certs(ctx, id)
	}
	e.bind(t, "vinson", rsvAPNs, "tok-apns")
	e.bind(t, "vinson", rsvHuawei, "tok-huawei")
	e.bind(t, "vinson", rsvOPPO, "tok-oppo")
	return e
}

func (e *rsvEnv) resolveMsg(t *testing.T, msg string, edit func(*Job)) (map[vendors.Vendor]Delivery, []Drop) {
	t.Helper()
	j := rsvJob()
	j.MsgID = msg
	if edit != nil {
		edit(j)
	}
	ds, drops, err := e.r.Resolve(e.ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	out := map[vendors.Vendor]Delivery{}
	for _, d := range ds {
		out[d.Vendor] = d
	}
	return out, drops
}

// TestResolveCoalesces: inside the window the replacing vendors get a
// silent update of the first notification with the count, the badge still
// counts every message, on OPPO too (notify_id); a message of
// another conversation opens its own window.
func TestResolveCoalesces(t *testing.T) {
	e := coalesceEnv(t, "10s")
	first, drops := e.resolveMsg(t, "m1", nil)
	if len(first) != 3 || len(drops) != 0 {
		t.Fatalf("first message: %d deliveries, drops %+v; want all three", len(first), drops)
	}
	for v, d := range first {
		if d.Notif.Replaces != "" || d.Notif.Silent || d.Notif.Body != "Denny: See you at 8" || d.share == 0 {
			t.Errorf("%s first: %+v, want the message as usual", v, d.Notif)
		}
	}
	for i, msg := range []string{"m2", "m3"} {
		got, drops := e.resolveMsg(t, msg, nil)
		count := i + 2
		if len(drops) != 0 {
			t.Fatalf("%s: drops %+v, want none (OPPO replaces by notify_id)", msg, drops)
		}
		if len(got) != 3 {
			t.Fatalf("%s: %d deliveries, want APNs, Huawei and OPPO", msg, len(got))
		}
		for v, d := range got {
			n := d.Notif
			want := "Denny: " + string(rune('0'+count)) + " new messages"
			if n.ID != msg || n.Replaces != "m1" || n.ReplaceKey() != "m1" || !n.Silent || n.Body != want || d.share != 0 {
				t.Errorf("%s on %s: %+v; want an update of m1 reading %q", msg, v, n, want)
			}
		}
		if b := got[vendors.APNs].Notif.Badge; b == nil || *b != count {
			t.Errorf("%s: APNs badge %v, want %d (every message counts)", msg, b, count)
		}
	}
	group, drops := e.resolveMsg(t, "g-1", func(j *Job) { j.Group = &Group{ID: "g1", Name: "Hiking", Type: GroupWork} })
	if len(group) != 3 || len(drops) != 0 || group[vendors.APNs].Notif.Replaces != "" {
		t.Errorf("another conversation: %d deliveries, drops %+v; want it pushed as usual", len(group), drops)
	}
}

// TestResolveCoalesceSettings: the conversation's window wins over the
// app's both ways; a call is never coalesced; with the window off no key
// is written.
func TestResolveCoalesceSettings(t *testing.T) {
	dur := func(d time.Duration) *time.Duration { return &d }
	conv := func(e *rsvEnv, w *time.Duration) {
		if err := e.store.SetConvCoalesce(e.ctx, rsvApp, "vinson", devices.KindC2C, "denny", w); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, app string
		conv      *time.Duration
		edit      func(*Job)
		coalesced bool
	}{
		{"off", "", nil, nil, false},
		{"app on", "30s", nil, nil, true},
		{"conversation turns it on", "", dur(5 * time.Second), nil, true},
		{"conversation turns it off", "30s", dur(0), nil, false},
		{"a call rings every time", "30s", nil, func(j *Job) { j.OfflinePush.VoIP = true }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := coalesceEnv(t, tc.app)
			if tc.conv != nil {
				conv(e, tc.conv)
			}
			e.resolveMsg(t, "m1", tc.edit)
			got, drops := e.resolveMsg(t, "m2", tc.edit)
			// Every vendor of the env replaces (OPPO by notify_id): an
			// update drops nothing.
			coalesced := len(drops) == 0 && got[vendors.APNs].Notif.Replaces == "m1"
			if coalesced != tc.coalesced {
				t.Errorf("coalesced = %v (drops %+v, APNs %+v), want %v", coalesced, drops, got[vendors.APNs].Notif, tc.coalesced)
			}
		})
	}
	e := coalesceEnv(t, "")
	e.resolveMsg(t, "m1", nil)
	keys, err := e.store.Bursts(e.ctx, rsvApp, devices.Conv{Kind: devices.KindC2C, ID: "denny"}, "probe", []devices.BurstOf{{UserID: "vinson", Window: time.Second}})
	if err != nil || keys[0].First != "probe" {
		t.Errorf("with the window off a window was opened: %+v, %v", keys, err)
	}
}

// TestCoalesceVendorCaps: which vendors get an update inside a window.
// Every vendor replaces (OPPO and vivo by notify id); Xiaomi's default channel (no channel_id
// on the job or the certificate) allows one message a day; Meizu folds
// after five a minute, so a burst stops updating after four pushes.
func TestCoalesceVendorCaps(t *testing.T) {
	if meizuUpdates() != 4 {
		t.Fatalf("Meizu's descriptor bounds a burst at %d pushes, want 4 (code 520 past five a minute)", meizuUpdates())
	}
	withChannel := &CertInfo{Vendor: vendors.Xiaomi, Fields: map[string]string{vendors.FieldChannelID: "chat"}}
	noChannel := &CertInfo{Vendor: vendors.Xiaomi, Fields: map[string]string{}}
	cases := []struct {
		name       string
		v          vendors.Vendor
		jobChannel string
		cert       *CertInfo
		count      int
		want       bool
	}{
		{"APNs", vendors.APNs, "", nil, 50, true},
		{"FCM", vendors.FCM, "", nil, 50, true},
		{"Huawei", vendors.Huawei, "", nil, 50, true},
		{"Honor", vendors.Honor, "", nil, 50, true},
		{"HarmonyOS", vendors.Vendor("harmony"), "", nil, 50, true},
		{"OPPO", vendors.OPPO, "", nil, 2, true},
		{"vivo", vendors.Vivo, "", nil, 2, true},
		{"Xiaomi default channel", vendors.Xiaomi, "", noChannel, 2, false},
		{"Xiaomi certificate channel", vendors.Xiaomi, "", withChannel, 2, true},
		{"Xiaomi job channel", vendors.Xiaomi, "chat", noChannel, 2, true},
		{"Meizu within four", vendors.Meizu, "", nil, meizuUpdates(), true},
		{"Meizu past four", vendors.Meizu, "", nil, meizuUpdates() + 1, false},
	}
	for _, tc := range cases {
		d := Delivery{Vendor: tc.v, Notif: &vendors.Notification{Android: vendors.AndroidOptions{ChannelID: tc.jobChannel}}}
		if got := updatable(d, tc.cert, tc.count); got != tc.want {
			t.Errorf("%s: updatable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// coaCounter counts the commands that touch a burst window.
type coaCounter struct {
	roundTripCounter
	coa atomic.Int64
}

func (c *coaCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	count := c.roundTripCounter.ProcessPipelineHook(next)
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			for _, a := range cmd.Args() {
				if s, ok := a.(string); ok && strings.Contains(s, ":coa:") {
					c.coa.Add(1)
				}
			}
		}
		return count(ctx, cmds)
	}
}

// TestCoalesceCost: with the window off, Resolve sends no command for it;
// on, one script per recipient, in one round trip per chunk of 500.
func TestCoalesceCost(t *testing.T) {
	db := testredis.New(t)
	seed := devices.New(db.Client, devices.Options{})
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("u%04d", i)
		if err := seed.Bind(context.Background(), devices.Binding{AppID: rsvApp, UserID: users[i], CertID: rsvAPNs, Token: "t" + users[i]}); err != nil {
			t.Fatal(err)
		}
	}
	c := redis.NewClient(db.Options())
	defer c.Close()
	hook := &coaCounter{}
	c.AddHook(hook)
	app := DefaultAppSettings()
	r := &Resolver{Devices: devices.New(c, devices.Options{}), Certs: rsvCerts(), Now: func() time.Time { return rsvNow },
		Apps: func(string) AppSettings { return app }}
	resolve := func(msg string) (roundTrips, coa int64) {
		hook.n.Store(0)
		hook.coa.Store(0)
		j := rsvJob()
		j.MsgID, j.Group, j.Recipients = msg, hiking(GroupWork), users
		if ds, _, err := r.Resolve(context.Background(), j); err != nil || len(ds) != len(users) {
			t.Fatalf("%s: %d deliveries, %v", msg, len(ds), err)
		}
		return hook.n.Load(), hook.coa.Load()
	}
	offTrips, offCoa := resolve("off-1")
	if offCoa != 0 {
		t.Errorf("window off: %d commands on burst windows, want none", offCoa)
	}
	app.CoalesceWindow = "1m"
	resolve("on-1") // may load the script first
	onTrips, onCoa := resolve("on-2")
	if onCoa != int64(len(users)) || onTrips != offTrips+2 {
		t.Errorf("window on: %d window commands in %d round trips; want %d in %d (off: %d)", onCoa, onTrips, len(users), offTrips+2, offTrips)
	}
}

// meizuUpdates is Meizu's bound on a burst's pushes, from its descriptor.
func meizuUpdates() int {
	d, _ := vendors.Lookup(vendors.Meizu)
	return d.Updates.Max
}
