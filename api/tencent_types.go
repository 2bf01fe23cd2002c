package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
)

// The bodies of Tencent Cloud IM's REST message APIs, as Tencent documents
// them (docs/tencent.md lists every field and what pushd does with it).
// The JSON names are Tencent's; the decoding is strict: a key that is
// neither Tencent's nor in the documented list of accepted-and-ignored
// fields is an error, so a misspelt push field never goes unnoticed.
// Sources: /work/shared/tencent-rest-format.md §1–§3 (S1, S5, S9, S11, S12).

// timCommon holds the fields every send route shares and the conversion
// reads (the bodies spell them out rather than embed timCommon, so that the
// OpenAPI document lists them).
type timCommon struct {
	FromAccount     *string
	MsgBody         json.RawMessage
	SendMsgControl  []string
	OfflinePushInfo *timPushInfo
	Pushd           *timPushdProfile
}

// timC2CBody is the body of v4/openim/sendmsg (To_Account a string) and
// v4/openim/batchsendmsg (To_Account an array of at most 500) (S9, S11).
type timC2CBody struct {
	// FromAccount is the sender; Tencent uses the App admin when it is
	// absent (S9, S12).
	FromAccount     *string          `json:"From_Account,omitempty"`
	MsgBody         json.RawMessage  `json:"MsgBody"`
	SendMsgControl  []string         `json:"SendMsgControl,omitempty"`
	OfflinePushInfo *timPushInfo     `json:"OfflinePushInfo,omitempty"`
	Pushd           *timPushdProfile `json:"Pushd,omitempty"`

	// Accepted and ignored: they do not change the push (docs/tencent.md).
	CloudCustomData         json.RawMessage `json:"CloudCustomData,omitempty"`
	SupportMessageExtension json.RawMessage `json:"SupportMessageExtension,omitempty"`
	ForbidCallbackControl   json.RawMessage `json:"ForbidCallbackControl,omitempty"`
	ToAccount               json.RawMessage `json:"To_Account"`
	MsgRandom               *int64          `json:"MsgRandom"`
	MsgSeq                  *int64          `json:"MsgSeq,omitempty"`
	MsgLifeTime             *int64          `json:"MsgLifeTime,omitempty"`

	SyncOtherMachine  json.RawMessage `json:"SyncOtherMachine,omitempty"`
	IsNeedReadReceipt json.RawMessage `json:"IsNeedReadReceipt,omitempty"`
}

// timGroupBody is the body of v4/group_open_http_svc/send_group_msg (S12).
// To_Account is pushd's extension: the group members the message service
// found offline, whom pushd pushes (pushd does not know group members).
type timGroupBody struct {
	// FromAccount is the sender; Tencent uses the App admin when it is
	// absent (S9, S12).
	FromAccount     *string          `json:"From_Account,omitempty"`
	MsgBody         json.RawMessage  `json:"MsgBody"`
	SendMsgControl  []string         `json:"SendMsgControl,omitempty"`
	OfflinePushInfo *timPushInfo     `json:"OfflinePushInfo,omitempty"`
	Pushd           *timPushdProfile `json:"Pushd,omitempty"`

	// Accepted and ignored: they do not change the push (docs/tencent.md).
	CloudCustomData         json.RawMessage `json:"CloudCustomData,omitempty"`
	SupportMessageExtension json.RawMessage `json:"SupportMessageExtension,omitempty"`
	ForbidCallbackControl   json.RawMessage `json:"ForbidCallbackControl,omitempty"`
	GroupID                 string          `json:"GroupId"`
	Random                  *int64          `json:"Random"`
	ToAccount               []string        `json:"To_Account,omitempty"`
	OnlineOnlyFlag          *int            `json:"OnlineOnlyFlag,omitempty"`
	GroupAtInfo             []timAtInfo     `json:"GroupAtInfo,omitempty"`

	MsgPriority     json.RawMessage `json:"MsgPriority,omitempty"`
	TopicID         json.RawMessage `json:"TopicId,omitempty"`
	NeedReadReceipt json.RawMessage `json:"NeedReadReceipt,omitempty"`
}

// timAtInfo is one entry of GroupAtInfo: @all, or one member (S12).
type timAtInfo struct {
	GroupAtAllFlag int    `json:"GroupAtAllFlag"`
	GroupAtAccount string `json:"GroupAt_Account,omitempty"`
}

// timPushdProfile is pushd's extension for what Tencent takes from its own
// profile and group stores (portrait_set, group info; S5 "nickname and
// group name come from the profile and group-info REST APIs"): the sender's
// nickname and group name card, the group's name and type.
type timPushdProfile struct {
	Nickname  string `json:"Nickname,omitempty"`
	NameCard  string `json:"NameCard,omitempty"`
	GroupName string `json:"GroupName,omitempty"`
	// GroupType is Work, Public (the default), Meeting, AVChatRoom, …
	GroupType string `json:"GroupType,omitempty"`
}

