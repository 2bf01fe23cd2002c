package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// This file holds the HarmonyOS fake's request rules
// [vendor-protocols-harmony.md §2; HWSTRUCT, HWPARAM]. Unknown members of
// the request, pushOptions and notification are refused with the code of
// their part: stricter than Push Kit may be [UNCERTAIN], so a misspelt
// member fails a test instead of being ignored.

// Push Kit limits the fake enforces [§0, §2].
const (
	hmMaxTokens     = 1000
	hmMaxTestTokens = 10
	hmMaxBody       = 4096
	hmMaxTTL        = 1296000
	hmMaxBadge      = 99
)

var (
	// hmTokenRE is the token shape the fake accepts [§5].
	hmTokenRE = regexp.MustCompile(`^[0-9A-Za-z+/=_-]{1,512}$`)
	// hmAppMessageIDRE is appMessageId's alphabet.
	hmAppMessageIDRE = regexp.MustCompile(`^[0-9A-Za-z+/=_ -]{1,64}$`)
	// hmPushTypes are the push-type header values.
	hmPushTypes = []string{"0", "1", "2", "6", "7", "10"}
	// hmCategories are the categories of the current list; PLAY_VOICE is
	// push-type 2's.
	hmCategories = []string{"IM", "VOIP", "MISS_CALL", "SUBSCRIPTION", "TRAVEL", "HEALTH", "WORK", "ACCOUNT",
		"EXPRESS", "FINANCE", "DEVICE_REMINDER", "MAIL", "MARKETING"}
	// hmRetiredCategories are HWDEMO's that the current list folds into
	// MARKETING: accepted with a warning.
	hmRetiredCategories = []string{"SYSTEM_REMINDER", "CUSTOMER_SERVICE", "NEWS", "CONTENT_RECOMMENDATION",
		"SOCIAL_DYNAMICS", "PROMO"}
)

// hmRequest is a decoded send body.
type hmRequest struct {
	Payload json.RawMessage `json:"payload"`
	Target  *struct {
		Token json.RawMessage `json:"token"`
	} `json:"target"`
	PushOptions json.RawMessage `json:"pushOptions"`
	tokenList   []string
	options     hmOptions
}

type hmOptions struct {
	TestMessage    *bool   `json:"testMessage"`
	TTL            *int64  `json:"ttl"`
	BiTag          *string `json:"biTag"`
	ReceiptID      *string `json:"receiptId"`
	CollapseKey    *int    `json:"collapseKey"`
	BackgroundMode *int    `json:"backgroundMode"`
}

func (r *hmRequest) tokens() []string { return r.tokenList }

func (r *hmRequest) test() bool { return r.options.TestMessage != nil && *r.options.TestMessage }

// hmDecode reads a send body and how many bytes its token array takes
// (the size limit does not count them).
func hmDecode(body []byte) (*hmRequest, int, error) {
	r := &hmRequest{}
	if err := strictJSON(body, r); err != nil {
		return r, 0, err
	}
	if r.Target == nil {
		return r, 0, nil
	}
	_ = json.Unmarshal(r.Target.Token, &r.tokenList)
	return r, len(r.Target.Token), nil
}

// strictJSON decodes b into v refusing unknown members and trailing data.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// hmCheck validates one request; it collects warnings and the reason that
// fails every token, if any.
type hmCheck struct {
	pushType  string
	body      int
	warnings  []string
	allReason string
}

// request checks the header, the top level, pushOptions and the target,
// then the payload of the push-type, and returns the first violation's
// code and message, or "".
func (v *hmCheck) request(r *hmRequest, decodeErr error) (string, string) {
	switch {
	case !slices.Contains(hmPushTypes, v.pushType):
		return HarmonyBadParam, "Check Parameter Error: push-type must be one of 0, 1, 2, 6, 7, 10"
	case decodeErr != nil:
		return HarmonyBadParam, "Check Parameter Error: the body is not a request (payload, target, pushOptions)"
	case len(r.Payload) == 0 || r.Payload[0] != '{':
		return HarmonyBadPayload, "Illegal payload, payload must be an object"
	case r.Target == nil || r.Target.Token == nil || (len(r.tokenList) == 0 && string(r.Target.Token) != "[]"):
		return HarmonyBadParam, "Check Parameter Error: target.token must be an array of strings"
	}
	if code, msg := v.options(r); code != "" {
		return code, msg
	}
	n, max := len(r.tokenList), hmMaxTokens
	if v.pushType == "1" {
		max = 1
	}
	switch {
	case n == 0 || n > max:
		return HarmonyTokenCount, fmt.Sprintf("token count should within 1 and %d.", max)
	case r.test() && n > hmMaxTestTokens:
		return HarmonyTestTokens, harmonyMessages[HarmonyTestTokens]
	case v.body > hmMaxBody:
		return HarmonyTooLarge, harmonyMessages[HarmonyTooLarge]
	}
	return v.payload(r.Payload)
}

