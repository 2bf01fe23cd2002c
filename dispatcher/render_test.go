package dispatcher

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/pushd/pushd/vendors"
)

// renderJob is a one-to-one text message from Denny, the seed's example
// sender.
func renderJob() *Job {
	exp := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	return &Job{
		AppID: "1400000001", MsgID: "c2c-8f1e", Sender: From{UserID: "denny", Nickname: "Denny"},
		Recipients: []string{"vinson"}, Elems: []Elem{{Type: ElemText, Text: "See you at 8"}},
		ExpireAt: &exp,
	}
}

func hiking(typ string) *Group { return &Group{ID: "g1", Name: "Hiking", Type: typ} }

func mustRender(t *testing.T, j *Job, in RenderInput) *vendors.Notification {
	t.Helper()
	if in.App.Locale == "" {
		in.App = DefaultAppSettings().ForLocale("")
	}
	n, err := Render(j, in)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return n
}

func TestRenderText(t *testing.T) {
	cases := []struct {
		name      string
		seed      string
		vendor    vendors.Vendor
		edit      func(j *Job)
		wantTitle string
		wantBody  string
	}{
		{"one-to-one with nickname", "L9233", vendors.APNs, func(j *Job) {}, "", "Denny: See you at 8"},
		{"one-to-one without nickname", "L9235", vendors.APNs, func(j *Job) { j.Sender.Nickname = "" }, "", "See you at 8"},
		{"group: name card wins", "L9237", vendors.APNs, func(j *Job) {
			j.Group, j.Sender.NameCard = hiking(GroupWork), "Captain"
		}, "", "Captain (Hiking): See you at 8"},
		{"group: nickname without name card", "L27279", vendors.APNs, func(j *Job) { j.Group = hiking(GroupWork) },
			"", "Denny (Hiking): See you at 8"},
		{"group: neither, no name displayed", "L9237", vendors.APNs, func(j *Job) {
			j.Group, j.Sender.Nickname = hiking(GroupPublic), ""
		}, "", "(Hiking): See you at 8"},
		{"group without a group name", "", vendors.APNs, func(j *Job) {
			j.Group = &Group{ID: "g1", Type: GroupWork}
		}, "", "Denny: See you at 8"},
		{"group with nothing to name", "", vendors.APNs, func(j *Job) {
			j.Group, j.Sender.Nickname = &Group{ID: "g1", Type: GroupWork}, ""
		}, "", "See you at 8"},
		{"desc replaces the generated text", "L9266", vendors.APNs, func(j *Job) { j.OfflinePush.Desc = "You have a new message" },
			"", "You have a new message"},
		{"desc replaces it in groups too", "L5064", vendors.Xiaomi, func(j *Job) {
			j.Group, j.OfflinePush.Desc = hiking(GroupWork), "Hike moved"
		}, "New message", "Hike moved"},
		{"title on iOS", "L9266", vendors.APNs, func(j *Job) { j.OfflinePush.Title = "Denny" }, "Denny", "Denny: See you at 8"},
		{"no title on iOS unless set", "L9266", vendors.APNs, func(j *Job) {}, "", "Denny: See you at 8"},
		{"Android default title", "L24515", vendors.Huawei, func(j *Job) {}, "New message", "Denny: See you at 8"},
		{"default title on FCM", "L24515", vendors.FCM, func(j *Job) {}, "New message", "Denny: See you at 8"},
		{"blank title is no title", "", vendors.OPPO, func(j *Job) { j.OfflinePush.Title = "  " }, "New message", "Denny: See you at 8"},
		{"title on Android", "L5059", vendors.Vivo, func(j *Job) { j.OfflinePush.Title = "Hiking" }, "Hiking", "Denny: See you at 8"},
		{"text and image", "L9243", vendors.APNs, func(j *Job) {
			j.Elems = []Elem{{Type: ElemText, Text: "Look"}, {Type: ElemImage}}
		}, "", "Denny: Look [image]"},
		{"custom descs are stacked", "L18447", vendors.APNs, func(j *Job) {
			j.Elems = []Elem{{Type: ElemCustom, Desc: "[Order]"}, {Type: ElemCustom, Desc: "paid"}}
		}, "", "Denny: [Order] paid"},
		{"custom without desc beside text shows the text", "L9254", vendors.APNs, func(j *Job) {
			j.Elems = []Elem{{Type: ElemText, Text: "hi"}, {Type: ElemCustom}}
		}, "", "Denny: hi"},
		{"blank text elements are skipped", "", vendors.APNs, func(j *Job) {
			j.Elems = []Elem{{Type: ElemText, Text: " "}, {Type: ElemFile}}
		}, "", "Denny: [file]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := renderJob()
			tc.edit(j)
			n := mustRender(t, j, RenderInput{Vendor: tc.vendor})
			if n.Title != tc.wantTitle || n.Body != tc.wantBody {
				t.Errorf("seed %s: got title %q body %q, want %q %q", tc.seed, n.Title, n.Body, tc.wantTitle, tc.wantBody)
			}
		})
	}
}

