package harmony

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// Limits and values of the v3 send API [vendor-protocols-harmony.md §0, §2;
// HWSTRUCT, HWPARAM].
const (
	// maxBodyBytes is the request limit, tokens excluded (80300008).
	maxBodyBytes = 4096
	// maxTTL is pushOptions.ttl's ceiling (15 days); a later expiry is
	// capped rather than refused.
	maxTTL = 1296000 * time.Second
	// maxBadge is the largest badge.setNum.
	maxBadge = 99
	// defaultCategory is the category of a message whose job and
	// certificate name none: pushd delivers chat messages. Without the
	// self-classification right Push Kit treats it as MARKETING.
	defaultCategory = "IM"
	// categoryVoIP is the category of a call.
	categoryVoIP = "VOIP"
)

// push-type header values [§0; HWSTRUCT]. pushd sends notifications only.
const (
	pushTypeAlert = "0" // notification (and badge-only update)
)

// clickAction.actionType values of a notification [§2 Notification].
const (
	actionHome = 0 // open the app's home page
	actionPage = 1 // open an in-app page by action or uri
)

// appMessageIDRE is appMessageId's alphabet [§2: 1..64 of letters, digits,
// + / = - _ and spaces].
var appMessageIDRE = regexp.MustCompile(`^[0-9A-Za-z+/=_ -]{1,64}$`)

// Categories returns the notification categories of push-type 0
// [§2 Notification]: PLAY_VOICE belongs to push-type 2, which pushd does
// not send.
func Categories() []string {
	return []string{"IM", "VOIP", "MISS_CALL", "SUBSCRIPTION", "TRAVEL", "HEALTH", "WORK", "ACCOUNT",
		"EXPRESS", "FINANCE", "DEVICE_REMINDER", "MAIL", "MARKETING"}
}

// settings are the certificate values a message needs.
type settings struct {
	ProjectID string
	Category  string
	// Test marks a development certificate: every message is a test
	// message.
	Test  bool
	Click vendors.Click
}

// errURLClick is why a URL click action is refused.
const errURLClick = "url opens no page on HarmonyOS: notifications open app pages only; use intent with an ability action or uri"

// settingsOf reads the certificate values a message needs. A notification
// opens an app page, never a web page, so a URL click action is refused
// here, once, rather than on every send.
func settingsOf(cred *vendors.Credential) (settings, error) {
	click, err := cred.Click.Normalize()
	if err == nil && click.Action == vendors.ClickURL {
		err = fmt.Errorf("click_action: %s", errURLClick)
	}
	if err != nil {
		return settings{}, fmt.Errorf("harmony certificate %d: %w", cred.ID, err)
	}
	return settings{
		ProjectID: cred.Field(vendors.FieldProjectID),
		Category:  hms.Pick(cred.Field(vendors.FieldCategory), defaultCategory),
		Test:      cred.Field(vendors.FieldEnv) == vendors.EnvDevelopment,
		Click:     click,
	}, nil
}

// sendRequest is the body of POST /v3/{projectId}/messages:send with
// push-type 0 [§2].
type sendRequest struct {
	Payload     payload      `json:"payload"`
	Target      target       `json:"target"`
	PushOptions *pushOptions `json:"pushOptions,omitempty"`
}

type payload struct {
	Notification notification `json:"notification"`
}

type notification struct {
	Category      string      `json:"category"`
	Title         string      `json:"title"`
	Body          string      `json:"body"`
	Image         string      `json:"image,omitempty"`
	NotifyID      int         `json:"notifyId,omitempty"`
	AppMessageID  string      `json:"appMessageId,omitempty"`
	ClickAction   clickAction `json:"clickAction"`
	Badge         *badge      `json:"badge,omitempty"`
	Sound         string      `json:"sound,omitempty"`
	SoundDuration int         `json:"soundDuration,omitempty"`
}

type clickAction struct {
	ActionType int               `json:"actionType"`
	Action     string            `json:"action,omitempty"`
	URI        string            `json:"uri,omitempty"`
	Data       map[string]string `json:"data,omitempty"`
}

