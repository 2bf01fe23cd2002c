package hms

import (
	"fmt"
	"time"

	"github.com/pushd/pushd/vendors"
)

// The notification facts Huawei and Honor share, Honor's send API being a
// fork of Huawei's [vendor-protocols.md §4 android.notification, §8 Send;
// HMSGO constants; HONORGO model.go].
const (
	// ClickIntent, ClickURL and ClickApp are the click action types: open
	// an app page by intent or action, open a URL, open the app.
	ClickIntent = 1
	ClickURL    = 2
	ClickApp    = 3
	// MaxTTL is the 15-day ceiling of android.ttl [§4, UNCERTAIN for
	// Huawei v1]; a longer expiry is capped rather than refused.
	MaxTTL = 1296000 * time.Second
	// MaxBadge is the largest badge number (set_num, setNum).
	MaxBadge = 99
	// MaxTag bounds the collapse tag derived from the message id.
	MaxTag = 64
	// StyleBigText is style 1, the big-text style: the big title and body
	// show the whole text (Tencent's PushStyle 1) [§4, §8].
	StyleBigText = 1
	// ImportanceSilent is the importance of a silent push (push.no_sound):
	// LOW is Huawei's "information and marketing" class, shown without
	// ringtone or vibration, and Android's "not audibly intrusive" level
	// for Honor, which has no sound field [§4 Classification, §8
	// importance; Huawei's 2023 notification rules as summarised at
	// help.aliyun.com/en/document_detail/2539603.html].
	ImportanceSilent = "LOW"
)

// Settings are the certificate values a message needs (Honor has no
// channel id or category and leaves them empty).
type Settings struct {
	AppID      string
	ChannelID  string
	Category   string
	Importance string
	BadgeClass string
	Click      vendors.Click
}

// SettingsOf reads the Settings of cred. check, when set, refuses a click
// action the vendor cannot open; a refusal names the vendor and the
// certificate.
func SettingsOf(v vendors.Vendor, cred *vendors.Credential, check func(vendors.Click) error) (Settings, error) {
	click, err := cred.Click.Normalize()
	if err == nil && check != nil {
		err = check(click)
	}
	if err != nil {
		return Settings{}, fmt.Errorf("%s certificate %d: %w", v, cred.ID, err)
	}
	return Settings{
		AppID:      cred.Field(vendors.FieldAppID),
		ChannelID:  cred.Field(vendors.FieldChannelID),
		Category:   cred.Field(vendors.FieldCategory),
		Importance: cred.Field(vendors.FieldImportance),
		BadgeClass: cred.Field(vendors.FieldBadgeClass),
		Click:      click,
	}, nil
}

// Notification is what Huawei's and Honor's android.notification share.
// Each vendor copies it onto its own wire fields; its Badge converts to the
// vendor's tagged badge directly. Image is the https URL of the icon;
// Style StyleBigText with BigTitle and BigBody is the big-text style.
type Notification struct {
	Title, Body string
	Click       ClickAction
	Importance  string
	NotifyID    int
	Tag         string
	Badge       *Badge
	Image       string
	Style       int
	BigTitle    string
	BigBody     string
}

// Badge is the launcher badge: SetNum sets it, AddNum raises it on the
// device (a binding whose count pushd does not keep); SetNum wins
// [vendor-protocols.md §4 Badge, §8].
type Badge struct {
	AddNum int
	SetNum *int
	Class  string
}

// NotificationOf is the shared part of n's notification for the
// certificate's settings s: the job's importance over the certificate's
// (LOW when silent), the click action, the ids of the message it replaces,
// the badge, the image and the style.
func NotificationOf(n *vendors.Notification, s Settings) Notification {
	nt := Notification{Title: n.Title, Body: n.Body, Importance: Pick(n.Android.Importance, s.Importance),
		Click: Click(n, s.Click, ClickTypes{Intent: ClickIntent, URL: ClickURL, App: ClickApp}),
		Badge: BadgeOf(n, s.BadgeClass), Image: n.Image}
	if n.Silent {
		nt.Importance = ImportanceSilent
	}
	nt.NotifyID, nt.Tag = IDs(replaceIDs(n), MaxTag)
	if n.Android.BigText {
		nt.Style, nt.BigTitle, nt.BigBody = StyleBigText, n.Title, n.Body
	}
	return nt
}

// BadgeOf is n's badge for the certificate's badge class: SetNum when n
// sets the badge, else AddNum when it raises it, clamped to 0..MaxBadge
// and 1..MaxBadge; nil without a class or a badge.
func BadgeOf(n *vendors.Notification, class string) *Badge {
	if class == "" {
		return nil
	}
	if n.Badge != nil {
		num := min(max(*n.Badge, 0), MaxBadge)
		return &Badge{SetNum: &num, Class: class}
	}
	if n.BadgeAdd == nil || *n.BadgeAdd <= 0 {
		return nil
	}
	return &Badge{AddNum: min(*n.BadgeAdd, MaxBadge), Class: class}
}

// replaceIDs returns n, or a copy whose ID is n.Replaces: the notify id
// and tag then replace the notification of that message (a call's cancel
// replaces the call).
func replaceIDs(n *vendors.Notification) *vendors.Notification {
	if n.Replaces == "" {
		return n
	}
	c := *n
	c.ID = n.Replaces
	return &c
}

// BiTag is the signed reference the receipts echo (n's callback
// parameter), or "" without a callback.
func BiTag(n *vendors.Notification) string {
	if n.Callback == nil {
		return ""
	}
	return n.Callback.Param
}

// TTL is the time left until n expires as "<seconds>s", capped at MaxTTL,
// or "" for the vendor's default.
func TTL(n *vendors.Notification, now time.Time) string {
	if n.ExpireAt.IsZero() {
		return ""
	}
	return fmt.Sprintf("%ds", int64(min(n.TTL(now, 0), MaxTTL)/time.Second))
}
