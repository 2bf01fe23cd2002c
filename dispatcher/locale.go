package dispatcher

import (
	"maps"
	"slices"
	"strings"
)

// The locales pushd ships generated text for (SPEC §4.2).
const (
	LocaleEnglish = "en"
	// LocaleChinese is Simplified Chinese; zh, zh-CN, zh-SG and zh-Hans-*
	// all resolve to it. Traditional Chinese (zh-Hant, zh-TW, zh-HK) does
	// not: it falls back to the app's locale rather than show the wrong
	// script.
	LocaleChinese = "zh-Hans"
)

// Locales lists the locales with built-in text.
func Locales() []string { return []string{LocaleEnglish, LocaleChinese} }

// LocaleText is the generated text of one locale: the placeholder of each
// non-text element type, the default title of Android notifications, the
// bodies of the sender_only and hidden previews, and the texts that
// replace a recalled or read notification.
type LocaleText struct {
	// Placeholders maps an element type (image, sound, video, file,
	// location, face, merger) to the text that stands for it.
	Placeholders map[string]string `mapstructure:"placeholders" yaml:"placeholders" json:"placeholders,omitempty"`
	DefaultTitle string            `mapstructure:"default_title" yaml:"default_title" json:"default_title,omitempty"`
	// SenderOnly is the body of a one-to-one message in the sender_only
	// preview; SenderName in it stands for the sender's nickname.
	SenderOnly string `mapstructure:"sender_only" yaml:"sender_only" json:"sender_only,omitempty"`
	// SenderOnlyGroup is the sender_only body of a group message;
	// SenderName stands for the name card (else nickname) and GroupName for
	// the group's name.
	SenderOnlyGroup string `mapstructure:"sender_only_group" yaml:"sender_only_group" json:"sender_only_group,omitempty"`
	// Hidden is the body in the hidden preview, and in sender_only when
	// the sender has no name.
	Hidden string `mapstructure:"hidden" yaml:"hidden" json:"hidden,omitempty"`
	// Recalled replaces the notification of a recalled message.
	Recalled string `mapstructure:"recalled" yaml:"recalled" json:"recalled,omitempty"`
	// ReadElsewhere replaces the notification of a message read on
	// another device.
	ReadElsewhere string `mapstructure:"read_elsewhere" yaml:"read_elsewhere" json:"read_elsewhere,omitempty"`
	// Coalesced is the body of a notification that stands for a burst of
	// one-to-one messages (docs/rules.md, "Burst coalescing"): SenderName
	// and CountToken are filled in. CoalescedGroup is a group's, with
	// GroupName too, and CoalescedHidden the one that names no sender.
	Coalesced       string `mapstructure:"coalesced" yaml:"coalesced" json:"coalesced,omitempty"`
	CoalescedGroup  string `mapstructure:"coalesced_group" yaml:"coalesced_group" json:"coalesced_group,omitempty"`
	CoalescedHidden string `mapstructure:"coalesced_hidden" yaml:"coalesced_hidden" json:"coalesced_hidden,omitempty"`
}

// The tokens the sender_only texts are filled with.
const (
	SenderName = "{sender}"
	GroupName  = "{group}"
	// CountToken stands for the number of messages of a burst.
	CountToken = "{count}"
)

// placeholderTypes are the element types that render as a placeholder.
// Text and custom elements render their own text; group tips are never
// pushed.
func placeholderTypes() []string { return slices.Clone(placeholderElems[:]) }

// placeholderElems are placeholderTypes, for lookups that must not
// allocate.
var placeholderElems = [...]string{ElemImage, ElemSound, ElemVideo, ElemFile, ElemLocation, ElemFace, ElemMerger}

// BuiltinLocale returns the shipped text of a supported locale (a fresh
// copy the caller may change), and false for any other locale.
//
// The seed names [image], [file] and a voice placeholder that it spells
// both [audio] (L9247) and [voice] (L27289); pushd ships [voice] and any
// app can override it. The seed gives no placeholder for video, location,
// face or merger elements; pushd picks [video], [location], [sticker] and
// [chat history]. The default Android title is the seed's "a new message"
// (L24515). The preview texts are pushd's own (issue 15 point 3), as are
// the burst texts (point 5).
func BuiltinLocale(locale string) (LocaleText, bool) {
	t, ok := builtinTexts[locale]
	if ok {
		t.Placeholders = maps.Clone(t.Placeholders)
	}
	return t, ok
}