// options checks pushOptions.
func (v *hmCheck) options(r *hmRequest) (string, string) {
	if len(r.PushOptions) == 0 || string(r.PushOptions) == "null" {
		return "", ""
	}
	o := &r.options
	if err := strictJSON(r.PushOptions, o); err != nil {
		return HarmonyBadParam, "Check Parameter Error: pushOptions: " + err.Error()
	}
	switch {
	case o.TTL != nil && *o.TTL < 1:
		return HarmonyBadTTL, harmonyMessages[HarmonyBadTTL]
	case o.TTL != nil && *o.TTL > hmMaxTTL:
		return HarmonyBadParam, "Check Parameter Error: ttl must be at most 1296000"
	case o.BiTag != nil && len(*o.BiTag) > 64:
		return HarmonyBadParam, "Check Parameter Error: biTag is longer than 64 bytes"
	case o.CollapseKey != nil && (*o.CollapseKey < -1 || *o.CollapseKey > 100 || (v.pushType != "0" && v.pushType != "2")):
		return HarmonyBadParam, "Check Parameter Error: collapseKey is -1..100, push-types 0 and 2 only"
	case o.BackgroundMode != nil && (v.pushType != "6" || (*o.BackgroundMode != 0 && *o.BackgroundMode != 1)):
		return HarmonyBadParam, "Check Parameter Error: backgroundMode is 0 or 1, push-type 6 only"
	}
	return "", ""
}

// payload checks the payload of the push-type: the whole notification for
// alerts, the required members of the others.
func (v *hmCheck) payload(raw json.RawMessage) (string, string) {
	var p map[string]json.RawMessage
	_ = json.Unmarshal(raw, &p)
	switch v.pushType {
	case "0":
		if len(p) != 1 || p["notification"] == nil {
			return HarmonyBadPayload, "Illegal payload, an alert payload is {\"notification\": {...}}"
		}
		return v.notification(p["notification"])
	case "1":
		return hmRequire(p, map[string]byte{"formId": '0', "version": '0', "moduleName": '"', "formName": '"', "abilityName": '"', "formData": '{'})
	case "2":
		if code, msg := hmRequire(p, map[string]byte{"notification": '{', "extraData": '"'}); code != "" {
			return code, msg
		}
		var n struct{ Category string }
		if json.Unmarshal(p["notification"], &n) != nil || n.Category != "PLAY_VOICE" {
			return HarmonyBadPayload, "Illegal payload, a voice broadcast's category is PLAY_VOICE"
		}
	case "6", "10":
		return hmRequire(p, map[string]byte{"extraData": '"'})
	case "7":
		return hmRequire(p, map[string]byte{"activityId": '0', "operation": '0', "event": '"', "activityData": '{'})
	}
	return "", ""
}

