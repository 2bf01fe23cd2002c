package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
	"github.com/redis/go-redis/v9"
)

// The certificates of the resolve tests, with the seed's example ids.
const (
	rsvApp       = "1400000001"
	rsvAPNs      = 2383
	rsvXiaomi    = 15286
	rsvHuawei    = 15261
	rsvOtherApp  = 99
	rsvUnknownID = 777
)

func rsvCerts() CertLookup {
	certs := map[int64]*CertInfo{
		rsvAPNs:     {ID: rsvAPNs, AppID: rsvApp, Vendor: vendors.APNs},
		rsvXiaomi:   {ID: rsvXiaomi, AppID: rsvApp, Vendor: vendors.Xiaomi},
		rsvHuawei:   {ID: rsvHuawei, AppID: rsvApp, Vendor: vendors.Huawei},
		rsvOtherApp: {ID: rsvOtherApp, AppID: "1400000002", Vendor: vendors.APNs},
	}
	return func(_ context.Context, id int64) (*CertInfo, error) {
		if c, ok := certs[id]; ok {
			return c, nil
		}
		return nil, fmt.Errorf("certificate %d: %w", id, ErrUnknownCert)
	}
}

// rsvNow is the tests' clock: 12:00 UTC, 20:00 in Shanghai.
var rsvNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type rsvEnv struct {
	ctx   context.Context
	store *devices.Store
	r     *Resolver
	app   AppSettings
}

func newRsvEnv(t *testing.T) *rsvEnv {
	t.Helper()
	db := testredis.New(t)
	e := &rsvEnv{ctx: context.Background(), store: devices.New(db.Client, devices.Options{Now: func() time.Time { return rsvNow }}),
		app: DefaultAppSettings()}
	e.r = &Resolver{Devices: e.store, Certs: rsvCerts(), Apps: func(string) AppSettings { return e.app }, Now: func() time.Time { return rsvNow }}
	return e
}

func (e *rsvEnv) bind(t *testing.T, user string, cert int64, token string) {
	t.Helper()
	if err := e.store.Bind(e.ctx, devices.Binding{AppID: rsvApp, UserID: user, CertID: cert, Token: token}); err != nil {
		t.Fatal(err)
	}
}

func (e *rsvEnv) set(t *testing.T, user string, p devices.SettingsPatch) {
	t.Helper()
	if _, err := e.store.PutSettings(e.ctx, rsvApp, user, p); err != nil {
		t.Fatal(err)
	}
}

func (e *rsvEnv) opt(t *testing.T, user, kind, id string, o devices.ReceiveOpt) {
	t.Helper()
	if err := e.store.SetReceiveOption(e.ctx, rsvApp, user, kind, id, o); err != nil {
		t.Fatal(err)
	}
}

// rsvJob is a one-to-one message from Denny to Vinson.
func rsvJob() *Job {
	exp := rsvNow.Add(DefaultExpiry)
	return &Job{AppID: rsvApp, MsgID: "m1", Sender: From{UserID: "denny", Nickname: "Denny"},
		Recipients: []string{"vinson"}, Elems: []Elem{{Type: ElemText, Text: "See you at 8"}}, ExpireAt: &exp}
}

// summary names deliveries "user@cert" and drops "user@cert:rule" (cert
// 0 for a recipient-level drop), sorted.
func summary(ds []Delivery, drops []Drop) (got, dropped []string) {
	for _, d := range ds {
		got = append(got, fmt.Sprintf("%s@%d", d.UserID, d.CertID))
	}
	for _, d := range drops {
		dropped = append(dropped, fmt.Sprintf("%s@%d:%s", d.UserID, d.CertID, d.Rule))
	}
	sort.Strings(got)
	sort.Strings(dropped)
	return got, dropped
}

type rsvCase struct {
	name      string
	seed      string
	setup     func(t *testing.T, e *rsvEnv)
	edit      func(j *Job)
	want      []string
	wantDrops []string
}

