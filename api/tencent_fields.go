package api

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/pushd/pushd/dispatcher"
)

// timFields names, for each field of the job contract a /v4 body fills,
// the Tencent field it came from, so that a job pushd refuses is answered
// in the caller's words. "[]" stands for an index.
var timFields = map[string]string{
	"app_id":            "sdkappid",
	"msg_id":            "MsgRandom",
	"sender.user_id":    "From_Account",
	"sender.nickname":   "Pushd.Nickname",
	"sender.name_card":  "Pushd.NameCard",
	"recipients":        "To_Account",
	"recipients[]":      "To_Account[]",
	"group.id":          "GroupId",
	"group.name":        "Pushd.GroupName",
	"group.type":        "Pushd.GroupType",
	"elems[]":           "MsgBody[]",
	"elems[].type":      "MsgBody[].MsgType",
	"elems[].text":      "MsgBody[].MsgContent.Text",
	"elems[].desc":      "MsgBody[].MsgContent.Desc",
	"mentions[]":        "GroupAtInfo[].GroupAt_Account",
	"expire_at":         "MsgLifeTime",
	"online_user_only":  "MsgLifeTime",
	"offline_push":      "OfflinePushInfo",
	"offline_push.body": "OfflinePushInfo",

	"offline_push.disable":              "OfflinePushInfo.PushFlag",
	"offline_push.title":                "OfflinePushInfo.Title",
	"offline_push.desc":                 "OfflinePushInfo.Desc",
	"offline_push.ext":                  "OfflinePushInfo.Ext",
	"offline_push.badge_add":            "OfflinePushInfo.BadgeAddNum",
	"offline_push.badge_set":            "OfflinePushInfo.BadgeSetNum",
	"offline_push.languages":            "OfflinePushInfo.MultiLanguageContent",
	"offline_push.languages[]":          "OfflinePushInfo.MultiLanguageContent[]",
	"offline_push.languages[].language": "OfflinePushInfo.MultiLanguageContent[].Language",
	"offline_push.languages[].title":    "OfflinePushInfo.MultiLanguageContent[].Title",
	"offline_push.languages[].desc":     "OfflinePushInfo.MultiLanguageContent[].Desc",
	"offline_push.ios_sound":            "OfflinePushInfo.ApnsInfo.Sound",
	"offline_push.ignore_ios_badge":     "OfflinePushInfo.ApnsInfo.BadgeMode",
	"offline_push.voip":                 "OfflinePushInfo.ApnsInfo.IsVoipPush",

	"offline_push.apns":                    "OfflinePushInfo.ApnsInfo",
	"offline_push.apns.title":              "OfflinePushInfo.ApnsInfo.Title",
	"offline_push.apns.subtitle":           "OfflinePushInfo.ApnsInfo.SubTitle",
	"offline_push.apns.image":              "OfflinePushInfo.ApnsInfo.Image",
	"offline_push.apns.mutable_content":    "OfflinePushInfo.ApnsInfo.MutableContent",
	"offline_push.apns.interruption_level": "OfflinePushInfo.ApnsInfo.InterruptionLevel",
	"offline_push.apns.content_available":  "OfflinePushInfo.ApnsInfo.ContentAvailable",

	"offline_push.harmony":                "OfflinePushInfo.HarmonyInfo",
	"offline_push.harmony.title":          "OfflinePushInfo.HarmonyInfo.Title",
	"offline_push.harmony.category":       "OfflinePushInfo.HarmonyInfo.Category",
	"offline_push.harmony.image":          "OfflinePushInfo.HarmonyInfo.Image",
	"offline_push.harmony.sound":          "OfflinePushInfo.HarmonyInfo.Sound",
	"offline_push.harmony.sound_duration": "OfflinePushInfo.HarmonyInfo.SoundDuration",

	"offline_push.android":                                 "OfflinePushInfo.AndroidInfo",
	"offline_push.android.sound":                           "OfflinePushInfo.AndroidInfo.Sound",
	"offline_push.android.push_style":                      "OfflinePushInfo.AndroidInfo.PushStyle",
	"offline_push.android.oppo_channel_id":                 "OfflinePushInfo.AndroidInfo.OPPOChannelID",
	"offline_push.android.oppo_category":                   "OfflinePushInfo.AndroidInfo.OPPOCategory",
	"offline_push.android.oppo_notify_level":               "OfflinePushInfo.AndroidInfo.OPPONotifyLevel",
	"offline_push.android.oppo_private_template_id":        "OfflinePushInfo.AndroidInfo.OPPOPrivateMsgTemplateId",
	"offline_push.android.oppo_private_title_parameters":   "OfflinePushInfo.AndroidInfo.OPPOPrivateTitleParameters",
	"offline_push.android.oppo_private_content_parameters": "OfflinePushInfo.AndroidInfo.OPPOPrivateContentParameters",
	"offline_push.android.xiaomi_channel_id":               "OfflinePushInfo.AndroidInfo.XiaoMiChannelID",
	"offline_push.android.huawei_channel_id":               "OfflinePushInfo.AndroidInfo.HuaWeiChannelID",
	"offline_push.android.huawei_category":                 "OfflinePushInfo.AndroidInfo.HuaWeiCategory",
	"offline_push.android.huawei_importance":               "OfflinePushInfo.AndroidInfo.HuaWeiImportance",
	"offline_push.android.huawei_image":                    "OfflinePushInfo.AndroidInfo.HuaWeiImage",
	"offline_push.android.honor_importance":                "OfflinePushInfo.AndroidInfo.HonorImportance",
	"offline_push.android.honor_image":                     "OfflinePushInfo.AndroidInfo.HonorImage",
	"offline_push.android.vivo_classification":             "OfflinePushInfo.AndroidInfo.VIVOClassification",
	"offline_push.android.vivo_category":                   "OfflinePushInfo.AndroidInfo.VIVOCategory",
	"offline_push.android.vivo_notify_type":                "OfflinePushInfo.AndroidInfo.VIVONotifyType",
	"offline_push.android.meizu_notice_msg_type":           "OfflinePushInfo.AndroidInfo.MeiZuNoticeMsgType",
	"offline_push.android.fcm_channel_id":                  "OfflinePushInfo.AndroidInfo.GoogleChannelID",
	"offline_push.android.fcm_image":                       "OfflinePushInfo.AndroidInfo.GoogleImage",
	"offline_push.android.fcm_priority":                    "OfflinePushInfo.AndroidInfo.GooglePriority",
}

