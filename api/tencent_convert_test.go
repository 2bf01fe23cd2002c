package api

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pushd/pushd/dispatcher"
)

var timNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// convertRoute runs a route's conversion and validation, as the handler
// does before enqueueing.
func convertRoute(t *testing.T, rt timRoute, body string) (*dispatcher.Job, *timConversion, *timError) {
	t.Helper()
	conv, err := rt.convert(appA, []byte(body), timNow)
	if err != nil {
		return nil, nil, err
	}
	if conv.job == nil {
		return nil, conv, nil
	}
	job, _, err := conv.validate(timNow)
	return job, conv, err
}

func ptr[T any](v T) *T { return &v }

// Tencent's documented bodies become the jobs their fields describe.
func TestTencentDocumentedBodiesConvert(t *testing.T) {
	docPush := dispatcher.OfflinePush{Desc: "Content to push offline", Ext: "Passthrough content", IOSSound: "apns.mp3",
		IgnoreIOSBadge: true, Android: dispatcher.AndroidPush{Sound: "android.mp3"},
		APNs: dispatcher.APNsPush{Title: "apns title", Subtitle: "apns subtitle", Image: "www.image.com"}}
	cases := []struct {
		name string
		rt   timRoute
		body string
		want dispatcher.Job
	}{
		{"sendmsg", timSendMsgRoute, docSendMsg, dispatcher.Job{
			Sender: dispatcher.From{UserID: "lumotuwe1"}, Recipients: []string{"lumotuwe2"},
			Elems:       []dispatcher.Elem{{Type: dispatcher.ElemText, Text: "hi, beauty"}},
			OfflinePush: docPush, ExpireAt: ptr(timNow.Add(time.Hour))}},
		{"batchsendmsg", timBatchSendRoute, docBatchSendMsg, dispatcher.Job{
			Sender: dispatcher.From{UserID: "dave"}, Recipients: []string{"bonnie", "rong"},
			Elems:       []dispatcher.Elem{{Type: dispatcher.ElemText, Text: "hi, beauty"}},
			OfflinePush: docPush, ExpireAt: ptr(timNow.Add(dispatcher.DefaultExpiry))}},
		{"send_group_msg", timGroupRoute, docGroupMsg, dispatcher.Job{
			Recipients: []string{"peter", "leckie"}, Group: &dispatcher.Group{ID: "@TGS#2C5SZEAEF", Type: dispatcher.GroupPublic},
			Elems:       []dispatcher.Elem{{Type: dispatcher.ElemText, Text: "red packet"}, {Type: dispatcher.ElemFace}},
			OfflinePush: docPush, ExpireAt: ptr(timNow.Add(dispatcher.DefaultExpiry))}},
		{"group @ message", timGroupRoute, docGroupAtMsg, dispatcher.Job{
			Recipients: []string{"tommy"}, Group: &dispatcher.Group{ID: "@TGS#2C5SZEAEF", Type: dispatcher.GroupPublic},
			Elems:    []dispatcher.Elem{{Type: dispatcher.ElemText, Text: "red @all @tommy @brennanli packet"}},
			Mentions: []string{dispatcher.MentionAll, "tommy", "brennanli"}, ExpireAt: ptr(timNow.Add(dispatcher.DefaultExpiry))}},
		{"custom element without OfflinePushInfo", timSendMsgRoute, docCustomMsg, dispatcher.Job{
			Sender: dispatcher.From{UserID: "leckie"}, Recipients: []string{"peter"},
			Elems:       []dispatcher.Elem{{Type: dispatcher.ElemCustom, Desc: "notification"}},
			OfflinePush: dispatcher.OfflinePush{Ext: "url", IOSSound: "dingdong.aiff"}, ExpireAt: ptr(timNow.Add(dispatcher.DefaultExpiry))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job, _, err := convertRoute(t, c.rt, c.body)
			if err != nil {
				t.Fatalf("refused: %d %s", err.code(c.rt.codes), err.info)
			}
			if !strings.HasPrefix(job.MsgID, "tim-") || job.AppID != appA {
				t.Errorf("app %q msg_id %q", job.AppID, job.MsgID)
			}
			c.want.AppID, c.want.MsgID = job.AppID, job.MsgID
			if d := cmp.Diff(&c.want, job, cmpopts.IgnoreUnexported(dispatcher.Job{}), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("job (-want +got):\n%s", d)
			}
		})
	}
}

