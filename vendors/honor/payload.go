package honor

import (
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// maxBodyBytes is the body limit, tokens excluded: Honor's API is a fork
// of Huawei's and vendors.LimitsOf gives both 4096 bytes [§8, UNCERTAIN].
// The other limits are internal/hms's (maxTTL, badge, tag).
const maxBodyBytes = hms.MaxBodyBytes

// settings are the certificate values a message needs.
type settings = hms.Settings

func settingsOf(cred *vendors.Credential) (settings, error) {
	return hms.SettingsOf(vendors.Honor, cred, nil)
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
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	ClickAction hms.ClickAction `json:"clickAction"`
	Importance  string          `json:"importance,omitempty"`
	Badge       *badge          `json:"badge,omitempty"`
	NotifyID    int             `json:"notifyId,omitempty"`
	Tag         string          `json:"tag,omitempty"`
	// Image is the https URL of the icon; Style 1 with BigTitle and
	// BigBody is the big-text style [vendor-protocols.md §8 Send].
	Image    string `json:"image,omitempty"`
	Style    int    `json:"style,omitempty"`
	BigTitle string `json:"bigTitle,omitempty"`
	BigBody  string `json:"bigBody,omitempty"`
}

// badge is the launcher badge: setNum sets it, addNum raises it on the
// device (a binding whose count pushd does not keep); setNum wins
// [vendor-protocols.md §8].
type badge struct {
	AddNum int    `json:"addNum,omitempty"`
	SetNum *int   `json:"setNum,omitempty"`
	Class  string `json:"badgeClass"`
}

// buildBody returns the JSON body of one message to tokens, shrunk to
// maxBodyBytes (tokens excluded); an ext too large to fit is Rejected.
func buildBody(n vendors.Notification, s settings, tokens []string, now time.Time) ([]byte, error) {
	return hms.Body(vendors.Honor, hms.Limits(), n, s, tokens, now, newRequest)
}

// newRequest maps n onto Honor's fields; a silent push is importance LOW
// (hms.ImportanceSilent): Honor has no sound field. An id_only n is
// Honor's data (pass-through, "透传消息") message: data with the ids and
// ext and no notification at the top or in android, which Honor hands to
// the app without showing anything (vendor-protocols.md §8 Send:
// "data":"<string>" beside the optional notification; docs/rules.md
// "Preview privacy").
func newRequest(n *vendors.Notification, s settings, tokens []string, now time.Time) sendRequest {
	a := android{TTL: hms.TTL(n, now), BiTag: hms.BiTag(n)}
	if n.IDOnly() {
		return sendRequest{Data: n.IDOnlyData(), Token: tokens, Android: a}
	}
	c := hms.NotificationOf(n, s)
	a.Notification = &notification{Title: c.Title, Body: c.Body, ClickAction: c.Click, Importance: c.Importance,
		Badge: (*badge)(c.Badge), NotifyID: c.NotifyID, Tag: c.Tag,
		Image: c.Image, Style: c.Style, BigTitle: c.BigTitle, BigBody: c.BigBody}
	callClass(n, a.Notification)
	return sendRequest{Data: vendors.ExtJSON(n, s.Click), Token: tokens, Android: a}
}