func runRsvCases(t *testing.T, cases []rsvCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newRsvEnv(t)
			e.bind(t, "vinson", rsvAPNs, "vinson-ios")
			e.bind(t, "vinson", rsvXiaomi, "vinson-mi")
			if tc.setup != nil {
				tc.setup(t, e)
			}
			j := rsvJob()
			if tc.edit != nil {
				tc.edit(j)
			}
			ds, drops, err := e.r.Resolve(e.ctx, j)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			got, dropped := summary(ds, drops)
			want := slices.Sorted(slices.Values(tc.want))
			wantDrops := slices.Sorted(slices.Values(tc.wantDrops))
			if d := cmp.Diff(want, got, cmp.Comparer(sameStrings)); d != "" {
				t.Errorf("seed %s: deliveries (-want +got):\n%s", tc.seed, d)
			}
			if d := cmp.Diff(wantDrops, dropped, cmp.Comparer(sameStrings)); d != "" {
				t.Errorf("seed %s: drops (-want +got):\n%s", tc.seed, d)
			}
		})
	}
}

func sameStrings(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

var rsvBoth = []string{"vinson@2383", "vinson@15286"}

func TestResolveDropRules(t *testing.T) {
	group := func(typ string) func(j *Job) { return func(j *Job) { j.Group = hiking(typ) } }
	runRsvCases(t, []rsvCase{
		{name: "pushed to every binding", seed: "L8269", want: rsvBoth},
		{name: "online_user_only", seed: "L5052", edit: func(j *Job) { j.OnlineUserOnly = true },
			wantDrops: []string{"vinson@0:online_user_only"}},
		{name: "push disabled", seed: "L5058", edit: func(j *Job) { j.OfflinePush.Disable = true },
			wantDrops: []string{"vinson@0:offline_push_disabled"}},
		{name: "system message", seed: "L24098", edit: func(j *Job) { j.System = true },
			wantDrops: []string{"vinson@0:system_message"}},
		{name: "group tips", seed: "", edit: func(j *Job) { j.Group, j.Elems = hiking(GroupWork), []Elem{{Type: ElemGroupTips}} },
			wantDrops: []string{"vinson@0:group_tips"}},
		{name: "AVChatRoom never pushed", seed: "L18684", edit: group(GroupAVChatRoom),
			wantDrops: []string{"vinson@0:avchatroom"}},
		{name: "AVChatRoom not even with receive set", seed: "L6017", edit: group(GroupAVChatRoom),
			setup:     func(t *testing.T, e *rsvEnv) { e.opt(t, "vinson", devices.KindGroup, "g1", devices.OptReceive) },
			wantDrops: []string{"vinson@0:avchatroom"}},
		{name: "BChatRoom never pushed", seed: "L18684", edit: group(GroupBChatRoom),
			wantDrops: []string{"vinson@0:avchatroom"}},
		{name: "custom element without desc", seed: "L9254", edit: func(j *Job) { j.Elems = []Elem{{Type: ElemCustom}} },
			wantDrops: []string{"vinson@0:custom_without_desc"}},
		{name: "custom element with its desc", seed: "L9254", edit: func(j *Job) { j.Elems = []Elem{{Type: ElemCustom, Desc: "[Order]"}} },
			want: rsvBoth},
		{name: "custom element with offline_push.desc", seed: "L5064", edit: func(j *Job) {
			j.Elems, j.OfflinePush.Desc = []Elem{{Type: ElemCustom}}, "New order"
		}, want: rsvBoth},
		{name: "empty message", seed: "", edit: func(j *Job) { j.Elems = []Elem{{Type: ElemText, Text: " "}} },
			wantDrops: []string{"vinson@0:empty_message"}},
		{name: "expired", seed: "", edit: func(j *Job) { past := rsvNow.Add(-time.Second); j.ExpireAt = &past },
			wantDrops: []string{"vinson@0:expired"}},
		{name: "sender never gets their own message", seed: "L8269", edit: func(j *Job) {
			j.Group, j.Recipients = hiking(GroupWork), []string{"vinson", "denny"}
		}, setup: func(t *testing.T, e *rsvEnv) { e.bind(t, "denny", rsvAPNs, "denny-ios") },
			want: rsvBoth, wantDrops: []string{"denny@0:sender_is_recipient"}},
		{name: "global switch off", seed: "L27312", setup: func(t *testing.T, e *rsvEnv) {
			e.set(t, "vinson", devices.SettingsPatch{Push: devices.PushOff})
		}, wantDrops: []string{"vinson@0:user_push_off"}},
		{name: "no binding", seed: "L8266", edit: func(j *Job) { j.Recipients = []string{"vinson", "nobody"} },
			want: rsvBoth, wantDrops: []string{"nobody@0:no_binding"}},
		{name: "logged out", seed: "L8258", setup: func(t *testing.T, e *rsvEnv) {
			if err := e.store.UnbindAll(e.ctx, rsvApp, "vinson"); err != nil {
				t.Fatal(err)
			}
		}, wantDrops: []string{"vinson@0:no_binding"}},
		{name: "foreground device", seed: "L27124", setup: func(t *testing.T, e *rsvEnv) {
			if err := e.store.Foreground(e.ctx, rsvApp, "vinson", rsvAPNs, "vinson-ios"); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"vinson@15286"}, wantDrops: []string{"vinson@2383:foreground"}},
		{name: "unknown certificate", seed: "L9229", setup: func(t *testing.T, e *rsvEnv) { e.bind(t, "vinson", rsvUnknownID, "x") },
			want: rsvBoth, wantDrops: []string{"vinson@777:unknown_certificate"}},
		{name: "another app's certificate", seed: "L9256", setup: func(t *testing.T, e *rsvEnv) { e.bind(t, "vinson", rsvOtherApp, "x") },
			want: rsvBoth, wantDrops: []string{"vinson@99:unknown_certificate"}},
		{name: "token moved to another user", seed: "L2629", setup: func(t *testing.T, e *rsvEnv) {
			e.bind(t, "bob", rsvXiaomi, "vinson-mi")
		}, want: []string{"vinson@2383"}},
		{name: "recipient listed twice", seed: "L12099", edit: func(j *Job) { j.Recipients = []string{"vinson", "vinson"} },
			want: rsvBoth},
	})
}

func TestResolveExplicitDevices(t *testing.T) {
	three := 3
	cases := []struct {
		name      string
		devices   []Device
		edit      func(j *Job)
		want      []string // "cert:badge"
		wantDrops []string
	}{
		{"devices under known certificates", []Device{{CertID: rsvAPNs, Token: "a"}, {CertID: rsvXiaomi, Token: "b", Vendor: "xiaomi"}},
			func(j *Job) { j.OfflinePush.Badge = &three }, []string{"15286:3", "2383:3"}, nil},
		{"no badge unless given", []Device{{CertID: rsvAPNs, Token: "a"}}, func(j *Job) {}, []string{"2383:none"}, nil},
		{"unknown and foreign certificates", []Device{{CertID: rsvUnknownID, Token: "a"}, {CertID: rsvOtherApp, Token: "b"}},
			func(j *Job) {}, nil, []string{"@777:unknown_certificate", "@99:unknown_certificate"}},
		{"vendor mismatch", []Device{{CertID: rsvAPNs, Token: "a", Vendor: "fcm"}}, func(j *Job) {}, nil, []string{"@2383:vendor_mismatch"}},
		{"message rules still apply", []Device{{CertID: rsvAPNs, Token: "a"}}, func(j *Job) { j.OfflinePush.Disable = true },
			nil, []string{"@2383:offline_push_disabled"}},
		{"a device listed twice is pushed once", []Device{{CertID: rsvAPNs, Token: "a"}, {CertID: rsvAPNs, Token: "a"}},
			func(j *Job) {}, []string{"2383:none"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// No device store: explicit devices never touch it.
			r := &Resolver{Certs: rsvCerts(), Now: func() time.Time { return rsvNow }}
			j := rsvJob()
			j.Recipients, j.Devices = nil, tc.devices
			j.Sender = From{}
			tc.edit(j)
			ds, drops, err := r.Resolve(context.Background(), j)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, fmt.Sprintf("%d:%s", d.CertID, badgeOf([]Delivery{d}, d.CertID)))
			}
			sort.Strings(got)
			_, dropped := summary(nil, drops)
			if !sameStrings(got, tc.want) || !sameStrings(dropped, tc.wantDrops) {
				t.Errorf("got %v drops %v, want %v drops %v", got, dropped, tc.want, tc.wantDrops)
			}
		})
	}
}

