package dispatcher

import (
	"errors"
	"strings"
	"testing"
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
		{"apns image http", `{"apns":{"image":"http://cdn.example.com/i.jpg"}}`, "offline_push.apns.image"},
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
