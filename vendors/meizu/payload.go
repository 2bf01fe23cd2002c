package meizu

import (
	"net/url"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// Payload facts (vendor-protocols.md §7 "Send endpoints" and messageJson).
const (
	pushByPushIDPath = "/garcia/api/server/push/varnished/pushByPushId"
	// privateMessage is noticeMsgType 1 (私信): a personal message such as
	// a chat, rather than a public broadcast (公信, 0).
	privateMessage = 1
	// Validity in hours: 1..72, 24 by default.
	minValidHours  = 1
	maxValidHours  = 72
	defaultValid   = 24 * time.Hour
	notifyKeyChars = 8
)

// The clickType values.
const (
	clickOpenApp  = 0 // open the app
	clickActivity = 1 // open the Activity named in activity
	clickURI      = 2 // open the URI in url
)

// settings are the certificate values a payload depends on.
type settings struct {
	AppID string        `json:"app_id"`
	Click vendors.Click `json:"click"`
}

// message is messageJson for a notification ("varnished") message.
type message struct {
	NoticeBarInfo noticeBarInfo `json:"noticeBarInfo"`
	ClickTypeInfo clickTypeInfo `json:"clickTypeInfo"`
	PushTimeInfo  pushTimeInfo  `json:"pushTimeInfo"`
	AdvanceInfo   advanceInfo   `json:"advanceInfo"`
	// Extra asks for delivery and click receipts (receipt.go).
	Extra *extra `json:"extra,omitempty"`
}

type noticeBarInfo struct {
	NoticeMsgType int    `json:"noticeMsgType"`
	NoticeBarType int    `json:"noticeBarType"`
	Title         string `json:"title"`
	Content       string `json:"content"`
}

type clickTypeInfo struct {
	ClickType  int               `json:"clickType"`
	URL        string            `json:"url,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
	Activity   string            `json:"activity,omitempty"`
}

type pushTimeInfo struct {
	OffLine   int `json:"offLine"`
	ValidTime int `json:"validTime"`
}

type advanceInfo struct {
	Suspend          int              `json:"suspend"`
	ClearNoticeBar   int              `json:"clearNoticeBar"`
	NotificationType notificationType `json:"notificationType"`
	NotifyKey        string           `json:"notifyKey,omitempty"`
}

// notificationType switches vibration, the LED and sound (1 on, 0 off).
type notificationType struct {
	Vibrate int `json:"vibrate"`
	Lights  int `json:"lights"`
	Sound   int `json:"sound"`
}

// buildMessage maps n onto messageJson.
func buildMessage(n *vendors.Notification, st settings, now time.Time) message {
	fitted := *n
	limits().Fit(&fitted)
	m := message{
		NoticeBarInfo: noticeBarInfo{NoticeMsgType: privateMessage, Title: fitted.Title, Content: fitted.Body},
		ClickTypeInfo: clickInfo(st.Click),
		PushTimeInfo:  pushTimeInfo{OffLine: 1, ValidTime: validHours(n.TTL(now, defaultValid))},
		AdvanceInfo: advanceInfo{Suspend: 1, ClearNoticeBar: 1,
			NotificationType: notificationType{Vibrate: 1, Lights: 1, Sound: 1}},
		Extra: extraOf(n.Callback),
	}
	m.ClickTypeInfo.Parameters = vendors.ExtMap(n, st.Click)
	if t := n.Android.NoticeMsgType; t != nil {
		// Tencent's MeiZuNoticeMsgType: 0 public (公信), 1 private (私信)
		// [vendor-protocols.md §9 noticeBarInfo].
		m.NoticeBarInfo.NoticeMsgType = *t
	}
	if n.Silent {
		m.AdvanceInfo.NotificationType = notificationType{Vibrate: 0, Lights: 1, Sound: 0}
	}
	// A call's cancel replaces the call: the same notifyKey (ReplaceKey).
	if id := n.ReplaceKey(); id != "" {
		m.AdvanceInfo.NotifyKey = vendors.ShortKey(id, notifyKeyChars)
	}
	// A call is a private message (私信), Meizu's call class, whatever
	// the job or certificate says (docs/rules.md "Calls (VoIP)").
	if n.Call {
		m.NoticeBarInfo.NoticeMsgType = privateMessage
	}
	return m
}

// clickInfo maps the certificate's click action: open the app, an
// Activity by class name, or a URL.
func clickInfo(c vendors.Click) clickTypeInfo {
	switch c.Action {
	case vendors.ClickURL:
		return clickTypeInfo{ClickType: clickURI, URL: c.Target}
	case vendors.ClickIntent:
		return clickTypeInfo{ClickType: clickActivity, Activity: c.Target}
	}
	return clickTypeInfo{ClickType: clickOpenApp}
}

// validHours rounds ttl up to whole hours within Meizu's 1..72.
func validHours(ttl time.Duration) int {
	h := int((ttl + time.Hour - 1) / time.Hour)
	return max(minValidHours, min(h, maxValidHours))
}

// buildParams makes the unsigned form of a pushByPushId request.
func buildParams(n *vendors.Notification, st settings, tokens []string, now time.Time) (url.Values, error) {
	js, err := vendorhttp.MarshalUnescaped(buildMessage(n, st, now))
	if err != nil {
		return nil, err
	}
	return url.Values{
		"appId":       {st.AppID},
		"pushIds":     {strings.Join(tokens, ",")},
		"messageJson": {string(js)},
	}, nil
}