func TestResolveRendersPerRecipient(t *testing.T) {
	e := newRsvEnv(t)
	e.bind(t, "vinson", rsvAPNs, "v")
	e.bind(t, "zhang", rsvXiaomi, "z")
	e.set(t, "vinson", devices.SettingsPatch{GroupSound: strPtr("01.caf")})
	e.set(t, "zhang", devices.SettingsPatch{Locale: strPtr("zh-CN")})
	j := rsvJob()
	j.Group, j.Recipients = hiking(GroupWork), []string{"vinson", "zhang"}
	j.Elems = []Elem{{Type: ElemImage}}
	ds, _, err := e.r.Resolve(e.ctx, j)
	if err != nil || len(ds) != 2 {
		t.Fatalf("Resolve: %d deliveries, %v", len(ds), err)
	}
	sort.Slice(ds, func(a, b int) bool { return ds[a].UserID < ds[b].UserID })
	want := []Delivery{
		{UserID: "vinson", CertID: rsvAPNs, Token: "v", Vendor: vendors.APNs, Notif: &vendors.Notification{
			ID: "m1", Body: "Denny (Hiking): [image]", Sound: "01.caf", Badge: vendors.IntPtr(1), ExpireAt: *j.ExpireAt}},
		{UserID: "zhang", CertID: rsvXiaomi, Token: "z", Vendor: vendors.Xiaomi, Notif: &vendors.Notification{
			ID: "m1", Title: "新消息", Body: "Denny (Hiking): [图片]", ExpireAt: *j.ExpireAt}},
	}
	if d := cmp.Diff(want, ds, cmpopts.IgnoreUnexported(Delivery{})); d != "" {
		t.Errorf("deliveries (-want +got):\n%s", d)
	}
	if ds[0].Notif == ds[1].Notif {
		t.Error("deliveries share a notification")
	}
}

