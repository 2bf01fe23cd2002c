package vivo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pushd/pushd/vendors"
)

// Send paths and payload facts (vendor-protocols.md §6).
const (
	sendPath     = "/message/send"
	saveListPath = "/message/saveListPayload"
	pushListPath = "/message/pushToList"
	// Notify types: 1 no ring and no vibration, 4 ring and vibration.
	notifySilent = 1
	notifyAll    = 4
	// networkAny is networkType -1: deliver on any network.
	networkAny = -1
	// pushFormal is pushMode 0, a formal (not test-device) push.
	pushFormal = 0
	// Time to live, seconds: a single push allows 60 s..7 d, the other
	// APIs 900 s..7 d (SDK SINGLE_MIN_TIME_TO_LIVE, MIN_TIME_TO_LIVE,
	// MAX_TIME_TO_LIVE); the default is one day.
	minSingleTTL = 60
	minListTTL   = 900
	maxTTL       = 604800
	defaultTTL   = 24 * time.Hour
	// maxRequestID bounds requestId (10353).
	maxRequestID = 64
	// maxCustomMap bounds clientCustomMap's keys and values together (10067).
	maxCustomMap = 1024
	// defaultClassification is 1, system message, as SPEC §3.1's
	// certificate default.
	defaultClassification = 1
)

// The skipType values.
const (
	skipOpenApp = 1 // open the app's home
	skipURL     = 2 // open the URL in skipContent
	skipIntent  = 4 // open the app page of the intent URI in skipContent
)

// settings are the certificate values a payload depends on.
type settings struct {
	AppID          int64         `json:"app_id"`
	Click          vendors.Click `json:"click"`
	Classification int           `json:"classification"`
	Category       string        `json:"category,omitempty"`
}

// message is the body of /message/send and, without regId,
// /message/saveListPayload.
type message struct {
	AppID           int64             `json:"appId"`
	RegID           string            `json:"regId,omitempty"`
	NotifyType      int               `json:"notifyType"`
	Title           string            `json:"title"`
	Content         string            `json:"content"`
	TimeToLive      int               `json:"timeToLive"`
	SkipType        int               `json:"skipType"`
	SkipContent     string            `json:"skipContent,omitempty"`
	NetworkType     int               `json:"networkType"`
	ClientCustomMap map[string]string `json:"clientCustomMap,omitempty"`
	Classification  int               `json:"classification"`
	Category        string            `json:"category,omitempty"`
	PushMode        int               `json:"pushMode"`
	RequestID       string            `json:"requestId"`
	// NotifyID is vivo's notifyId, 1..2147483647, "same id replaces" a
	// notification shown (vendor-protocols.md §6 single push table,
	// [PUSHAPI]): derived from n.ReplaceKey() (vendors.NotifyID), so a
	// recall's replacement takes the message's place, while requestId,
	// the dedupe id, stays on n.ID.
	NotifyID int `json:"notifyId,omitempty"`
	// Extra asks for delivery receipts (receipt.go).
	Extra *extra `json:"extra,omitempty"`
}

// listPush is the body of /message/pushToList.
type listPush struct {
	AppID     int64    `json:"appId"`
	RegIDs    []string `json:"regIds"`
	TaskID    string   `json:"taskId"`
	RequestID string   `json:"requestId"`
	PushMode  int      `json:"pushMode"`
}

// buildMessage maps n onto vivo's notification fields, without target and
// requestId.
func buildMessage(n *vendors.Notification, st settings, now time.Time) (message, error) {
	fitted := *n
	limits().Fit(&fitted)
	m := message{AppID: st.AppID, NotifyType: notifyAll, Title: fitted.Title, Content: fitted.Body,
		TimeToLive: int(n.TTL(now, defaultTTL) / time.Second), NetworkType: networkAny,
		ClientCustomMap: vendors.ExtMap(n, st.Click), Classification: st.Classification,
		Category: st.Category, PushMode: pushModeOf(n), Extra: extraOf(n.Callback)}
	switch {
	case n.Silent:
		m.NotifyType = notifySilent
	case n.Android.NotifyType != 0:
		// Tencent's VIVONotifyType: 1 none, 2 ring, 3 vibrate, 4 ring and
		// vibrate, vivo's own notifyType values [vendor-protocols.md §7].
		m.NotifyType = n.Android.NotifyType
	}
	if n.Android.Classification != nil {
		m.Classification = *n.Android.Classification
	}
	if n.Android.Category != "" {
		m.Category = n.Android.Category
	}
	if id := n.ReplaceKey(); id != "" {
		m.NotifyID = vendors.NotifyID(id)
	}
	callClass(n, &m)
	m.SkipType, m.SkipContent = skipFields(st.Click)
	if size := customMapSize(m.ClientCustomMap); size > maxCustomMap {
		cause := fmt.Errorf("%w: clientCustomMap holds %d characters, vivo allows %d",
			vendors.ErrExtTooLarge, size, maxCustomMap)
		return m, &vendors.Error{Vendor: vendors.Vivo, Kind: vendors.Rejected, Code: "PayloadTooLarge",
			Message: cause.Error(), Err: cause}
	}
	return m, nil
}

// skipFields maps the certificate's click action: open the app, open a
// URL, or open the app page an intent URI names.
func skipFields(c vendors.Click) (int, string) {
	switch c.Action {
	case vendors.ClickURL:
		return skipURL, c.Target
	case vendors.ClickIntent:
		return skipIntent, c.Target
	}
	return skipOpenApp, ""
}

// single is the /message/send body for one token.
func single(m message, msgID, token string) message {
	m.RegID = token
	m.TimeToLive = clamp(m.TimeToLive, minSingleTTL, maxTTL)
	m.RequestID = requestID(msgID, vendors.ShortKey(token, 8))
	return m
}

// listPayload is the /message/saveListPayload body for m, and the key under
// which its taskId is cached: the message id and a hash of the content, so
// the chunks of one message share one saved payload and nothing else does.
func listPayload(m message, msgID string) (message, string) {
	ttl := m.TimeToLive
	// The key leaves out what changes between two chunks of one message:
	// the time left to live and the requestId.
	m.TimeToLive, m.RequestID = 0, ""
	b, _ := json.Marshal(m) // strings, ints and a string map always encode
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:])
	m.TimeToLive = clamp(ttl, minListTTL, maxTTL)
	m.RequestID = requestID(msgID, "list-"+hash[:8])
	return m, msgID + "|" + hash
}

// pushList is the /message/pushToList body for tokens.
func pushList(st settings, msgID string, tokens []string, taskID string) listPush {
	return listPush{AppID: st.AppID, RegIDs: tokens, TaskID: taskID, PushMode: pushFormal,
		RequestID: requestID(msgID, vendors.ShortKey(strings.Join(tokens, ","), 8))}
}

// requestID derives vivo's requestId (required, ≤64, unique per request)
// from the message id and what the request targets: a crash-resend of the
// same request is deduplicated by vivo, other requests of the message are not.
func requestID(msgID, salt string) string {
	if msgID == "" {
		msgID = "pushd"
	}
	return vendors.CollapseID(msgID+":"+salt, maxRequestID)
}

// customMapSize counts clientCustomMap's characters, keys and values.
func customMapSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
	}
	return n
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