func TestRenderPlaceholdersAndLocales(t *testing.T) {
	all := []Elem{{Type: ElemImage}, {Type: ElemSound}, {Type: ElemVideo}, {Type: ElemFile},
		{Type: ElemLocation}, {Type: ElemFace}, {Type: ElemMerger}}
	zhApp := AppSettings{Locale: "zh-Hans", MentionOverridesMute: true}
	custom := AppSettings{Locale: "en", Placeholders: map[string]string{ElemImage: "[photo]", ElemFile: ""},
		DefaultTitle: "Chat", Locales: map[string]LocaleText{"zh-CN": {Placeholders: map[string]string{ElemImage: "[照片]"}}}}
	cases := []struct {
		name       string
		seed       string
		app        AppSettings
		userLocale string
		elems      []Elem
		wantTitle  string
		wantBody   string
	}{
		{"English placeholders", "L27288–27291", DefaultAppSettings(), "", all, "New message",
			"Denny: [image] [voice] [video] [file] [location] [sticker] [chat history]"},
		{"Chinese placeholders", "", zhApp, "", all, "新消息",
			"Denny: [图片] [语音] [视频] [文件] [位置] [表情] [聊天记录]"},
		{"user locale wins over the app's", "", DefaultAppSettings(), "zh-CN", all[:1], "新消息", "Denny: [图片]"},
		{"English user in a Chinese app", "", zhApp, "en-GB", all[:1], "New message", "Denny: [image]"},
		{"unsupported user locale falls back to the app's", "", zhApp, "zh-TW", all[:1], "新消息", "Denny: [图片]"},
		{"app overrides its own locale", "L9247", custom, "", all[:1], "Chat", "Denny: [photo]"},
		{"empty override keeps the built-in", "", custom, "", []Elem{{Type: ElemFile}}, "Chat", "Denny: [file]"},
		{"per-locale override", "", custom, "zh-Hans", all[:1], "新消息", "Denny: [照片]"},
		{"app-locale override does not leak into others", "", custom, "zh", []Elem{{Type: ElemFile}}, "新消息", "Denny: [文件]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := renderJob()
			j.Elems = tc.elems
			n := mustRender(t, j, RenderInput{Vendor: vendors.FCM, App: tc.app.ForLocale(tc.userLocale)})
			if n.Title != tc.wantTitle || n.Body != tc.wantBody {
				t.Errorf("seed %s: got %q / %q, want %q / %q", tc.seed, n.Title, n.Body, tc.wantTitle, tc.wantBody)
			}
		})
	}
	// A caller that passes unresolved settings still gets full text.
	n, err := Render(renderJob(), RenderInput{Vendor: vendors.Meizu})
	if err != nil || n.Title != "New message" {
		t.Errorf("Render with zero AppSettings: %+v, %v", n, err)
	}
}