// badge sets the launcher badge: setNum wins over addNum on the device.
type badge struct {
	AddNum int  `json:"addNum,omitempty"`
	SetNum *int `json:"setNum,omitempty"`
}

type target struct {
	Token []string `json:"token"`
}

type pushOptions struct {
	TestMessage bool `json:"testMessage,omitempty"`
	TTL         int  `json:"ttl,omitempty"`
}

// buildBody returns the JSON body of one message to tokens, shrunk to
// 4096 bytes without the tokens by shortening the text; an ext too large
// to fit fails with a Rejected error.
func buildBody(n vendors.Notification, s settings, tokens []string, now time.Time) ([]byte, error) {
	if n.Harmony != nil && strings.TrimSpace(n.Harmony.Title) != "" {
		n.Title = n.Harmony.Title
	}
	return hms.Body(Harmony, limits(), n, s, tokens, now, newRequest)
}

// newRequest maps n onto Push Kit's fields.
func newRequest(n *vendors.Notification, s settings, tokens []string, now time.Time) sendRequest {
	h := vendors.HarmonyOptions{}
	if n.Harmony != nil {
		h = *n.Harmony
	}
	nt := notification{
		Category: hms.Pick(h.Category, s.Category), Title: n.Title, Body: n.Body, Image: h.Image,
		ClickAction: click(n, s.Click), Badge: badgeOf(n),
	}
	if n.Call && h.Category == "" {
		// A call (offline_push.voip) is Push Kit's VOIP category, which
		// needs the app's self-classification right [§2 category; HWCAT].
		nt.Category = categoryVoIP
	}
	if n.ID != "" {
		// A replacing push (a call's cancel) takes the notify id of the one
		// it replaces; the dedupe id stays its own.
		nt.NotifyID, nt.AppMessageID = vendors.NotifyID(n.ReplaceKey()), appMessageID(n.ID)
	}
	if h.Sound != "" && !n.Silent {
		nt.Sound, nt.SoundDuration = h.Sound, h.SoundDuration
	}
	r := sendRequest{Payload: payload{Notification: nt}, Target: target{Token: tokens}}
	if o := (pushOptions{TestMessage: s.Test, TTL: ttl(n, now)}); o != (pushOptions{}) {
		r.PushOptions = &o
	}
	return r
}

// click maps the certificate's click action; ext rides in data, which the
// app reads from the Want's parameters.
func click(n *vendors.Notification, c vendors.Click) clickAction {
	a := clickAction{ActionType: actionHome, Data: vendors.ExtMap(n, c)}
	if c.Action == vendors.ClickIntent {
		a.ActionType = actionPage
		if strings.Contains(c.Target, "://") {
			a.URI = c.Target
		} else {
			a.Action = c.Target
		}
	}
	return a
}

// badgeOf sets the badge to pushd's count, clamped to 0..99; nil leaves
// the badge alone.
func badgeOf(n *vendors.Notification) *badge {
	switch {
	case n.Badge != nil:
		return &badge{SetNum: vendors.IntPtr(min(max(*n.Badge, 0), maxBadge))}
	case n.BadgeAdd != nil && *n.BadgeAdd > 0:
		return &badge{AddNum: min(*n.BadgeAdd, maxBadge)}
	}
	return nil
}

// appMessageID is the message id when Push Kit's alphabet allows it, else
// a 43-character key derived from it; either way a duplicate of the same
// message is dropped by Push Kit for 24 hours.
func appMessageID(id string) string {
	if appMessageIDRE.MatchString(id) {
		return id
	}
	return vendors.ShortKey(id, 43)
}

// ttl is the time left until n expires in seconds, capped at maxTTL, or 0
// for Push Kit's default (one day).
func ttl(n *vendors.Notification, now time.Time) int {
	if n.ExpireAt.IsZero() {
		return 0
	}
	return int(min(n.TTL(now, 0), maxTTL) / time.Second)
}
