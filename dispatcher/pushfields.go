package dispatcher

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The checks of offline_push's vendor options (Tencent's OfflinePushInfo,
// field by field: docs/rules.md, "OfflinePushInfo field by field"), called
// by OfflinePush.validate.

// validateBadges checks Tencent's BadgeAddNum (1–99) and BadgeSetNum
// (0–999, APNs' range; Huawei and Honor cap it at 99) [tencent-rest-format.md
// §1.1, S1].
func (p *OfflinePush) validateBadges() error {
	if err := checkIntRange("offline_push.badge_add", p.BadgeAdd, 1, 99); err != nil {
		return err
	}
	return checkIntRange("offline_push.badge_set", p.BadgeSet, 0, 999)
}

// maxLanguages bounds offline_push.languages: one entry per language an
// app ships is far fewer.
const maxLanguages = 64

// validateLanguages checks Tencent's MultiLanguageContent: a valid tag per
// entry, each language once, and a title or a desc.
func (p *OfflinePush) validateLanguages() error {
	if len(p.Languages) > maxLanguages {
		return fieldErr("offline_push.languages", "%d entries, at most %d", len(p.Languages), maxLanguages)
	}
	seen := map[string]int{}
	for i, l := range p.Languages {
		f := fmt.Sprintf("offline_push.languages[%d]", i)
		if !ValidLanguageTag(l.Language) {
			return fieldErr(f+".language", "not a language tag (\"en\", \"zh-hant\", \"pt-BR\"): %q", l.Language)
		}
		key := languageKey(l.Language)
		if first, dup := seen[key]; dup {
			return fieldErr(f+".language", "%q is already offline_push.languages[%d]", l.Language, first)
		}
		seen[key] = i
		if strings.TrimSpace(l.Title) == "" && strings.TrimSpace(l.Desc) == "" {
			return fieldErr(f, "needs a title or a desc")
		}
	}
	return nil
}

// validate checks Tencent's AndroidInfo values as each vendor documents
// them [tencent-rest-format.md §1.2; vendor-protocols.md §2–§9].
func (a *AndroidPush) validate() error {
	const f = "offline_push.android."
	switch {
	case a.PushStyle != 0 && a.PushStyle != 1:
		return fieldErr(f+"push_style", "must be 0 (default) or 1 (big text), got %d", a.PushStyle)
	case a.OPPONotifyLevel != 0 && a.OPPONotifyLevel != 1 && a.OPPONotifyLevel != 2 && a.OPPONotifyLevel != 16:
		return fieldErr(f+"oppo_notify_level", "must be 1 (bar), 2 (bar and lock screen) or 16 (bar, lock screen, banner, vibration, ring), got %d", a.OPPONotifyLevel)
	case a.OPPONotifyLevel != 0 && a.OPPOCategory == "":
		return fieldErr(f+"oppo_notify_level", "needs oppo_category (OPPO refuses a notify level without a category)")
	case a.VivoNotifyType < 0 || a.VivoNotifyType > 4:
		return fieldErr(f+"vivo_notify_type", "must be 1 (none), 2 (ring), 3 (vibrate) or 4 (ring and vibrate), got %d", a.VivoNotifyType)
	case a.HonorImportance != "" && a.HonorImportance != "LOW" && a.HonorImportance != "NORMAL":
		return fieldErr(f+"honor_importance", "must be LOW or NORMAL, got %q", a.HonorImportance)
	case a.FCMPriority != "" && a.FCMPriority != "normal" && a.FCMPriority != "high":
		return fieldErr(f+"fcm_priority", "must be normal or high, got %q", a.FCMPriority)
	case a.MeizuNoticeMsgType != nil && *a.MeizuNoticeMsgType != 0 && *a.MeizuNoticeMsgType != 1:
		return fieldErr(f+"meizu_notice_msg_type", "must be 0 (public) or 1 (private), got %d", *a.MeizuNoticeMsgType)
	case strings.ContainsAny(a.Sound, "/\\") || !optionText(a.Sound):
		return fieldErr(f+"sound", "must be a res/raw file name (\"shake\"), at most %d bytes", MaxOptionBytes)
	}
	for _, o := range []struct{ name, v string }{{"huawei_image", a.HuaweiImage}, {"honor_image", a.HonorImage},
		{"fcm_image", a.FCMImage}} {
		if err := checkHTTPS(f+o.name, o.v); err != nil {
			return err
		}
	}
	for _, o := range []struct{ name, v string }{{"oppo_category", a.OPPOCategory},
		{"oppo_private_template_id", a.OPPOPrivateTemplateID}, {"honor_importance", a.HonorImportance}} {
		if !optionText(o.v) {
			return fieldErr(f+o.name, "must be valid UTF-8 of at most %d bytes", MaxOptionBytes)
		}
	}
	if err := checkParams(f+"oppo_private_title_parameters", a.OPPOPrivateTitleParameters); err != nil {
		return err
	}
	return checkParams(f+"oppo_private_content_parameters", a.OPPOPrivateContentParams)
}

