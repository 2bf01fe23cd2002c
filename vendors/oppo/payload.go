package oppo

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Send paths and payload facts (vendor-protocols.md §5 "Send").
const (
	unicastPath      = "/server/v1/message/notification/unicast"
	unicastBatchPath = "/server/v1/message/notification/unicast_batch"
	// targetRegID is target_type 2: the target is a registration_id.
	targetRegID = 2
	// maxOfflineTTL is off_line_ttl's ceiling, 10 days (SDK OFFLINE_TTL_LIMIT).
	maxOfflineTTL = 864000
	// maxActionParameters is action_parameters' limit, 4 KB (OPPODOC).
	maxActionParameters = 4096
	// defaultTTL is the offline life of a notification without ExpireAt:
	// one day, as on the other vendors.
	defaultTTL = 24 * time.Hour
	// maxAppMessageID bounds app_message_id, the dedupe id.
	maxAppMessageID = 64
)

// The click_action_type values (vendor-protocols.md §5 notification table).
const (
	clickLaunchApp = 0 // launch the app
	clickWebURL    = 2 // open click_action_url in a browser
	clickActivity  = 4 // open the Activity named by its class in click_action_activity
	clickIntentURL = 5 // open the Intent scheme URL in click_action_url
)

// settings are the certificate values a payload depends on.
type settings struct {
	Click vendors.Click `json:"click"`
	// ChannelID is the certificate's default notification channel.
	ChannelID string `json:"channel_id,omitempty"`
}

// message is one OPPO message: a target and its notification.
type message struct {
	TargetType   int          `json:"target_type"`
	TargetValue  string       `json:"target_value"`
	Notification notification `json:"notification"`
}

// notification holds the snake_case fields of OPPO server SDK 1.0.6.
type notification struct {
	Title               string `json:"title"`
	Content             string `json:"content"`
	ClickActionType     int    `json:"click_action_type"`
	ClickActionActivity string `json:"click_action_activity,omitempty"`
	ClickActionURL      string `json:"click_action_url,omitempty"`
	ActionParameters    string `json:"action_parameters,omitempty"`
	ChannelID           string `json:"channel_id,omitempty"`
	AppMessageID        string `json:"app_message_id,omitempty"`
	// NotifyID is OPPO's notify_id, "same id overrides" a notification
	// shown (vendor-protocols.md §5 notification table): derived from
	// n.ReplaceKey(), so a recall's replacement takes the message's
	// place, while app_message_id, the dedupe id, stays on n.ID. It is
	// an integer as the other vendors' notify ids (vendors.NotifyID)
	// [UNCERTAIN: OPPO's type and range not captured; JPush and
	// Tencent's OPPO channels pass an int].
	NotifyID   int `json:"notify_id,omitempty"`
	OffLineTTL int `json:"off_line_ttl"`
	// Style 2 is the long-text style (content up to 128 characters)
	// [vendor-protocols.md §5 notification table].
	Style int `json:"style,omitempty"`
	// Category, NotifyLevel and the private-message template are OPPO's
	// message-classification fields (Tencent's OPPOCategory,
	// OPPONotifyLevel, OPPOPrivateMsgTemplateId and its parameters). The
	// names are OPPO's snake_case ones as other OPPO clients send them
	// [UNCERTAIN, vendor-protocols.md §5: not captured from OPPO's own
	// pages; JPush's OPPO channel options and third-party OPPO adapters
	// (search "private_msg_template_id") spell them so, the parameters as
	// JSON objects of strings].
	Category          string            `json:"category,omitempty"`
	NotifyLevel       int               `json:"notify_level,omitempty"`
	PrivateTemplateID string            `json:"private_msg_template_id,omitempty"`
	PrivateTitle      map[string]string `json:"private_title_parameters,omitempty"`
	PrivateContent    map[string]string `json:"private_content_parameters,omitempty"`
	// CallBackURL and CallBackParameter ask for delivery receipts
	// (receipt.go).
	CallBackURL       string `json:"call_back_url,omitempty"`
	CallBackParameter string `json:"call_back_parameter,omitempty"`
}

// Styles (vendor-protocols.md §5 notification table).
const (
	styleLongText = 2
	// maxLongText is the content limit of the long-text style.
	maxLongText = 128
)