// withinLimits checks n against every limit of v, returning what is wrong.
func withinLimits(n *vendors.Notification, v vendors.Vendor) string {
	l := vendors.LimitsOf(v)
	switch {
	case !utf8.ValidString(n.Title) || !utf8.ValidString(n.Body):
		return "invalid UTF-8"
	case vendors.Truncate(n.Title, l.Title, l.Wide) != n.Title:
		return "title over the character limit"
	case vendors.Truncate(n.Body, l.Body, l.Wide) != n.Body:
		return "body over the character limit"
	case len(n.Ext) > MaxExtBytes:
		return "ext over 4096 bytes"
	case l.Payload > 0 && len(n.Title)+len(n.Body)+len(n.Ext)+len(n.Sound) > l.Payload:
		return "text and ext over the payload limit"
	case n.Body == "":
		return "empty body"
	}
	return ""
}

func TestRenderTruncation(t *testing.T) {
	longZh := strings.Repeat("中文长消息", 2000) // 10 000 characters, 30 000 bytes
	cases := []struct {
		name  string
		edit  func(j *Job)
		check func(t *testing.T, v vendors.Vendor, n *vendors.Notification)
	}{
		{"10 000 Chinese characters", func(j *Job) { j.Elems[0].Text = longZh }, func(t *testing.T, v vendors.Vendor, n *vendors.Notification) {
			if !strings.HasSuffix(n.Body, vendors.Ellipsis) || !strings.HasPrefix(n.Body, "Denny: 中文长消息") {
				t.Errorf("%s: body %q is not the cut original", v, n.Body)
			}
		}},
		{"long title", func(j *Job) { j.OfflinePush.Title = strings.Repeat("标题", 500) }, func(t *testing.T, v vendors.Vendor, n *vendors.Notification) {
			if !strings.HasSuffix(n.Title, vendors.Ellipsis) {
				t.Errorf("%s: title %q not cut", v, n.Title)
			}
		}},
		{"large ext is kept whole, text shrinks", func(j *Job) {
			j.Elems[0].Text = longZh
			j.OfflinePush.Ext = strings.Repeat("e", MaxExt())
		}, func(t *testing.T, v vendors.Vendor, n *vendors.Notification) {
			if len(n.Ext) != MaxExt() {
				t.Errorf("%s: ext cut to %d bytes", v, len(n.Ext))
			}
		}},
		{"invalid UTF-8 from a caller that skipped decoding", func(j *Job) { j.Elems[0].Text = "bad \xff\xfe byte" },
			func(t *testing.T, v vendors.Vendor, n *vendors.Notification) {}},
	}
	for _, tc := range cases {
		for _, v := range vendors.All() {
			j := renderJob()
			tc.edit(j)
			n := mustRender(t, j, RenderInput{Vendor: v})
			if problem := withinLimits(n, v); problem != "" {
				t.Errorf("%s, %s: %s (title %d bytes, body %d bytes)", tc.name, v, problem, len(n.Title), len(n.Body))
			}
			tc.check(t, v, n)
		}
	}
}

func TestRenderExtGuard(t *testing.T) {
	cases := []struct {
		name   string
		ext    string
		vendor vendors.Vendor
		want   string // the FieldError's field, "" for success
	}{
		{"largest ext on a vendor without payload limit", strings.Repeat("x", MaxExt()), vendors.Xiaomi, ""},
		{"largest ext on a payload-limited vendor", strings.Repeat("x", MaxExt()), vendors.APNs, ""},
		{"over the one ext promise", strings.Repeat("x", MaxExt()+1), vendors.Xiaomi, "offline_push.ext"},
		{"over the promise once escaped", strings.Repeat(`"`, MaxExt()/2+1), vendors.APNs, "offline_push.ext"},
		{"over the contract's limit", strings.Repeat("x", MaxExtBytes+1), vendors.Xiaomi, "offline_push.ext"},
		{"invalid UTF-8", "\xff", vendors.FCM, "offline_push.ext"},
	}
	for _, tc := range cases {
		j := renderJob()
		j.OfflinePush.Ext = tc.ext
		_, err := Render(j, RenderInput{Vendor: tc.vendor})
		var fe *FieldError
		if tc.want == "" && err != nil || tc.want != "" && (!errors.As(err, &fe) || fe.Field != tc.want) {
			t.Errorf("%s: err = %v, want field %q", tc.name, err, tc.want)
		}
	}
	j := renderJob()
	j.OfflinePush.IOSSound = strings.Repeat("s", MaxOptionBytes+1)
	var fe *FieldError
	if _, err := Render(j, RenderInput{Vendor: vendors.APNs}); !errors.As(err, &fe) || fe.Field != "offline_push.ios_sound" {
		t.Errorf("oversized ios_sound: %v", err)
	}
	j = renderJob()
	j.Elems = []Elem{{Type: ElemCustom}}
	if _, err := Render(j, RenderInput{Vendor: vendors.APNs}); !errors.Is(err, ErrEmptyContent) {
		t.Errorf("custom without desc: %v, want ErrEmptyContent", err)
	}
}