// With OfflinePushInfo present, a custom element's Ext and Sound are not
// the push's (S5); its Desc stays the element's text, and Data is never
// carried.
func TestTencentCustomElementUnderOfflinePushInfo(t *testing.T) {
	body := strings.Replace(docCustomMsg, `"MsgBody"`, `"OfflinePushInfo": {"Title": "T"}, "MsgBody"`, 1)
	job, _, err := convertRoute(t, timSendMsgRoute, body)
	if err != nil {
		t.Fatal(err.info)
	}
	if job.OfflinePush.Ext != "" || job.OfflinePush.IOSSound != "" || job.OfflinePush.Title != "T" || job.Elems[0].Desc != "notification" {
		t.Fatalf("offline_push %+v elems %+v", job.OfflinePush, job.Elems)
	}
	b, _ := json.Marshal(job)
	if strings.Contains(string(b), "message") {
		t.Fatalf("the custom element's Data reached the job: %s", b)
	}
}

// Every OfflinePushInfo field lands on its offline_push field.
func TestTencentOfflinePushInfoFieldByField(t *testing.T) {
	body := `{"To_Account": "u1", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}],
	"SendMsgControl": ["NoUnread", "NoLastMsg"],
	"Pushd": {"Nickname": "Lumo"},
	"OfflinePushInfo": {"PushFlag": 1, "Title": "t", "Desc": "d", "Ext": "{\"k\":1}", "BadgeAddNum": 2, "BadgeSetNum": 5,
	  "MultiLanguageContent": [{"Language": "en", "Title": "en t", "Desc": "en d"}],
	  "AndroidInfo": {"Sound": "shake", "PushStyle": 1, "XiaoMiChannelID": "xm", "OPPOChannelID": "op", "OPPOCategory": "IM",
	    "OPPONotifyLevel": 2, "OPPOPrivateMsgTemplateId": "tpl", "OPPOPrivateTitleParameters": {"a": "1"},
	    "OPPOPrivateContentParameters": {"b": "2"}, "VIVOClassification": 1, "VIVOCategory": "IM", "VIVONotifyType": "4",
	    "HuaWeiChannelID": "hw", "HuaWeiImportance": "NORMAL", "HuaWeiCategory": "IM", "HuaWeiImage": "https://x/h.png",
	    "HonorImportance": "NORMAL", "HonorImage": "https://x/o.png", "GoogleChannelID": "g", "GoogleImage": "https://x/g.png",
	    "GooglePriority": "high", "MeiZuNoticeMsgType": 1, "ExtAsHuaweiIntentParam": 0},
	  "ApnsInfo": {"BadgeMode": 0, "Title": "at", "SubTitle": "as", "Image": "https://x/a.png", "MutableContent": 1,
	    "Sound": "s.caf", "InterruptionLevel": "time-sensitive", "ContentAvailable": 1, "IsVoipPush": 1},
	  "HarmonyInfo": {"Title": "ht", "Category": "IM", "Image": "https://x/m.png", "Sound": "r.mp3", "SoundDuration": 10}}}`
	conv, err := convertSendMsg(appA, []byte(body), timNow)
	if err != nil {
		t.Fatal(err.info)
	}
	want := dispatcher.OfflinePush{Disable: true, Title: "t", Desc: "d", Ext: `{"k":1}`, BadgeAdd: ptr(2), BadgeSet: ptr(5),
		Languages: []dispatcher.LocalizedPush{{Language: "en", Title: "en t", Desc: "en d"}},
		IOSSound:  "s.caf", VoIP: true,
		Android: dispatcher.AndroidPush{Sound: "shake", PushStyle: 1, XiaomiChannelID: "xm", OPPOChannelID: "op", OPPOCategory: "IM",
			OPPONotifyLevel: 2, OPPOPrivateTemplateID: "tpl", OPPOPrivateTitleParameters: map[string]string{"a": "1"},
			OPPOPrivateContentParams: map[string]string{"b": "2"}, VivoClassification: ptr(1), VivoCategory: "IM", VivoNotifyType: 4,
			HuaweiChannelID: "hw", HuaweiImportance: "NORMAL", HuaweiCategory: "IM", HuaweiImage: "https://x/h.png",
			HonorImportance: "NORMAL", HonorImage: "https://x/o.png", FCMChannelID: "g", FCMImage: "https://x/g.png",
			FCMPriority: "high", MeizuNoticeMsgType: ptr(1)},
		APNs: dispatcher.APNsPush{Title: "at", Subtitle: "as", Image: "https://x/a.png", MutableContent: true,
			InterruptionLevel: "time-sensitive", ContentAvailable: true},
		Harmony: dispatcher.HarmonyPush{Title: "ht", Category: "IM", Image: "https://x/m.png", Sound: "r.mp3", SoundDuration: 10}}
	if d := cmp.Diff(want, conv.job.OfflinePush); d != "" {
		t.Errorf("offline_push (-want +got):\n%s", d)
	}
	if !conv.job.ExcludedFromUnread || conv.job.Sender.Nickname != "Lumo" {
		t.Errorf("excluded_from_unread %v, sender %+v", conv.job.ExcludedFromUnread, conv.job.Sender)
	}
}