// timElem is one element of MsgBody (S5 §2).
type timElem struct {
	MsgType    string          `json:"MsgType"`
	MsgContent json.RawMessage `json:"MsgContent"`
}

// Element contents, field for field as S5 lists them. Only the fields that
// shape the push are typed; the others are kept raw and never read.
type (
	timTextContent struct {
		Text *string `json:"Text"`
	}
	timLocationContent struct {
		Desc      json.RawMessage `json:"Desc,omitempty"`
		Latitude  json.RawMessage `json:"Latitude,omitempty"`
		Longitude json.RawMessage `json:"Longitude,omitempty"`
	}
	timFaceContent struct {
		Index json.RawMessage `json:"Index,omitempty"`
		Data  json.RawMessage `json:"Data,omitempty"`
	}
	// timCustomContent: Desc is the push text, Ext and Sound go to the
	// push unless OfflinePushInfo is present, Data never does (S5).
	timCustomContent struct {
		Data  json.RawMessage `json:"Data,omitempty"`
		Desc  string          `json:"Desc,omitempty"`
		Ext   string          `json:"Ext,omitempty"`
		Sound string          `json:"Sound,omitempty"`
	}
	timSoundContent struct {
		URL          json.RawMessage `json:"Url,omitempty"`
		UUID         json.RawMessage `json:"UUID,omitempty"`
		Size         json.RawMessage `json:"Size,omitempty"`
		Second       json.RawMessage `json:"Second,omitempty"`
		DownloadFlag json.RawMessage `json:"Download_Flag,omitempty"`
	}
	timImageContent struct {
		UUID           json.RawMessage `json:"UUID,omitempty"`
		ImageFormat    json.RawMessage `json:"ImageFormat,omitempty"`
		ImageInfoArray json.RawMessage `json:"ImageInfoArray,omitempty"`
	}
	timFileContent struct {
		URL          json.RawMessage `json:"Url,omitempty"`
		UUID         json.RawMessage `json:"UUID,omitempty"`
		FileSize     json.RawMessage `json:"FileSize,omitempty"`
		FileName     json.RawMessage `json:"FileName,omitempty"`
		DownloadFlag json.RawMessage `json:"Download_Flag,omitempty"`
	}
	timVideoContent struct {
		VideoURL          json.RawMessage `json:"VideoUrl,omitempty"`
		VideoUUID         json.RawMessage `json:"VideoUUID,omitempty"`
		VideoSize         json.RawMessage `json:"VideoSize,omitempty"`
		VideoSecond       json.RawMessage `json:"VideoSecond,omitempty"`
		VideoFormat       json.RawMessage `json:"VideoFormat,omitempty"`
		VideoDownloadFlag json.RawMessage `json:"VideoDownloadFlag,omitempty"`
		ThumbURL          json.RawMessage `json:"ThumbUrl,omitempty"`
		ThumbUUID         json.RawMessage `json:"ThumbUUID,omitempty"`
		ThumbSize         json.RawMessage `json:"ThumbSize,omitempty"`
		ThumbWidth        json.RawMessage `json:"ThumbWidth,omitempty"`
		ThumbHeight       json.RawMessage `json:"ThumbHeight,omitempty"`
		ThumbFormat       json.RawMessage `json:"ThumbFormat,omitempty"`
		ThumbDownloadFlag json.RawMessage `json:"ThumbDownloadFlag,omitempty"`
	}
	timRelayContent struct {
		Title          json.RawMessage `json:"Title,omitempty"`
		MsgNum         json.RawMessage `json:"MsgNum,omitempty"`
		CompatibleText json.RawMessage `json:"CompatibleText,omitempty"`
		AbstractList   json.RawMessage `json:"AbstractList,omitempty"`
		MsgList        json.RawMessage `json:"MsgList,omitempty"`
		JSONMsgKey     json.RawMessage `json:"JsonMsgKey,omitempty"`
	}
)

// timPushInfo is today's OfflinePushInfo (S1 §1.1).
type timPushInfo struct {
	PushFlag             *int             `json:"PushFlag,omitempty"`
	Title                string           `json:"Title,omitempty"`
	Desc                 string           `json:"Desc,omitempty"`
	Ext                  string           `json:"Ext,omitempty"`
	BadgeAddNum          *int             `json:"BadgeAddNum,omitempty"`
	BadgeSetNum          *int             `json:"BadgeSetNum,omitempty"`
	MultiLanguageContent []timLanguage    `json:"MultiLanguageContent,omitempty"`
	AndroidInfo          *timAndroidInfo  `json:"AndroidInfo,omitempty"`
	ApnsInfo             *timApnsInfo     `json:"ApnsInfo,omitempty"`
	HarmonyInfo          *timHarmonyInfo  `json:"HarmonyInfo,omitempty"`
	PushTemplateID       string           `json:"PushTemplateId,omitempty"`
	PushTemplateParam    *json.RawMessage `json:"PushTemplateParam,omitempty"`
}

