package dispatcher

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The character set of each kind of id (docs/security.md). Ids end up in
// Redis keys, task ids, vendor requests and logs, so none may hold a
// control character (Cc), a format character (Cf: zero-width spaces and
// joiners, bidi overrides, which make two ids look alike), a line or
// paragraph separator, or invalid UTF-8.
const (
	// MaxAppIDBytes bounds app_id.
	MaxAppIDBytes = 64
	// MaxUserIDBytes bounds a user id (sender.user_id, recipients,
	// mentions) and group.id, as the device registry does.
	MaxUserIDBytes = 256
)

// CheckAppID applies the app_id rule: 1 to 64 characters of A-Z a-z 0-9
// . _ - (ASCII only, so an app id is never two look-alike strings and never
// holds the colon the Redis keys are built with).
func CheckAppID(field, id string) error {
	if id == "" {
		return fieldErr(field, "required")
	}
	if len(id) > MaxAppIDBytes {
		return fieldErr(field, "%d bytes, at most %d allowed", len(id), MaxAppIDBytes)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fieldErr(field, "must be 1-%d characters of A-Z a-z 0-9 . _ -", MaxAppIDBytes)
		}
	}
	return nil
}

// CheckUserID applies the rule of user and group ids: 1 to 256 bytes of
// UTF-8 that is not blank, without control, format (zero-width) or
// line-separator characters. Spaces inside are allowed: the device registry
// has always accepted them.
func CheckUserID(field, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return fieldErr(field, "required")
	case len(id) > MaxUserIDBytes:
		return fieldErr(field, "%d bytes, at most %d allowed", len(id), MaxUserIDBytes)
	case !utf8.ValidString(id):
		return fieldErr(field, "invalid UTF-8")
	}
	if i := strings.IndexFunc(id, hiddenRune); i >= 0 {
		return fieldErr(field, "must not contain control or invisible characters (U+%04X at byte %d)", rune0(id[i:]), i)
	}
	return nil
}

// CheckMsgID applies the msg_id rule: 1 to 128 bytes, no whitespace,
// braces, control or format characters.
func CheckMsgID(field, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return fieldErr(field, "required")
	case len(id) > MaxMsgIDBytes:
		return fieldErr(field, "%d bytes, at most %d allowed", len(id), MaxMsgIDBytes)
	case !utf8.ValidString(id):
		return fieldErr(field, "invalid UTF-8")
	}
	for _, r := range id {
		if hiddenRune(r) || unicode.IsSpace(r) || r == '{' || r == '}' {
			return fieldErr(field, "must be printable without spaces, braces or invisible characters")
		}
	}
	return nil
}

// CheckDeviceToken applies the device token rule: 1 to 4096 bytes of
// printable ASCII without spaces or commas. Every vendor's tokens are ASCII
// (hex for APNs, [A-Za-z0-9:_-] for FCM, base64-like regIds for Xiaomi,
// Meizu, OPPO, vivo, Huawei, Honor), and Xiaomi and Meizu split the regId
// list of one request on commas (vendor-protocols.md: Xiaomi
// registration_id "comma-separated, up to 1000"; Meizu pushIds
// "comma-separated"), so a comma inside one token would push to several
// devices.
func CheckDeviceToken(field, tok string) error {
	switch {
	case tok == "":
		return fieldErr(field, "required")
	case len(tok) > MaxTokenBytes:
		return fieldErr(field, "longer than %d bytes", MaxTokenBytes)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return fieldErr(field, "must be printable ASCII without spaces or commas (byte %d)", i)
		}
	}
	return nil
}

// hiddenRune reports characters no id may hold: control and format
// characters, line and paragraph separators, and the replacement character
// of invalid UTF-8.
func hiddenRune(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || r == utf8.RuneError
}

func rune0(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}