// MsgLifeTime: 0 is online only, a value is the expiry, more than 7 days
// is capped (S9).
func TestTencentMsgLifeTime(t *testing.T) {
	cases := []struct {
		life       string
		online     bool
		expiresAft time.Duration
	}{
		{`0`, true, dispatcher.DefaultExpiry},
		{`60`, false, time.Minute},
		{`604800`, false, 7 * 24 * time.Hour},
		{`9999999`, false, 7 * 24 * time.Hour},
	}
	for _, c := range cases {
		body := `{"To_Account": "u1", "MsgRandom": 1, "MsgLifeTime": ` + c.life + `, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}`
		job, _, err := convertRoute(t, timSendMsgRoute, body)
		if err != nil {
			t.Fatalf("MsgLifeTime %s: %s", c.life, err.info)
		}
		if job.OnlineUserOnly != c.online || !job.ExpireAt.Equal(timNow.Add(c.expiresAft)) {
			t.Errorf("MsgLifeTime %s: online_user_only %v expire_at %v", c.life, job.OnlineUserOnly, job.ExpireAt)
		}
	}
}

// The idempotency key: the same body is the same msg_id, however it is
// spaced; another random number, sequence, sender, recipient or content
// is another message.
func TestTencentMsgIDIsTheBody(t *testing.T) {
	id := func(body string) string {
		t.Helper()
		conv, err := convertSendMsg(appA, []byte(body), timNow)
		if err != nil {
			t.Fatal(err.info)
		}
		return conv.job.MsgID
	}
	base := id(docSendMsg)
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(docSendMsg)); err != nil {
		t.Fatal(err)
	}
	if got := id(compact.String()); got != base {
		t.Errorf("compacted body: %s, want %s", got, base)
	}
	if got := id(strings.Replace(docSendMsg, `"CloudCustomData": "your cloud custom data"`, `"CloudCustomData": "other"`, 1)); got != base {
		t.Errorf("an ignored field changed the msg_id: %s", got)
	}
	for _, change := range [][2]string{
		{`"MsgRandom": 1287657`, `"MsgRandom": 1287658`},
		{`"MsgSeq": 93847636`, `"MsgSeq": 93847637`},
		{`"From_Account": "lumotuwe1"`, `"From_Account": "lumotuwe3"`},
		{`"To_Account": "lumotuwe2"`, `"To_Account": "lumotuwe3"`},
		{`"Text": "hi, beauty"`, `"Text": "hi"`},
	} {
		if got := id(strings.Replace(docSendMsg, change[0], change[1], 1)); got == base {
			t.Errorf("%s → %s kept msg_id %s", change[0], change[1], got)
		}
	}
}