// timLanguage is one entry of MultiLanguageContent.
type timLanguage struct {
	Language string `json:"Language"`
	Title    string `json:"Title,omitempty"`
	Desc     string `json:"Desc,omitempty"`
}

// timAndroidInfo is OfflinePushInfo.AndroidInfo (S1 §1.2).
type timAndroidInfo struct {
	Sound                        string            `json:"Sound,omitempty"`
	PushStyle                    int               `json:"PushStyle,omitempty"`
	XiaoMiChannelID              string            `json:"XiaoMiChannelID,omitempty"`
	OPPOChannelID                string            `json:"OPPOChannelID,omitempty"`
	OPPOCategory                 string            `json:"OPPOCategory,omitempty"`
	OPPONotifyLevel              int               `json:"OPPONotifyLevel,omitempty"`
	OPPOPrivateMsgTemplateID     string            `json:"OPPOPrivateMsgTemplateId,omitempty"`
	OPPOPrivateTitleParameters   map[string]string `json:"OPPOPrivateTitleParameters,omitempty"`
	OPPOPrivateContentParameters map[string]string `json:"OPPOPrivateContentParameters,omitempty"`
	VIVOClassification           *int              `json:"VIVOClassification,omitempty"`
	VIVOCategory                 string            `json:"VIVOCategory,omitempty"`
	// VIVONotifyType is a String in S1's table ("1"–"4"); a number is
	// accepted too.
	VIVONotifyType         timNumber `json:"VIVONotifyType,omitempty"`
	HuaWeiChannelID        string    `json:"HuaWeiChannelID,omitempty"`
	HuaWeiImportance       string    `json:"HuaWeiImportance,omitempty"`
	HuaWeiCategory         string    `json:"HuaWeiCategory,omitempty"`
	HuaWeiImage            string    `json:"HuaWeiImage,omitempty"`
	HonorImportance        string    `json:"HonorImportance,omitempty"`
	HonorImage             string    `json:"HonorImage,omitempty"`
	GoogleChannelID        string    `json:"GoogleChannelID,omitempty"`
	GoogleImage            string    `json:"GoogleImage,omitempty"`
	GooglePriority         string    `json:"GooglePriority,omitempty"`
	MeiZuNoticeMsgType     *int      `json:"MeiZuNoticeMsgType,omitempty"`
	ExtAsHuaweiIntentParam *int      `json:"ExtAsHuaweiIntentParam,omitempty"`
}

// timApnsInfo is OfflinePushInfo.ApnsInfo (S1 §1.3).
type timApnsInfo struct {
	BadgeMode         *int             `json:"BadgeMode,omitempty"`
	Title             string           `json:"Title,omitempty"`
	SubTitle          string           `json:"SubTitle,omitempty"`
	Image             string           `json:"Image,omitempty"`
	MutableContent    *int             `json:"MutableContent,omitempty"`
	Sound             string           `json:"Sound,omitempty"`
	InterruptionLevel string           `json:"InterruptionLevel,omitempty"`
	ContentAvailable  *int             `json:"ContentAvailable,omitempty"`
	IsVoipPush        *int             `json:"IsVoipPush,omitempty"`
	LiveActivity      *json.RawMessage `json:"LiveActivity,omitempty"`
}

// timHarmonyInfo is OfflinePushInfo.HarmonyInfo (S1 §1.4).
type timHarmonyInfo struct {
	Title         string `json:"Title,omitempty"`
	Category      string `json:"Category,omitempty"`
	Image         string `json:"Image,omitempty"`
	Sound         string `json:"Sound,omitempty"`
	SoundDuration int    `json:"SoundDuration,omitempty"`
}

// timNumber is an integer sent as a JSON number or as a string of digits.
type timNumber int

// UnmarshalJSON accepts 4 and "4".
func (n *timNumber) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		// The decoder adds the field's path to a type error.
		return &json.UnmarshalTypeError{Value: "string " + string(b), Type: reflect.TypeOf(0)}
	}
	*n = timNumber(v)
	return nil
}

// common returns the shared fields of a C2C body.
func (b *timC2CBody) common() *timCommon {
	return &timCommon{FromAccount: b.FromAccount, MsgBody: b.MsgBody, SendMsgControl: b.SendMsgControl,
		OfflinePushInfo: b.OfflinePushInfo, Pushd: b.Pushd}
}

// common returns the shared fields of a group body.
func (b *timGroupBody) common() *timCommon {
	return &timCommon{FromAccount: b.FromAccount, MsgBody: b.MsgBody, SendMsgControl: b.SendMsgControl,
		OfflinePushInfo: b.OfflinePushInfo, Pushd: b.Pushd}
}
