package dispatcher

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pushd/pushd/vendors"
)

// fieldsJob wraps an offline_push object into an otherwise valid job.
func fieldsJob(offlinePush string) string {
	return `{"app_id":"1400000001","msg_id":"m1","recipients":["vinson"],` +
		`"elems":[{"type":"text","text":"hello"}],"offline_push":` + offlinePush + `}`
}

// Every OfflinePushInfo field is validated as its vendor documents it; a
// refusal names the field.
func TestDecodeOfflinePushFields(t *testing.T) {
	long := strings.Repeat("a", MaxOptionBytes+1)
	cases := []struct {
		name, push, field string // field "" = accepted
	}{
		{"all fields valid", `{"title":"T","desc":"D","badge_add":3,"badge_set":12,
			"languages":[{"language":"en","title":"Hi"},{"language":"zh-hant","desc":"你好"},{"language":"pt_BR","desc":"Olá"}],
			"android":{"sound":"shake","push_style":1,"oppo_category":"IM","oppo_notify_level":16,
			"oppo_private_template_id":"tpl","oppo_private_title_parameters":{"city":"Beijing"},
			"oppo_private_content_parameters":{"n":"3"},"vivo_notify_type":4,"honor_importance":"NORMAL",
			"fcm_priority":"high","meizu_notice_msg_type":1,"huawei_image":"https://cdn.example.com/a.png",
			"honor_image":"https://cdn.example.com/b.png","fcm_image":"https://cdn.example.com/c.png"},
			"apns":{"title":"AT","subtitle":"S","image":"https://cdn.example.com/i.jpg","mutable_content":true,
			"interruption_level":"time-sensitive","content_available":true},
			"harmony":{"category":"IM","image":"https://cdn.example.com/h.png","sound":"ring.mp3","sound_duration":60}}`, ""},
		{"badge_set 0 clears", `{"badge_set":0}`, ""},
		{"badge_set 999", `{"badge_set":999}`, ""},
		{"badge_add 99", `{"badge_add":99}`, ""},
		{"meizu 0", `{"android":{"meizu_notice_msg_type":0}}`, ""},
		{"oppo level 1", `{"android":{"oppo_category":"IM","oppo_notify_level":1}}`, ""},
		{"sound with extension", `{"android":{"sound":"android.mp3"}}`, ""},
		{"interruption passive", `{"apns":{"interruption_level":"passive"}}`, ""},
		{"interruption critical", `{"apns":{"interruption_level":"critical"}}`, ""},

		{"badge_add 0", `{"badge_add":0}`, "offline_push.badge_add"},
		{"badge_add 100", `{"badge_add":100}`, "offline_push.badge_add"},
		{"badge_set negative", `{"badge_set":-1}`, "offline_push.badge_set"},
		{"badge_set 1000", `{"badge_set":1000}`, "offline_push.badge_set"},
		{"language tag invalid", `{"languages":[{"language":"english!","title":"x"}]}`, "offline_push.languages[0].language"},
		{"language tag empty", `{"languages":[{"language":"","title":"x"}]}`, "offline_push.languages[0].language"},
		{"language tag empty subtag", `{"languages":[{"language":"en--US","title":"x"}]}`, "offline_push.languages[0].language"},
		{"language duplicate", `{"languages":[{"language":"pt-BR","title":"x"},{"language":"pt_br","title":"y"}]}`, "offline_push.languages[1].language"},
		{"language without text", `{"languages":[{"language":"en","title":" "}]}`, "offline_push.languages[0]"},
		{"push_style 2", `{"android":{"push_style":2}}`, "offline_push.android.push_style"},
		{"oppo level 3", `{"android":{"oppo_category":"IM","oppo_notify_level":3}}`, "offline_push.android.oppo_notify_level"},
		{"oppo level without category", `{"android":{"oppo_notify_level":2}}`, "offline_push.android.oppo_notify_level"},
		{"vivo notify type 5", `{"android":{"vivo_notify_type":5}}`, "offline_push.android.vivo_notify_type"},
		{"honor importance HIGH", `{"android":{"honor_importance":"HIGH"}}`, "offline_push.android.honor_importance"},
		{"fcm priority urgent", `{"android":{"fcm_priority":"urgent"}}`, "offline_push.android.fcm_priority"},
		{"fcm priority case", `{"android":{"fcm_priority":"HIGH"}}`, "offline_push.android.fcm_priority"},
		{"meizu 2", `{"android":{"meizu_notice_msg_type":2}}`, "offline_push.android.meizu_notice_msg_type"},
		{"sound path", `{"android":{"sound":"raw/shake"}}`, "offline_push.android.sound"},
		{"huawei image http", `{"android":{"huawei_image":"http://cdn.example.com/a.png"}}`, "offline_push.android.huawei_image"},
		{"honor image relative", `{"android":{"honor_image":"/a.png"}}`, "offline_push.android.honor_image"},
		{"fcm image no host", `{"android":{"fcm_image":"https:///a.png"}}`, "offline_push.android.fcm_image"},
		{"oppo category long", `{"android":{"oppo_category":"` + long + `"}}`, "offline_push.android.oppo_category"},
		{"oppo param empty name", `{"android":{"oppo_private_title_parameters":{"":"x"}}}`, "offline_push.android.oppo_private_title_parameters."},
		{"interruption unknown", `{"apns":{"interruption_level":"urgent"}}`, "offline_push.apns.interruption_level"},
		{"apns image as Tencent's examples send it", `{"apns":{"image":"www.image.com"}}`, ""},
		{"apns image not UTF-8", "{\"apns\":{\"image\":\"\xff\"}}", "offline_push.apns.image"},
		{"apns subtitle long", `{"apns":{"subtitle":"` + strings.Repeat("s", maxAPNsText+1) + `"}}`, "offline_push.apns.subtitle"},
		{"harmony category unknown", `{"harmony":{"category":"CHAT"}}`, "offline_push.harmony.category"},
		{"harmony image http", `{"harmony":{"image":"http://x.example.com/h.png"}}`, "offline_push.harmony.image"},
		{"harmony duration 61", `{"harmony":{"sound":"r.mp3","sound_duration":61}}`, "offline_push.harmony.sound_duration"},
		{"harmony duration negative", `{"harmony":{"sound":"r.mp3","sound_duration":-1}}`, "offline_push.harmony.sound_duration"},
		{"harmony duration without sound", `{"harmony":{"sound_duration":5}}`, "offline_push.harmony.sound_duration"},
		{"wrong type badge_add", `{"badge_add":"3"}`, "offline_push.badge_add"},
		{"unknown android key", `{"android":{"oppo_level":1}}`, "oppo_level"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeJob([]byte(fieldsJob(c.push)), now)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused a valid job: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError on %s", err, c.field)
			}
			if fe.Field != c.field {
				t.Errorf("field = %q (%s), want %q", fe.Field, fe.Reason, c.field)
			}
		})
	}
}