// builtinTexts are the shipped locales. They are shared and never
// changed: BuiltinLocale hands out copies, and ForLocale copies the
// placeholders only when an override changes them.
var builtinTexts = map[string]LocaleText{
	LocaleEnglish: {DefaultTitle: "New message", Placeholders: map[string]string{
		ElemImage: "[image]", ElemSound: "[voice]", ElemVideo: "[video]", ElemFile: "[file]",
		ElemLocation: "[location]", ElemFace: "[sticker]", ElemMerger: "[chat history]",
	}, SenderOnly: SenderName + " sent you a message", SenderOnlyGroup: SenderName + " sent a message in " + GroupName,
		Hidden: "New message", Recalled: "This message was recalled", ReadElsewhere: "Read on another device",
		Coalesced: SenderName + ": " + CountToken + " new messages", CoalescedGroup: SenderName + " (" + GroupName + "): " + CountToken + " new messages",
		CoalescedHidden: CountToken + " new messages"},
	LocaleChinese: {DefaultTitle: "新消息", Placeholders: map[string]string{
		ElemImage: "[图片]", ElemSound: "[语音]", ElemVideo: "[视频]", ElemFile: "[文件]",
		ElemLocation: "[位置]", ElemFace: "[表情]", ElemMerger: "[聊天记录]",
	}, SenderOnly: SenderName + "给你发来一条消息", SenderOnlyGroup: SenderName + "在" + GroupName + "中发来一条消息",
		Hidden: "新消息", Recalled: "此消息已撤回", ReadElsewhere: "已在其他设备上阅读",
		Coalesced: SenderName + ": " + CountToken + "条新消息", CoalescedGroup: SenderName + " (" + GroupName + "): " + CountToken + "条新消息",
		CoalescedHidden: CountToken + "条新消息"},
}

// NormalizeLocale maps a language tag ("en-US", "zh_CN", "zh-Hans-SG") to a
// supported locale, or "" when none fits.
func NormalizeLocale(tag string) string {
	parts := strings.FieldsFunc(strings.ToLower(strings.TrimSpace(tag)), func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) == 0 {
		return ""
	}
	switch parts[0] {
	case "en":
		return LocaleEnglish
	case "zh":
		for _, p := range parts[1:] {
			switch p {
			case "hant", "tw", "hk", "mo":
				return ""
			}
		}
		return LocaleChinese
	}
	return ""
}

// maxLanguageTag bounds a language tag of offline_push.languages; BCP 47
// tags in use are far shorter.
const maxLanguageTag = 35

// ValidLanguageTag reports whether tag looks like a BCP 47 tag or one of
// Tencent's language codes ("en", "zh-hant", "pt_BR"): a 2–3 letter
// language, then subtags of 1–8 letters or digits, joined by "-" or "_".
func ValidLanguageTag(tag string) bool {
	if tag == "" || len(tag) > maxLanguageTag {
		return false
	}
	parts := strings.FieldsFunc(tag, func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) == 0 || strings.Count(tag, "-")+strings.Count(tag, "_") != len(parts)-1 {
		return false // empty subtags ("en--US", "-en")
	}
	if len(parts[0]) < 2 || len(parts[0]) > 3 || !alnum(parts[0], false) {
		return false
	}
	for _, p := range parts[1:] {
		if len(p) > 8 || !alnum(p, true) {
			return false
		}
	}
	return true
}

// alnum reports whether s is ASCII letters (and digits when digits is set).
func alnum(s string, digits bool) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || digits && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}

// languageKey is tag compared case-insensitively, "_" read as "-".
func languageKey(tag string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(tag)), "_", "-")
}

// languageFamily is what two tags must share to stand in for each other:
// the primary language, and for Chinese the script ("zh-hant" for zh-TW,
// zh-HK, zh-MO and zh-Hant-*; "zh-hans" for the rest), since a reader of
// one script is not served by the other.
func languageFamily(tag string) string {
	parts := strings.Split(languageKey(tag), "-")
	if parts[0] != "zh" {
		return parts[0]
	}
	for _, p := range parts[1:] {
		switch p {
		case "hant", "tw", "hk", "mo":
			return "zh-hant"
		}
	}
	return "zh-hans"
}

// PickLanguage returns the entry of langs for a device whose locale is
// tag (Tencent's MultiLanguageContent: the device's system language, else
// the top-level title and desc): the entry with the same tag, else the one
// naming just the device's language ("en" for en-GB, "zh" for zh-CN), else
// the first of the same language and script. ok is false when none fits.
func PickLanguage(langs []LocalizedPush, tag string) (LocalizedPush, bool) {
	if len(langs) == 0 || !ValidLanguageTag(tag) {
		return LocalizedPush{}, false
	}
	key, fam := languageKey(tag), languageFamily(tag)
	primary, _, _ := strings.Cut(key, "-")
	best, rank := -1, 4
	for i, l := range langs {
		lk := languageKey(l.Language)
		r := 4
		switch {
		case lk == key:
			r = 0
		case lk == fam || lk == primary && languageFamily(lk) == fam:
			r = 1
		case languageFamily(lk) == fam:
			r = 2
		}
		if r < rank {
			best, rank = i, r
		}
	}
	if best < 0 {
		return LocalizedPush{}, false
	}
	return langs[best], true
}