func TestRenderSound(t *testing.T) {
	cases := []struct {
		name       string
		seed       string
		vendor     vendors.Vendor
		group      bool
		iosSound   string
		c2c, grp   string
		wantSound  string
		wantSilent bool
	}{
		{"message sound", "L9262", vendors.APNs, false, "01.caf", "", "", "01.caf", false},
		{"user's one-to-one sound", "L27310", vendors.APNs, false, "", "00.caf", "01.caf", "00.caf", false},
		{"user's group sound", "L27310", vendors.APNs, true, "", "00.caf", "01.caf", "01.caf", false},
		{"message sound beats the user's", "L24192", vendors.APNs, true, "02.caf", "00.caf", "01.caf", "02.caf", false},
		{"system default", "", vendors.APNs, false, "", "", "", "", false},
		{"\"default\" is the system default", "", vendors.APNs, false, "default", "", "", "", false},
		{"silent on iOS", "L27402", vendors.APNs, false, vendors.SoundSilent, "", "", "", true},
		{"user's silent sound", "L24324", vendors.APNs, true, "", "", vendors.SoundSilent, "", true},
		{"silent on Xiaomi too", "L24403", vendors.Xiaomi, false, vendors.SoundSilent, "", "", "", true},
		{"no custom sound on Android", "L9119", vendors.Huawei, false, "01.caf", "", "", "", false},
		{"no custom sound on FCM", "L25643", vendors.FCM, true, "", "", "01.caf", "", false},
	}
	for _, tc := range cases {
		j := renderJob()
		if tc.group {
			j.Group = hiking(GroupWork)
		}
		j.OfflinePush.IOSSound = tc.iosSound
		n := mustRender(t, j, RenderInput{Vendor: tc.vendor, C2CSound: tc.c2c, GroupSound: tc.grp})
		if n.Sound != tc.wantSound || n.Silent != tc.wantSilent {
			t.Errorf("%s (seed %s): sound %q silent %v, want %q %v", tc.name, tc.seed, n.Sound, n.Silent, tc.wantSound, tc.wantSilent)
		}
	}
}

func TestRenderOptions(t *testing.T) {
	one := 1
	a := AndroidPush{OPPOChannelID: "oppo", XiaomiChannelID: "mi", HuaweiChannelID: "hw", FCMChannelID: "fcm",
		HuaweiCategory: "IM", HuaweiImportance: "NORMAL", VivoClassification: &one, VivoCategory: "IM"}
	cases := []struct {
		vendor vendors.Vendor
		want   vendors.AndroidOptions
	}{
		{vendors.OPPO, vendors.AndroidOptions{ChannelID: "oppo"}},
		{vendors.Xiaomi, vendors.AndroidOptions{ChannelID: "mi"}},
		{vendors.Huawei, vendors.AndroidOptions{ChannelID: "hw", Category: "IM", Importance: "NORMAL"}},
		{vendors.FCM, vendors.AndroidOptions{ChannelID: "fcm"}},
		{vendors.Vivo, vendors.AndroidOptions{Category: "IM", Classification: &one}},
		{vendors.Honor, vendors.AndroidOptions{}},
		{vendors.Meizu, vendors.AndroidOptions{}},
		{vendors.APNs, vendors.AndroidOptions{}},
	}
	for _, tc := range cases {
		j := renderJob()
		j.OfflinePush.Android = a
		j.OfflinePush.Ext = `{"page":"chat"}`
		n := mustRender(t, j, RenderInput{Vendor: tc.vendor})
		if d := cmp.Diff(tc.want, n.Android); d != "" {
			t.Errorf("%s options (-want +got):\n%s", tc.vendor, d)
		}
		if n.ID != "c2c-8f1e" || !n.ExpireAt.Equal(*j.ExpireAt) || n.Ext != `{"page":"chat"}` || n.Badge != nil {
			t.Errorf("%s: id %q, expiry %v, ext %q, badge %v", tc.vendor, n.ID, n.ExpireAt, n.Ext, n.Badge)
		}
	}
}