func TestPickLanguage(t *testing.T) {
	langs := []LocalizedPush{{Language: "en", Title: "en"}, {Language: "zh-hant", Title: "hant"},
		{Language: "zh", Title: "zh"}, {Language: "pt-BR", Title: "pt-BR"}, {Language: "pt-PT", Title: "pt-PT"}}
	cases := []struct{ device, want string }{
		{"en", "en"}, {"en-GB", "en"}, {"en_US", "en"},
		{"zh-TW", "hant"}, {"zh-Hant-HK", "hant"}, {"zh-HK", "hant"},
		{"zh-CN", "zh"}, {"zh-Hans", "zh"}, {"zh", "zh"},
		{"pt-PT", "pt-PT"}, {"pt_br", "pt-BR"}, {"pt", "pt-BR"},
		{"fr-FR", ""}, {"", ""}, {"??", ""},
	}
	for _, c := range cases {
		l, ok := PickLanguage(langs, c.device)
		if got := l.Title; got != c.want || ok != (c.want != "") {
			t.Errorf("PickLanguage(%q) = %q, %v; want %q", c.device, got, ok, c.want)
		}
	}
	// Traditional Chinese readers are not given Simplified text.
	if _, ok := PickLanguage([]LocalizedPush{{Language: "zh", Title: "zh"}}, "zh-TW"); ok {
		t.Error("zh-TW picked the Simplified entry")
	}
}

