package api

// Request bodies copied from Tencent's documentation examples, comments
// removed: sendmsg https://www.tencentcloud.com/document/product/1047/34919
// ("From_Account → To_Account with offline push"), batchsendmsg
// https://www.tencentcloud.com/document/product/1047/34920 (dave → bonnie
// and rong), send_group_msg
// https://www.tencentcloud.com/document/product/1047/34959 ("basic
// format" and "sending group @ messages"). The group bodies add pushd's one
// required extension, the offline members in To_Account.
const (
	docSendMsg = `{
    "SyncOtherMachine": 2,
    "From_Account": "lumotuwe1",
    "To_Account": "lumotuwe2",
    "MsgLifeTime":3600,
    "MsgSeq": 93847636,
    "MsgRandom": 1287657,
    "MsgBody": [
        {
            "MsgType": "TIMTextElem",
            "MsgContent": {
                "Text": "hi, beauty"
            }
        }
    ],
    "CloudCustomData": "your cloud custom data",
    "OfflinePushInfo": {
        "PushFlag": 0,
        "Desc": "Content to push offline",
        "Ext": "Passthrough content",
        "AndroidInfo": {
            "Sound": "android.mp3"
        },
        "ApnsInfo": {
            "Sound": "apns.mp3",
            "BadgeMode": 1,
            "Title":"apns title",
            "SubTitle":"apns subtitle",
            "Image":"www.image.com"
        }
    }
}`

	docBatchSendMsg = `{
    "SyncOtherMachine": 1,
    "From_Account": "dave",
    "To_Account": [
        "bonnie",
        "rong"
    ],
    "MsgSeq": 28360,
    "MsgRandom": 19901224,
    "MsgBody": [
        {
            "MsgType": "TIMTextElem",
            "MsgContent": {
                "Text": "hi, beauty"
            }
        }
    ],
    "CloudCustomData": "your cloud custom data",
    "OfflinePushInfo": {
        "PushFlag": 0,
        "Desc": "Content to push offline",
        "Ext": "Passthrough content",
        "AndroidInfo": {
            "Sound": "android.mp3"
        },
        "ApnsInfo": {
            "Sound": "apns.mp3",
            "BadgeMode": 1,
            "Title":"apns title",
            "SubTitle":"apns subtitle",
            "Image":"www.image.com"
        }
    }
}`

	docGroupMsg = `{
    "GroupId": "@TGS#2C5SZEAEF",
    "Random": 8912345,
    "To_Account": ["peter", "leckie"],
    "MsgBody": [
        {
            "MsgType": "TIMTextElem",
            "MsgContent": {
                "Text": "red packet"
            }
        },
        {
            "MsgType": "TIMFaceElem",
            "MsgContent": {
                "Index": 6,
                "Data": "abc\u0000\u0001"
            }
        }
    ],
    "CloudCustomData": "your cloud custom data",
    "OfflinePushInfo": {
        "PushFlag": 0,
        "Desc": "Content to push offline",
        "Ext": "Passthrough content",
        "AndroidInfo": {
            "Sound": "android.mp3"
        },
        "ApnsInfo": {
            "Sound": "apns.mp3",
            "BadgeMode": 1,
            "Title":"apns title",
            "SubTitle":"apns subtitle",
            "Image":"www.image.com"
        }
    }
}`

	docGroupAtMsg = `{
    "GroupId": "@TGS#2C5SZEAEF",
    "Random": 8912345,
    "To_Account": ["tommy"],
    "MsgBody": [
        {
            "MsgType": "TIMTextElem",
            "MsgContent": {
                "Text": "red @all @tommy @brennanli packet"
            }
        }
    ],
    "GroupAtInfo":[
    {
        "GroupAtAllFlag":1
    },
    {
        "GroupAtAllFlag":0,
        "GroupAt_Account":"tommy"
    },
    {
        "GroupAtAllFlag":0,
        "GroupAt_Account":"brennanli"
    }
    ]
}`

	// docCustomMsg is the custom element of Tencent's message-format page
	// (https://www.tencentcloud.com/document/product/1047/33527), sent
	// without OfflinePushInfo: its Desc, Ext and Sound make the push.
	docCustomMsg = `{
    "From_Account": "leckie",
    "To_Account": "peter",
    "MsgRandom": 1287657,
    "MsgBody": [
        {
            "MsgType": "TIMCustomElem",
            "MsgContent": {
                "Data": "message",
                "Desc": "notification",
                "Ext": "url",
                "Sound": "dingdong.aiff"
            }
        }
    ]
}`
)