// FuzzRender: any job renders, for every vendor, to a notification within
// all of that vendor's limits, or fails with a clear error; never a panic.
func FuzzRender(f *testing.F) {
	f.Add("Denny", "", "", "See you at 8", "", "", "", uint8(0), false)
	f.Add("", "Captain", "Hiking", strings.Repeat("中", 5000), "标题", "", "01.caf", uint8(3), true)
	f.Add("D", "", "", "", "", strings.Repeat("{", 4000), vendors.SoundSilent, uint8(8), false)
	f.Add("\xff", "\x00", "(", "a\u200bb", "\n", "desc", "default", uint8(255), true)
	types := []string{ElemText, ElemImage, ElemSound, ElemVideo, ElemFile, ElemLocation, ElemFace, ElemMerger, ElemCustom}
	f.Fuzz(func(t *testing.T, nick, card, group, text, title, ext, sound string, kind uint8, isGroup bool) {
		j := renderJob()
		j.Sender.Nickname, j.Sender.NameCard = nick, card
		if isGroup {
			j.Group = &Group{ID: "g", Name: group, Type: GroupWork}
		}
		j.Elems = []Elem{{Type: ElemText, Text: text}, {Type: types[int(kind)%len(types)], Desc: title}}
		j.OfflinePush.Title, j.OfflinePush.Ext, j.OfflinePush.IOSSound = title, ext, sound
		if kind%5 == 0 {
			j.OfflinePush.Desc = text
		}
		for _, v := range vendors.All() {
			n, err := Render(j, RenderInput{Vendor: v, App: DefaultAppSettings().ForLocale(group), C2CSound: card, GroupSound: nick})
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) && !errors.Is(err, ErrEmptyContent) {
					t.Fatalf("%s: unclear error %v", v, err)
				}
				continue
			}
			if problem := withinLimits(n, v); problem != "" {
				t.Fatalf("%s: %s: %+v", v, problem, n)
			}
			if n.Ext != ext {
				t.Fatalf("%s: ext changed", v)
			}
		}
	})
}

// TestAndroidOptionKeys: every job option a vendor's descriptor names
// reaches that vendor's options, so a key spelt differently in a
// descriptor and in androidOptions cannot drop the option silently.
func TestAndroidOptionKeys(t *testing.T) {
	one, two := 1, 2
	a := AndroidPush{OPPOChannelID: "c", XiaomiChannelID: "c", HuaweiChannelID: "c", FCMChannelID: "c",
		HuaweiCategory: "k", HuaweiImportance: "i", VivoCategory: "k", OPPOCategory: "k", HonorImportance: "i",
		Sound: "ring.mp3", OPPOPrivateTemplateID: "t", FCMPriority: "p", VivoClassification: &one,
		MeizuNoticeMsgType: &two, PushStyle: 1, OPPONotifyLevel: 2, VivoNotifyType: 3}
	for _, v := range vendors.All() {
		d, _ := vendors.Lookup(v)
		k := d.Options
		o := androidOptions(v, a)
		for _, c := range []struct {
			key string
			set bool
		}{
			{k.ChannelID, o.ChannelID != ""}, {k.Category, o.Category != ""}, {k.Importance, o.Importance != ""},
			{k.Classification, o.Classification != nil}, {k.Sound, o.Sound == "ring"}, {k.PushStyle, o.BigText},
			{k.NotifyLevel, o.NotifyLevel != 0}, {k.Template, o.TemplateID != ""}, {k.NotifyType, o.NotifyType != 0},
			{k.NoticeMsgType, o.NoticeMsgType != nil}, {k.Priority, o.Priority != ""},
		} {
			if c.key != "" && !c.set {
				t.Errorf("%s: descriptor option %q does not reach the vendor's options", v, c.key)
			}
		}
	}
}