// fieldsPush sets every OfflinePushInfo option, each vendor's distinct.
func fieldsPush() OfflinePush {
	zero, one := 0, 1
	return OfflinePush{Title: "Title", Desc: "Desc",
		Android: AndroidPush{Sound: "shake.mp3", PushStyle: 1, OPPOChannelID: "oppo", OPPOCategory: "IM",
			OPPONotifyLevel: 2, OPPOPrivateTemplateID: "tpl", OPPOPrivateTitleParameters: map[string]string{"a": "b"},
			OPPOPrivateContentParams: map[string]string{"c": "d"}, XiaomiChannelID: "mi", HuaweiChannelID: "hw",
			HuaweiCategory: "IM", HuaweiImportance: "NORMAL", HuaweiImage: "https://x.example/hw.png",
			HonorImportance: "LOW", HonorImage: "https://x.example/honor.png", VivoClassification: &one,
			VivoCategory: "IM", VivoNotifyType: 3, MeizuNoticeMsgType: &zero, FCMChannelID: "fcm",
			FCMImage: "https://x.example/fcm.png", FCMPriority: "normal"},
		APNs: APNsPush{Title: "APNs title", Subtitle: "Sub", Image: "https://x.example/apns.jpg",
			InterruptionLevel: "passive", ContentAvailable: true},
	}
}

// Each vendor's notification carries exactly the options its descriptor
// maps: the job field reaches the vendor that has the feature and no other.
func TestRenderOfflinePushFields(t *testing.T) {
	zero, one := 0, 1
	tpl := func(o vendors.AndroidOptions) vendors.AndroidOptions {
		o.TemplateID, o.TitleParams, o.ContentParams = "tpl", map[string]string{"a": "b"}, map[string]string{"c": "d"}
		return o
	}
	cases := []struct {
		vendor  vendors.Vendor
		android vendors.AndroidOptions
		alert   vendors.Notification // Title, Subtitle, Image, MutableContent, InterruptionLevel, ContentAvailable
	}{
		{vendors.APNs, vendors.AndroidOptions{}, vendors.Notification{Title: "APNs title", Subtitle: "Sub",
			Image: "https://x.example/apns.jpg", MutableContent: true, InterruptionLevel: "passive", ContentAvailable: true}},
		{vendors.FCM, vendors.AndroidOptions{ChannelID: "fcm", Sound: "shake", Priority: "normal"},
			vendors.Notification{Title: "Title", Image: "https://x.example/fcm.png"}},
		{vendors.Xiaomi, vendors.AndroidOptions{ChannelID: "mi", Sound: "shake"}, vendors.Notification{Title: "Title"}},
		{vendors.Huawei, vendors.AndroidOptions{ChannelID: "hw", Category: "IM", Importance: "NORMAL", Sound: "shake", BigText: true},
			vendors.Notification{Title: "Title", Image: "https://x.example/hw.png"}},
		{vendors.Honor, vendors.AndroidOptions{Importance: "LOW", BigText: true},
			vendors.Notification{Title: "Title", Image: "https://x.example/honor.png"}},
		{vendors.OPPO, tpl(vendors.AndroidOptions{ChannelID: "oppo", Category: "IM", BigText: true, NotifyLevel: 2}),
			vendors.Notification{Title: "Title"}},
		{vendors.Vivo, vendors.AndroidOptions{Category: "IM", Classification: &one, NotifyType: 3}, vendors.Notification{Title: "Title"}},
		{vendors.Meizu, vendors.AndroidOptions{NoticeMsgType: &zero}, vendors.Notification{Title: "Title"}},
	}
	for _, tc := range cases {
		j := renderJob()
		j.OfflinePush = fieldsPush()
		n := mustRender(t, j, RenderInput{Vendor: tc.vendor})
		if d := cmp.Diff(tc.android, n.Android); d != "" {
			t.Errorf("%s android options (-want +got):\n%s", tc.vendor, d)
		}
		got := vendors.Notification{Title: n.Title, Subtitle: n.Subtitle, Image: n.Image, MutableContent: n.MutableContent,
			InterruptionLevel: n.InterruptionLevel, ContentAvailable: n.ContentAvailable}
		if d := cmp.Diff(tc.alert, got); d != "" {
			t.Errorf("%s options (-want +got):\n%s", tc.vendor, d)
		}
		if n.Body != "Desc" || n.Badge != nil || n.BadgeAdd != nil {
			t.Errorf("%s: body %q, badge %v, badge_add %v", tc.vendor, n.Body, n.Badge, n.BadgeAdd)
		}
	}
}

