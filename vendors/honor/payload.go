package honor

import (
	"fmt"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// clickAction.type values [vendor-protocols.md §8 Send; HONORGO model.go].
const (
	clickTypeIntent = 1 // open an app page by intent or action
	clickTypeURL    = 2 // open a URL
	clickTypeApp    = 3 // open the app
)

const (
	// maxBodyBytes is the body limit, tokens excluded: Honor's API is a fork
	// of Huawei's and vendors.LimitsOf gives both 4096 bytes [§8, UNCERTAIN].
	maxBodyBytes = 4096
	// maxTTL is android.ttl's documented ceiling [§8 Send].
	maxTTL = 1296000 * time.Second
	// maxBadge is the largest badge.setNum.
	maxBadge = 99
	// maxTag bounds the collapse tag derived from the message id.
	maxTag = 64
)

// settings are the certificate values a message needs.
type settings struct {
	AppID      string
	Importance string
	BadgeClass string
	Click      vendors.Click
}

func settingsOf(cred *vendors.Credential) (settings, error) {
	click, err := cred.Click.Normalize()
	if err != nil {
		return settings{}, fmt.Errorf("honor certificate %d: %w", cred.ID, err)
	}
	return settings{
		AppID:      cred.Field(vendors.FieldAppID),
		Importance: cred.Field(vendors.FieldImportance),
		BadgeClass: cred.Field(vendors.FieldBadgeClass),
		Click:      click,
	}, nil
}

// sendRequest is the body of POST /api/v1/{appId}/sendMessage: unlike
// Huawei, no "message" wrapper and camelCase fields [§8 Send].
type sendRequest struct {
	Data    string   `json:"data,omitempty"`
	Android android  `json:"android"`
	Token   []string `json:"token"`
}

type android struct {
	TTL string `json:"ttl,omitempty"`
	// Notification is nil for an id_only data message (dataRequest).
	Notification *notification `json:"notification,omitempty"`
	// BiTag is echoed in the receipts (receipt.go): the signed reference.
	BiTag string `json:"biTag,omitempty"`
}

type notification struct {
	Title       string      `json:"title"`
	Body        string      `json:"body"`
	ClickAction clickAction `json:"clickAction"`
	Importance  string      `json:"importance,omitempty"`
	Badge       *badge      `json:"badge,omitempty"`
	NotifyID    int         `json:"notifyId,omitempty"`
	Tag         string      `json:"tag,omitempty"`
	// Image is the https URL of the icon; Style 1 with BigTitle and
	// BigBody is the big-text style [vendor-protocols.md §8 Send].
	Image    string `json:"image,omitempty"`
	Style    int    `json:"style,omitempty"`
	BigTitle string `json:"bigTitle,omitempty"`
	BigBody  string `json:"bigBody,omitempty"`
}

type clickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent,omitempty"`
	Action string `json:"action,omitempty"`
	URL    string `json:"url,omitempty"`
}

// badge is the launcher badge: setNum sets it, addNum raises it on the
// device (a binding whose count pushd does not keep); setNum wins
// [vendor-protocols.md §8].
type badge struct {
	AddNum     int    `json:"addNum,omitempty"`
	SetNum     *int   `json:"setNum,omitempty"`
	BadgeClass string `json:"badgeClass"`
}

// importanceSilent is the importance of a silent push (push.no_sound):
// Honor has no sound field, and LOW is Android's "not audibly intrusive"
// level [vendor-protocols.md §8, importance as Huawei's].
const importanceSilent = "LOW"

// buildBody returns the JSON body of one message to tokens, shrunk to
// maxBodyBytes (tokens excluded); an ext too large to fit is Rejected.
func buildBody(n vendors.Notification, s settings, tokens []string, now time.Time) ([]byte, error) {
	return hms.Body(vendors.Honor, limits(), n, tokens, func(m *vendors.Notification, ts []string) sendRequest {
		return newRequest(m, s, ts, now)
	})
}

// newRequest maps n onto Honor's fields.
func newRequest(n *vendors.Notification, s settings, tokens []string, now time.Time) sendRequest {
	if n.IDOnly() {
		return dataRequest(n, tokens, now)
	}
	nt := &notification{Title: n.Title, Body: n.Body,
		ClickAction: clickAction(hms.Click(n, s.Click,
			hms.ClickTypes{Intent: clickTypeIntent, URL: clickTypeURL, App: clickTypeApp})),
		Importance: hms.Pick(n.Android.Importance, s.Importance)}
	if n.Silent {
		nt.Importance = importanceSilent
	}
	nt.NotifyID, nt.Tag = hms.IDs(replaceIDs(n), maxTag)
	nt.Badge = badgeOf(n, s.BadgeClass)
	applyStyle(nt, n)
	callClass(n, nt)
	a := android{TTL: ttl(n, now), Notification: nt}
	if n.Callback != nil {
		a.BiTag = n.Callback.Param
	}
	return sendRequest{Data: vendors.ExtJSON(n, s.Click), Token: tokens, Android: a}
}

// dataRequest is n's id_only message: Honor's data (pass-through,
// "透传消息") message, data with the ids and ext and no notification at
// the top or in android, which Honor hands to the app without showing
// anything (vendor-protocols.md §8 Send: "data":"<string>" beside the
// optional notification; docs/rules.md "Preview privacy").
func dataRequest(n *vendors.Notification, tokens []string, now time.Time) sendRequest {
	a := android{TTL: ttl(n, now)}
	if n.Callback != nil {
		a.BiTag = n.Callback.Param
	}
	return sendRequest{Data: n.IDOnlyData(), Token: tokens, Android: a}
}

// ttl is the time left until n expires as "<seconds>s", capped at
// 1296000 s, or "" for Honor's default.
func ttl(n *vendors.Notification, now time.Time) string { return hms.TTL(n, now, maxTTL) }

// badgeOf is n's badge for the certificate's badge class: setNum when n
// sets the badge, else addNum when it raises it, clamped to 0..99 and
// 1..99; nil without a class or a badge.
func badgeOf(n *vendors.Notification, class string) *badge {
	if num, ok := hms.Badge(n, class, maxBadge); ok {
		return &badge{SetNum: &num, BadgeClass: class}
	}
	if n.BadgeAdd == nil || class == "" || *n.BadgeAdd <= 0 {
		return nil
	}
	return &badge{AddNum: min(*n.BadgeAdd, maxBadge), BadgeClass: class}
}

// styleBigText is style 1, the big-text style: bigTitle and bigBody show
// the whole text (Tencent's PushStyle 1) [vendor-protocols.md §8 Send].
const styleBigText = 1

// applyStyle sets n's image and, for the big-text style, the big title and
// body.
func applyStyle(nt *notification, n *vendors.Notification) {
	nt.Image = n.Image
	if n.Android.BigText {
		nt.Style, nt.BigTitle, nt.BigBody = styleBigText, n.Title, n.Body
	}
}