func strPtr(s string) *string { return &s }

func TestResolveErrors(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer dead.Close()
	r := &Resolver{Devices: devices.New(dead, devices.Options{}), Certs: rsvCerts(), Now: func() time.Time { return rsvNow }}
	if _, _, err := r.Resolve(context.Background(), rsvJob()); err == nil {
		t.Error("Resolve with Redis down returned no error; the task must be retried")
	}
	failing := &Resolver{Certs: func(context.Context, int64) (*CertInfo, error) { return nil, errors.New("certs store down") },
		Now: func() time.Time { return rsvNow }}
	j := rsvJob()
	j.Recipients, j.Devices = nil, []Device{{CertID: rsvAPNs, Token: "a"}}
	if _, _, err := failing.Resolve(context.Background(), j); err == nil || errors.Is(err, ErrUnknownCert) {
		t.Errorf("certificate lookup failure: %v, want a non-rule error", err)
	}
	j.OfflinePush.Ext = strings.Repeat("x", MaxExtBytes)
	var fe *FieldError
	if _, _, err := failing.Resolve(context.Background(), j); !errors.As(err, &fe) || fe.Field != "offline_push.ext" {
		t.Errorf("ext leaving no room: %v, want a FieldError on offline_push.ext", err)
	}
}

// roundTripCounter counts commands and pipelines sent, not the handshake of
// new connections.
type roundTripCounter struct{ n atomic.Int64 }

func (c *roundTripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *roundTripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd) {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (c *roundTripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && !handshake(cmds[0]) {
			c.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

func handshake(c redis.Cmder) bool {
	switch c.Name() {
	case "hello", "select", "client", "auth":
		return true
	}
	return false
}

// A 1 000-recipient group message costs a few pipelines, not thousands of
// sequential round trips.
func TestResolveLargeGroupIsPipelined(t *testing.T) {
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
	rt := &roundTripCounter{}
	c.AddHook(rt)
	r := &Resolver{Devices: devices.New(c, devices.Options{}), Certs: rsvCerts(), Now: func() time.Time { return rsvNow }}
	j := rsvJob()
	j.Group, j.Recipients = hiking(GroupWork), users
	ds, drops, err := r.Resolve(context.Background(), j)
	if err != nil || len(ds) != 1000 || len(drops) != 0 {
		t.Fatalf("Resolve: %d deliveries, %d drops, %v", len(ds), len(drops), err)
	}
	// Per chunk of 500: states, two for bindings, two for badges.
	if n := rt.n.Load(); n > 10 {
		t.Errorf("%d round trips for 1000 recipients, want at most 10", n)
	}
}