// offline_push.languages picks the device's language, entry fields
// falling back to the top-level title and desc.
func TestRenderLanguages(t *testing.T) {
	langs := []LocalizedPush{{Language: "en", Title: "New message", Desc: "See you"},
		{Language: "zh-hant", Desc: "晚上見"}, {Language: "zh", Title: "新消息", Desc: "晚上见"}}
	cases := []struct {
		name, locale, appLocale string
		vendor                  vendors.Vendor
		title, body             string
	}{
		{"device en-GB", "en-GB", "", vendors.Huawei, "New message", "See you"},
		{"device zh-TW keeps the top title", "zh-TW", "", vendors.Huawei, "Top", "晚上見"},
		{"device zh-CN", "zh-CN", "", vendors.Huawei, "新消息", "晚上见"},
		{"no entry for fr", "fr", "", vendors.Huawei, "Top", "Top desc"},
		{"app locale when the device's is unknown", "", "zh-Hans", vendors.Huawei, "新消息", "晚上见"},
		{"entry title beats apns.title", "en", "", vendors.APNs, "New message", "See you"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := renderJob()
			j.OfflinePush.Title, j.OfflinePush.Desc, j.OfflinePush.Languages = "Top", "Top desc", langs
			j.OfflinePush.APNs.Title = "APNs"
			app := DefaultAppSettings().ForLocale("")
			if c.appLocale != "" {
				app = DefaultAppSettings().ForLocale(c.appLocale)
			}
			n := mustRender(t, j, RenderInput{Vendor: c.vendor, App: app, Locale: c.locale})
			if n.Title != c.title || n.Body != c.body {
				t.Errorf("title %q body %q, want %q %q", n.Title, n.Body, c.title, c.body)
			}
		})
	}
}

// FuzzPickLanguage: any tags pick without panicking, an entry is picked
// only for a valid device tag, and a device tag equal to an entry's picks
// that entry.
func FuzzPickLanguage(f *testing.F) {
	f.Add("en", "en-GB", "zh-TW")
	f.Add("zh-hant", "zh", "zh_Hant_HK")
	f.Add("", "-", "x-y-z")
	f.Fuzz(func(t *testing.T, a, b, device string) {
		langs := []LocalizedPush{{Language: a, Title: "a"}, {Language: b, Title: "b"}}
		l, ok := PickLanguage(langs, device)
		if ok && !ValidLanguageTag(device) {
			t.Fatalf("picked %q for the invalid tag %q", l.Language, device)
		}
		if ValidLanguageTag(device) && languageKey(a) == languageKey(device) && (!ok || languageKey(l.Language) != languageKey(device)) {
			t.Fatalf("device %q, entries %q %q: picked %q, %v", device, a, b, l.Language, ok)
		}
	})
}