// interruptionLevels are aps.interruption-level's values (iOS 15+,
// vendor-protocols.md §1 payload fields).
var interruptionLevels = map[string]bool{"passive": true, "active": true, "time-sensitive": true, "critical": true}

// validate checks Tencent's ApnsInfo values [tencent-rest-format.md §1.3].
func (a *APNsPush) validate() error {
	const f = "offline_push.apns."
	if a.InterruptionLevel != "" && !interruptionLevels[a.InterruptionLevel] {
		return fieldErr(f+"interruption_level", "must be passive, active, time-sensitive or critical, got %q", a.InterruptionLevel)
	}
	// Apple never fetches apns.image: it is a key of the payload the
	// app's notification service extension reads, so any text the app
	// understands is carried (Tencent's own examples send
	// "www.image.com"); the Android vendors' images must be https.
	for _, o := range []struct{ name, v string }{{"title", a.Title}, {"subtitle", a.Subtitle}, {"image", a.Image}} {
		if !utf8.ValidString(o.v) || len(o.v) > maxAPNsText {
			return fieldErr(f+o.name, "must be valid UTF-8 of at most %d bytes", maxAPNsText)
		}
	}
	return nil
}

// maxAPNsText bounds apns.title and apns.subtitle: APNs' whole payload is
// 4096 bytes.
const maxAPNsText = 1024

// harmonyCategories are Push Kit's notification categories
// [vendor-protocols-harmony.md, notification table].
var harmonyCategories = map[string]bool{"IM": true, "VOIP": true, "MISS_CALL": true, "SUBSCRIPTION": true,
	"TRAVEL": true, "HEALTH": true, "WORK": true, "ACCOUNT": true, "EXPRESS": true, "FINANCE": true,
	"DEVICE_REMINDER": true, "MAIL": true, "PLAY_VOICE": true, "MARKETING": true}

// validate checks Tencent's HarmonyInfo values as Push Kit documents them
// [vendor-protocols-harmony.md; tencent-rest-format.md §1.4].
func (h *HarmonyPush) validate() error {
	const f = "offline_push.harmony."
	switch {
	case h.Category != "" && !harmonyCategories[h.Category]:
		return fieldErr(f+"category", "not a Push Kit category (IM, VOIP, MISS_CALL, SUBSCRIPTION, …, MARKETING): %q", h.Category)
	case h.SoundDuration != 0 && (h.SoundDuration < 1 || h.SoundDuration > 60):
		return fieldErr(f+"sound_duration", "must be 1 to 60 seconds, got %d", h.SoundDuration)
	case h.SoundDuration != 0 && h.Sound == "":
		return fieldErr(f+"sound_duration", "needs sound")
	case !optionText(h.Sound) || strings.ContainsAny(h.Sound, "/\\"):
		return fieldErr(f+"sound", "must be a file name in resources/rawfile, at most %d bytes", MaxOptionBytes)
	case !utf8.ValidString(h.Title) || len(h.Title) > maxAPNsText:
		return fieldErr(f+"title", "must be valid UTF-8 of at most %d bytes", maxAPNsText)
	}
	return checkHTTPS(f+"image", h.Image)
}

// optionText reports a valid UTF-8 option of at most MaxOptionBytes.
func optionText(s string) bool { return len(s) <= MaxOptionBytes && utf8.ValidString(s) }

// maxImageURL bounds an image URL; vendors download it, none documents
// a longer one.
const maxImageURL = 1024

// checkHTTPS refuses a non-empty v that is not an absolute https URL with a
// host: Huawei, Honor and HarmonyOS download only https images, and APNs'
// and FCM's clients fetch the same way [tencent-rest-format.md §1.2].
func checkHTTPS(field, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(v) > maxImageURL || !utf8.ValidString(v) ||
		strings.ContainsAny(v, " \t\r\n") {
		return fieldErr(field, "must be an https:// URL of at most %d bytes", maxImageURL)
	}
	return nil
}

// checkIntRange refuses a set v outside [lo, hi].
func checkIntRange(field string, v *int, lo, hi int) error {
	if v != nil && (*v < lo || *v > hi) {
		return fieldErr(field, "must be between %d and %d, got %d", lo, hi, *v)
	}
	return nil
}

// maxTemplateParams bounds an OPPO template's parameters.
const maxTemplateParams = 16

// checkParams checks OPPO private-template parameters: a few short names
// and values.
func checkParams(field string, m map[string]string) error {
	if len(m) > maxTemplateParams {
		return fieldErr(field, "%d parameters, at most %d", len(m), maxTemplateParams)
	}
	for k, v := range m {
		if k == "" || !optionText(k) || !optionText(v) {
			return fieldErr(field+"."+k, "names must be non-empty; names and values valid UTF-8 of at most %d bytes", MaxOptionBytes)
		}
	}
	return nil
}