// A refused body is answered with Tencent's code for it and names the
// Tencent field.
func TestTencentRefusals(t *testing.T) {
	text := `"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]`
	c2c := func(rest string) string { return `{"To_Account": "u1", "MsgRandom": 1, ` + text + rest + `}` }
	group := func(rest string) string {
		return `{"GroupId": "g1", "Random": 1, "To_Account": ["u1"], ` + text + rest + `}`
	}
	cases := []struct {
		name  string
		rt    timRoute
		body  string
		code  int
		field string
	}{
		{"not JSON", timSendMsgRoute, `{"To_Account": `, 90001, "JSON"},
		{"group not JSON", timGroupRoute, `[`, 10011, "JSON"},
		{"unknown field", timSendMsgRoute, c2c(`, "Foo": 1`), 90010, "Foo"},
		{"misspelt push field", timSendMsgRoute, c2c(`, "OfflinePushInfo": {"Titel": "x"}`), 90010, "Titel"},
		{"case-variant push field", timSendMsgRoute, c2c(`, "OfflinePushInfo": {"desc": "x"}`), 90043, "OfflinePushInfo.desc"},
		{"no MsgRandom", timSendMsgRoute, `{"To_Account": "u1", ` + text + `}`, 90005, "MsgRandom"},
		{"MsgRandom not an integer", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": "1", ` + text + `}`, 90005, "MsgRandom"},
		{"MsgRandom above 32 bits", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 4294967296, ` + text + `}`, 90005, "MsgRandom"},
		{"no To_Account", timSendMsgRoute, `{"MsgRandom": 1, ` + text + `}`, 90003, "To_Account"},
		{"To_Account a list on sendmsg", timSendMsgRoute, `{"To_Account": ["u1"], "MsgRandom": 1, ` + text + `}`, 90003, "To_Account"},
		{"invalid UserID", timSendMsgRoute, `{"To_Account": " ", "MsgRandom": 1, ` + text + `}`, 20003, "To_Account"},
		{"batch To_Account a string", timBatchSendRoute, c2c(``), 90028, "To_Account"},
		{"batch To_Account empty", timBatchSendRoute, `{"To_Account": [], "MsgRandom": 1, ` + text + `}`, 90029, "To_Account"},
		{"batch of 501", timBatchSendRoute, `{"To_Account": ["u` + strings.Repeat(`", "u`, 500) + `"], "MsgRandom": 1, ` + text + `}`, 90011, "To_Account"},
		{"no MsgBody", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1}`, 90002, "MsgBody"},
		{"MsgBody an object", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1, "MsgBody": {}}`, 90002, "MsgBody"},
		{"unknown MsgType", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMGifElem", "MsgContent": {}}]}`, 90002, "MsgBody[0].MsgType"},
		{"misspelt element key", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "Msgcontent": {"Text": "x"}}]}`, 90002, "Msgcontent"},
		{"unknown element key", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}, "Extra": 1}]}`, 90002, "Extra"},
		{"misspelt element field", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Txt": "x"}}]}`, 90002, "MsgBody[0].MsgContent.Txt"},
		{"two custom elements", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Desc": "a"}}, {"MsgType": "TIMCustomElem", "MsgContent": {"Desc": "b"}}]}`, 90002, "MsgBody[1]"},
		{"negative MsgLifeTime", timSendMsgRoute, c2c(`, "MsgLifeTime": -1`), 90026, "MsgLifeTime"},
		{"MsgLifeTime not an integer", timSendMsgRoute, c2c(`, "MsgLifeTime": "60"`), 90044, "MsgLifeTime"},
		{"PushFlag 2", timSendMsgRoute, c2c(`, "OfflinePushInfo": {"PushFlag": 2}`), 90043, "OfflinePushInfo.PushFlag"},
		{"BadgeMode 3", timSendMsgRoute, c2c(`, "OfflinePushInfo": {"ApnsInfo": {"BadgeMode": 3}}`), 90043, "OfflinePushInfo.ApnsInfo.BadgeMode"},
		{"push template", timSendMsgRoute, c2c(`, "OfflinePushInfo": {"PushTemplateId": "1400000000-1"}`), 90043, "PushTemplateId"},
		{"Live Activity", timSendMsgRoute, c2c(`, "OfflinePushInfo": {"ApnsInfo": {"LiveActivity": {"LaId": "a"}}}`), 90043, "LiveActivity"},
		{"ext too large", timSendMsgRoute, c2c(`, "OfflinePushInfo": {"Ext": "` + strings.Repeat("x", 5000) + `"}`), 90043, "OfflinePushInfo.Ext"},
		{"custom ext too large", timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Desc": "a", "Ext": "` + strings.Repeat("x", 5000) + `"}}]}`, 90002, "MsgBody[0].MsgContent.Ext"},
		{"unknown SendMsgControl", timSendMsgRoute, c2c(`, "SendMsgControl": ["NoPush"]`), 90010, "SendMsgControl[0]"},
		{"name card on sendmsg", timSendMsgRoute, c2c(`, "Pushd": {"NameCard": "x"}`), 90010, "Pushd"},
		{"group without members", timGroupRoute, `{"GroupId": "g1", "Random": 1, ` + text + `}`, 10004, "To_Account"},
		{"group without GroupId", timGroupRoute, `{"Random": 1, "To_Account": ["u1"], ` + text + `}`, 10015, "GroupId"},
		{"group without Random", timGroupRoute, `{"GroupId": "g1", "To_Account": ["u1"], ` + text + `}`, 10004, "Random"},
		{"group MsgRandom", timGroupRoute, group(`, "MsgRandom": 1`), 10004, "MsgRandom"},
		{"unknown group type", timGroupRoute, group(`, "Pushd": {"GroupType": "Club"}`), 10004, "Pushd.GroupType"},
		{"OnlineOnlyFlag 2", timGroupRoute, group(`, "OnlineOnlyFlag": 2`), 10004, "OnlineOnlyFlag"},
		{"@ without account", timGroupRoute, group(`, "GroupAtInfo": [{"GroupAtAllFlag": 0}]`), 10004, "GroupAtInfo[0].GroupAt_Account"},
		{"MsgLifeTime on a group", timGroupRoute, group(`, "MsgLifeTime": 60`), 10004, "MsgLifeTime"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := convertRoute(t, c.rt, c.body)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := err.code(c.rt.codes); got != c.code || !strings.Contains(err.info, c.field) {
				t.Errorf("ErrorCode %d ErrorInfo %q; want %d naming %s", got, err.info, c.code, c.field)
			}
		})
	}
}