// request is what one Send posts, before the auth_token is added.
type request struct {
	Path string
	Form url.Values
	// MissingChannel is set when neither the job nor the certificate named
	// a channel: OPPO still delivers, but Android 8+ may hide it.
	MissingChannel bool
}

// build makes the request for n to tokens: a plain unicast for one token,
// unicast_batch (one message per token) for more.
func build(n *vendors.Notification, st settings, tokens []string, now time.Time) (request, error) {
	base, err := buildNotification(n, st, now)
	if err != nil {
		return request{}, err
	}
	msgs := make([]message, len(tokens))
	for i, t := range tokens {
		nt := base
		nt.AppMessageID = appMessageID(n.ID, t)
		msgs[i] = message{TargetType: targetRegID, TargetValue: t, Notification: nt}
	}
	req := request{Path: unicastBatchPath, Form: url.Values{}, MissingChannel: base.ChannelID == ""}
	var b []byte
	if len(msgs) == 1 {
		req.Path = unicastPath
		b, err = json.Marshal(msgs[0])
		req.Form.Set("message", string(b))
	} else {
		b, err = json.Marshal(msgs)
		req.Form.Set("messages", string(b))
	}
	return req, err
}

// buildNotification maps n onto OPPO's notification, without the per-target
// dedupe id.
func buildNotification(n *vendors.Notification, st settings, now time.Time) (notification, error) {
	fitted := *n
	limits().Fit(&fitted)
	nt := notification{Title: fitted.Title, Content: fitted.Body}
	if n.Android.BigText {
		nt.Style, nt.Content = styleLongText, vendors.Truncate(fitted.Body, maxLongText, false)
	}
	a := &n.Android
	nt.Category, nt.NotifyLevel = a.Category, a.NotifyLevel
	if a.TemplateID != "" {
		nt.PrivateTemplateID, nt.PrivateTitle, nt.PrivateContent = a.TemplateID, a.TitleParams, a.ContentParams
	}
	nt.ClickActionType, nt.ClickActionActivity, nt.ClickActionURL = clickFields(st.Click)
	nt.ActionParameters = vendors.OPPOActionParameters(n, st.Click)
	if len(nt.ActionParameters) > maxActionParameters {
		cause := fmt.Errorf("%w: action_parameters is %d bytes, OPPO allows %d",
			vendors.ErrExtTooLarge, len(nt.ActionParameters), maxActionParameters)
		return nt, &vendors.Error{Vendor: vendors.OPPO, Kind: vendors.Rejected, Code: "PayloadTooLarge",
			Message: cause.Error(), Err: cause}
	}
	nt.ChannelID = n.Android.ChannelID
	if nt.ChannelID == "" {
		nt.ChannelID = st.ChannelID
	}
	nt.OffLineTTL = int(min(n.TTL(now, defaultTTL)/time.Second, maxOfflineTTL))
	if id := n.ReplaceKey(); id != "" {
		nt.NotifyID = vendors.NotifyID(id)
	}
	if n.Callback != nil {
		nt.CallBackURL, nt.CallBackParameter = n.Callback.URL, n.Callback.Param
	}
	callClass(n, &nt)
	return nt, nil
}

// clickFields maps the certificate's click action to click_action_type and
// its target. An intent target that looks like a URI ("intent:…" or
// "scheme://…") is an Intent scheme URL (type 5); anything else is an
// Activity class name (type 4).
func clickFields(c vendors.Click) (typ int, activity, link string) {
	switch c.Action {
	case vendors.ClickURL:
		return clickWebURL, "", c.Target
	case vendors.ClickIntent:
		if strings.HasPrefix(c.Target, "intent:") || strings.Contains(c.Target, "://") {
			return clickIntentURL, "", c.Target
		}
		return clickActivity, c.Target, ""
	}
	return clickLaunchApp, "", ""
}

// appMessageID is OPPO's dedupe id. OPPO pushes a unicast with an
// app_message_id it has already seen only once, so the id names the message
// and the target: a resend after a crash is dropped, while the other
// recipients of the same message still get theirs.
func appMessageID(msgID, token string) string {
	if msgID == "" {
		return ""
	}
	return vendors.CollapseID(msgID+":"+vendors.ShortKey(token, 8), maxAppMessageID)
}