// hmRequire checks that each member is present with the JSON kind its
// first byte says ('0' a number, '"' a string, '{' an object).
func hmRequire(p map[string]json.RawMessage, members map[string]byte) (string, string) {
	for name, kind := range members {
		raw := bytes.TrimSpace(p[name])
		ok := len(raw) > 0 && (raw[0] == kind || (kind == '0' && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')))
		if !ok {
			return HarmonyBadPayload, "Illegal payload, " + name + " is required"
		}
	}
	return "", ""
}

// hmNotification is a push-type 0 notification.
type hmNotification struct {
	Category     *string  `json:"category"`
	Title        *string  `json:"title"`
	Body         *string  `json:"body"`
	Image        *string  `json:"image"`
	Style        *int     `json:"style"`
	BigTitle     *string  `json:"bigTitle"`
	BigBody      *string  `json:"bigBody"`
	NotifyID     *int64   `json:"notifyId"`
	AppMessageID *string  `json:"appMessageId"`
	ProfileID    *string  `json:"profileId"`
	InboxContent []string `json:"inboxContent"`
	ClickAction  *hmClick `json:"clickAction"`
	Badge        *struct {
		AddNum *int `json:"addNum"`
		SetNum *int `json:"setNum"`
	} `json:"badge"`
	Sound          *string `json:"sound"`
	SoundDuration  *int    `json:"soundDuration"`
	ForegroundShow *bool   `json:"foregroundShow"`
}

type hmClick struct {
	ActionType *int            `json:"actionType"`
	Action     string          `json:"action"`
	URI        string          `json:"uri"`
	Data       json.RawMessage `json:"data"`
}

// notification checks the Notification rules of §2, a badge-only update
// included.
func (v *hmCheck) notification(raw json.RawMessage) (string, string) {
	var n hmNotification
	if err := strictJSON(raw, &n); err != nil {
		return HarmonyBadPayload, "Illegal payload, notification: " + err.Error()
	}
	if code, msg := hmBadge(&n); code != "" {
		return code, msg
	}
	if n.Badge != nil && n.Title == nil && n.Body == nil && n.ClickAction == nil {
		return "", "" // a badge-only update: no category, title or body
	}
	switch c := hmStr(n.Category); {
	case slices.Contains(hmRetiredCategories, c):
		v.warnings = append(v.warnings, "category "+c+" is retired: Push Kit folds it into MARKETING")
	case c == "PLAY_VOICE":
		v.allReason = "notSupportPlayVoice"
	case !slices.Contains(hmCategories, c):
		return HarmonyBadPayload, "Illegal payload, category is required and must be one of " + strings.Join(hmCategories, ", ")
	}
	switch {
	case hmStr(n.Title) == "" || hmStr(n.Body) == "":
		return HarmonyBadPayload, "Illegal payload, title and body are required"
	case n.Image != nil && !strings.HasPrefix(*n.Image, "https://"):
		return HarmonyBadPayload, "Illegal payload, image must be an https url"
	case n.NotifyID != nil && (*n.NotifyID < -1 || *n.NotifyID > 2147483647):
		return HarmonyBadPayload, "Illegal payload, notifyId ranges from -1 to 2147483647"
	case n.AppMessageID != nil && !hmAppMessageIDRE.MatchString(*n.AppMessageID):
		return HarmonyBadPayload, "Illegal payload, appMessageId is 1 to 64 of letters, digits, +/=-_ and spaces"
	case n.ProfileID != nil && utf8.RuneCountInString(*n.ProfileID) > 64:
		return HarmonyBadPayload, "Illegal payload, profileId is at most 64 characters"
	case n.SoundDuration != nil && (n.Sound == nil || *n.SoundDuration < 1 || *n.SoundDuration > 60):
		return HarmonyBadPayload, "Illegal payload, soundDuration ranges from 1 to 60 and needs sound"
	case n.Sound != nil && *n.Sound == "":
		return HarmonyBadPayload, "Illegal payload, sound must name a file in resources/rawfile"
	}
	if code, msg := hmStyle(&n); code != "" {
		return code, msg
	}
	return hmClickAction(n.ClickAction)
}

// hmBadge checks badge.addNum 1..99 and badge.setNum 0..99.
func hmBadge(n *hmNotification) (string, string) {
	b := n.Badge
	switch {
	case b == nil:
	case b.AddNum != nil && (*b.AddNum < 1 || *b.AddNum > hmMaxBadge):
		return HarmonyBadPayload, "Illegal payload, badge addNum value ranges from 1 to 99"
	case b.SetNum != nil && (*b.SetNum < 0 || *b.SetNum > hmMaxBadge):
		return HarmonyBadPayload, "Illegal payload, badge setNum value ranges from 0 to 99"
	}
	return "", ""
}

// hmStyle checks style 0 (normal), 1 (big text) and 3 (inbox).
func hmStyle(n *hmNotification) (string, string) {
	style := 0
	if n.Style != nil {
		style = *n.Style
	}
	switch {
	case style != 0 && style != 1 && style != 3:
		return HarmonyBadPayload, "Illegal payload, style must be 0, 1 or 3"
	case style == 1 && (hmStr(n.BigTitle) == "" || hmStr(n.BigBody) == ""):
		return HarmonyBadPayload, "Illegal payload, style 1 needs bigTitle and bigBody"
	case style == 3 && (len(n.InboxContent) == 0 || len(n.InboxContent) > 3):
		return HarmonyBadPayload, "Illegal payload, style 3 needs 1 to 3 inboxContent lines"
	}
	for _, line := range n.InboxContent {
		if utf8.RuneCountInString(line) > 1024 {
			return HarmonyBadPayload, "Illegal payload, an inboxContent line is at most 1024 characters"
		}
	}
	return "", ""
}

// hmClickAction checks a notification's click action: 0 opens the home
// page, 1 an in-app page by action or uri; data is a JSON object.
func hmClickAction(c *hmClick) (string, string) {
	switch {
	case c == nil || c.ActionType == nil:
		return HarmonyBadPayload, "Illegal payload, clickAction with actionType is required"
	case *c.ActionType != 0 && *c.ActionType != 1:
		return HarmonyBadPayload, "Illegal payload, a notification's actionType is 0 or 1"
	case *c.ActionType == 1 && c.Action == "" && c.URI == "":
		return HarmonyBadPayload, "Illegal payload, actionType 1 needs action or uri"
	}
	if len(c.Data) > 0 {
		var obj map[string]any
		if json.Unmarshal(c.Data, &obj) != nil || obj == nil {
			return HarmonyBadPayload, "Illegal payload, clickAction.data must be a JSON object"
		}
	}
	return "", ""
}

func hmStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