var timIndex = regexp.MustCompile(`\[\d+\]`)

// tencentField returns the Tencent name of a job field path
// ("offline_push.languages[2].title" → "OfflinePushInfo.MultiLanguageContent[2].Title").
// origin overrides it for fields a body filled from elsewhere (a custom
// element's Ext). A path the table does not know keeps its longest known
// prefix translated, or stays as it is.
func tencentField(path string, origin map[string]string) string {
	if o, ok := origin[path]; ok {
		return o
	}
	indices := timIndex.FindAllString(path, -1)
	key := timIndex.ReplaceAllString(path, "[]")
	rest := ""
	for key != "" {
		if name, ok := timFields[key]; ok {
			for _, ix := range indices {
				name = strings.Replace(name, "[]", ix, 1)
			}
			return name + rest
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			break
		}
		key, rest = key[:i], key[i:]+rest
	}
	return path
}

// jobTimError turns pushd's refusal of a converted job into a Tencent
// error naming the Tencent field.
func jobTimError(err error, origin map[string]string) *timError {
	var fe *dispatcher.FieldError
	if !errors.As(err, &fe) {
		return timErr(faultFormat, "%v", err)
	}
	field := tencentField(fe.Field, origin)
	if fe.Field == "expire_at" {
		return timErr(faultLifeTime, "%s: %s", field, fe.Reason)
	}
	return timErr(faultOf(field), "%s: %s", field, fe.Reason)
}

// validate checks the converted job with every rule of the job contract,
// exactly as POST /v1/messages does (dispatcher.DecodeJob on its JSON),
// and returns the job with the JSON the stream keeps. A refusal names the
// Tencent field.
func (c *timConversion) validate(now time.Time) (*dispatcher.Job, []byte, *timError) {
	b, err := json.Marshal(c.job)
	if err != nil {
		return nil, nil, timErr(faultInternal, "internal error; retry")
	}
	job, err := dispatcher.DecodeJob(b, now)
	if err != nil {
		return nil, nil, jobTimError(err, c.origin)
	}
	// The stream keeps the job as decoded, with its default expiry.
	b, err = json.Marshal(job)
	if err != nil {
		return nil, nil, timErr(faultInternal, "internal error; retry")
	}
	return job, b, nil
}