// Tencent fields that do not change the push are accepted and ignored.
func TestTencentIgnoredFieldsAccepted(t *testing.T) {
	text := `"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]`
	bodies := []struct {
		rt   timRoute
		body string
	}{
		{timSendMsgRoute, `{"To_Account": "u1", "MsgRandom": 1, ` + text + `, "SyncOtherMachine": 1, "CloudCustomData": "c",
			"ForbidCallbackControl": ["ForbidBeforeSendMsgCallback"], "SupportMessageExtension": 0, "IsNeedReadReceipt": 1,
			"SendMsgControl": ["NoLastMsg", "WithMuteNotifications"]}`},
		{timGroupRoute, `{"GroupId": "g1", "Random": 1, "To_Account": ["u1"], ` + text + `, "MsgPriority": "High", "TopicId": "t",
			"CloudCustomData": "c", "SupportMessageExtension": 1, "ForbidCallbackControl": [], "NeedReadReceipt": 0, "OnlineOnlyFlag": 0}`},
	}
	for _, b := range bodies {
		if _, _, err := convertRoute(t, b.rt, b.body); err != nil {
			t.Errorf("refused: %s", err.info)
		}
	}
	// MsgPriority is not ignored: it is the job's priority.
	job, _, err := convertRoute(t, timGroupRoute, bodies[1].body)
	if err != nil || job.Priority != "high" {
		t.Fatalf("MsgPriority High: priority %q, %v", job.Priority, err)
	}
}

// batchsendmsg refuses invalid recipients one by one and pushes the
// others once each.
func TestTencentBatchRefusesAccountsOneByOne(t *testing.T) {
	body := strings.Replace(docBatchSendMsg, `"rong"`, `"rong", " ", "bonnie"`, 1)
	job, conv, err := convertRoute(t, timBatchSendRoute, body)
	if err != nil {
		t.Fatal(err.info)
	}
	if d := cmp.Diff([]string{"bonnie", "rong"}, job.Recipients); d != "" {
		t.Errorf("recipients (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]TencentAccountError{{ToAccount: " ", ErrorCode: 20003}}, conv.refused); d != "" {
		t.Errorf("refused (-want +got):\n%s", d)
	}
	_, conv, err = convertRoute(t, timBatchSendRoute, strings.Replace(docBatchSendMsg, `"bonnie",`, ``, 1))
	if err != nil || conv.job == nil {
		t.Fatalf("one valid recipient: %v", err)
	}
	_, conv, err = convertRoute(t, timBatchSendRoute, strings.NewReplacer(`"bonnie"`, `"\t"`, `"rong"`, `" "`).Replace(docBatchSendMsg))
	if err != nil || conv.job != nil || len(conv.refused) != 2 {
		t.Fatalf("no valid recipient: job %v refused %v err %v", conv, conv.refused, err)
	}
}

// Job field paths read back in Tencent's names.
func TestTencentFieldNames(t *testing.T) {
	cases := map[string]string{
		"offline_push.android.huawei_image":                       "OfflinePushInfo.AndroidInfo.HuaWeiImage",
		"offline_push.languages[2].title":                         "OfflinePushInfo.MultiLanguageContent[2].Title",
		"offline_push.apns.interruption_level":                    "OfflinePushInfo.ApnsInfo.InterruptionLevel",
		"recipients[7]":                                           "To_Account[7]",
		"elems[1].text":                                           "MsgBody[1].MsgContent.Text",
		"offline_push.android.oppo_private_title_parameters.city": "OfflinePushInfo.AndroidInfo.OPPOPrivateTitleParameters.city",
		"body": "body",
	}
	for in, want := range cases {
		if got := tencentField(in, nil); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
	if got := tencentField("offline_push.ext", map[string]string{"offline_push.ext": "MsgBody[0].MsgContent.Ext"}); got != "MsgBody[0].MsgContent.Ext" {
		t.Errorf("origin ignored: %s", got)
	}
}
