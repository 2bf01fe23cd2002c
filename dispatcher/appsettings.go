package dispatcher

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pushd/pushd/vendors"
)

// AppSettings are one app's notification settings. The config layer fills
// them per app_id from YAML, decoding onto DefaultAppSettings() so that
// omitted keys keep their defaults:
//
//	apps:
//	  "1400000001":
//	    locale: zh-Hans
//	    placeholders: {image: "[照片]"}
//	    default_title: 新消息
//	    mention_overrides_mute: true
//	    preview: sender_only
//	    locales:
//	      en: {placeholders: {image: "[photo]"}, default_title: "New message"}
type AppSettings struct {
	// Locale is the app's locale for generated text ("" = en). A user's
	// own Settings.Locale wins over it.
	Locale string `mapstructure:"locale" yaml:"locale" json:"locale,omitempty"`
	// Placeholders override the built-in text of element types in the
	// app's own Locale (element type → text).
	Placeholders map[string]string `mapstructure:"placeholders" yaml:"placeholders" json:"placeholders,omitempty"`
	// DefaultTitle overrides the default title of Android notifications
	// in the app's own Locale.
	DefaultTitle string `mapstructure:"default_title" yaml:"default_title" json:"default_title,omitempty"`
	// MentionOverridesMute lets an @-mention of the recipient (or @all)
	// notify in a group the recipient set to receive_not_notify. Default
	// true. It never breaks through not_receive, the global switch or
	// do-not-disturb.
	MentionOverridesMute bool `mapstructure:"mention_overrides_mute" yaml:"mention_overrides_mute" json:"mention_overrides_mute"`
	// Locales override the built-in text of other locales users pick.
	Locales map[string]LocaleText `mapstructure:"locales" yaml:"locales" json:"locales,omitempty"`
	// Preview is the app's preview mode (full, sender_only, hidden,
	// id_only; "" = full). A conversation's or user's preview setting
	// wins over it, and offline_push.force_show over all.
	Preview vendors.Preview `mapstructure:"preview" yaml:"preview" json:"preview,omitempty"`
	// SenderOnly, SenderOnlyGroup and Hidden override the built-in preview
	// texts in the app's own Locale (see LocaleText).
	SenderOnly      string `mapstructure:"sender_only" yaml:"sender_only" json:"sender_only,omitempty"`
	SenderOnlyGroup string `mapstructure:"sender_only_group" yaml:"sender_only_group" json:"sender_only_group,omitempty"`
	Hidden          string `mapstructure:"hidden" yaml:"hidden" json:"hidden,omitempty"`
	// Recalled and ReadElsewhere override the texts that replace a
	// recalled or read notification in the app's own Locale.
	Recalled      string `mapstructure:"recalled" yaml:"recalled" json:"recalled,omitempty"`
	ReadElsewhere string `mapstructure:"read_elsewhere" yaml:"read_elsewhere" json:"read_elsewhere,omitempty"`
	// CoalesceWindow turns burst coalescing on (docs/rules.md, "Burst
	// coalescing"): at most one alert per recipient and conversation per
	// window, later messages updating it. A duration ("30s"); "" or "0"
	// is off (the default), else 1s to 1h. A conversation's own
	// coalesce_window wins over it. It is a string because the config
	// layer decodes apps.<id> without a duration hook.
	CoalesceWindow string `mapstructure:"coalesce_window" yaml:"coalesce_window" json:"coalesce_window,omitempty"`
	// Coalesced, CoalescedGroup and CoalescedHidden override the burst
	// texts in the app's own Locale (see LocaleText).
	Coalesced       string `mapstructure:"coalesced" yaml:"coalesced" json:"coalesced,omitempty"`
	CoalescedGroup  string `mapstructure:"coalesced_group" yaml:"coalesced_group" json:"coalesced_group,omitempty"`
	CoalescedHidden string `mapstructure:"coalesced_hidden" yaml:"coalesced_hidden" json:"coalesced_hidden,omitempty"`

	// resolved marks settings ForLocale returned: asked again with no
	// locale, they are their own answer.
	resolved bool
}

// DefaultAppSettings returns the settings of an app with no configuration.
func DefaultAppSettings() AppSettings {
	return AppSettings{Locale: LocaleEnglish, MentionOverridesMute: true}
}

// Validate reports the first setting that cannot work, naming its key.
func (a AppSettings) Validate() error {
	if a.Locale != "" && NormalizeLocale(a.Locale) == "" {
		return fmt.Errorf("locale: %q is not supported (want one of %v)", a.Locale, Locales())
	}
	if _, ok := vendors.ParsePreview(string(a.Preview)); !ok {
		return fmt.Errorf("preview: %q is not a preview mode (want one of %v)", a.Preview, vendors.Previews())
	}
	if _, err := a.Coalesce(); err != nil {
		return err
	}
	if err := checkPlaceholders("placeholders", a.Placeholders); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(a.Locales)) {
		if NormalizeLocale(k) == "" {
			return fmt.Errorf("locales.%s: locale not supported (want one of %v)", k, Locales())
		}
		if err := checkPlaceholders("locales."+k+".placeholders", a.Locales[k].Placeholders); err != nil {
			return err
		}
	}
	return nil
}

func checkPlaceholders(path string, m map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(placeholderElems[:], k) {
			return fmt.Errorf("%s.%s: not an element type with a placeholder (want one of %v)", path, k, placeholderTypes())
		}
	}
	return nil
}

// ForLocale resolves the settings for a recipient whose own locale is
// userLocale ("" = none): the locale is the user's if supported, else the
// app's, else English; Placeholders then holds every placeholder type and
// DefaultTitle is set, built-in text overlaid with the app's overrides
// for that locale. Empty overrides are ignored, so every element type
// always renders as something and whether a message has content does not
// depend on the recipient.
func (a AppSettings) ForLocale(userLocale string) AppSettings {
	if a.resolved && userLocale == "" {
		// Already resolved: Render asks again for every vendor.
		return a
	}
	appLoc := NormalizeLocale(a.Locale)
	if appLoc == "" {
		appLoc = LocaleEnglish
	}
	loc := NormalizeLocale(userLocale)
	if loc == "" {
		loc = appLoc
	}
	text, own := builtinTexts[loc], false
	if loc == appLoc {
		overlay(&text, &own, LocaleText{Placeholders: a.Placeholders, DefaultTitle: a.DefaultTitle,
			SenderOnly: a.SenderOnly, SenderOnlyGroup: a.SenderOnlyGroup, Hidden: a.Hidden,
			Recalled: a.Recalled, ReadElsewhere: a.ReadElsewhere,
			Coalesced: a.Coalesced, CoalescedGroup: a.CoalescedGroup, CoalescedHidden: a.CoalescedHidden})
	}
	for _, k := range slices.Sorted(maps.Keys(a.Locales)) {
		if NormalizeLocale(k) == loc {
			overlay(&text, &own, a.Locales[k])
		}
	}
	return AppSettings{
		Locale:               loc,
		Placeholders:         text.Placeholders,
		DefaultTitle:         text.DefaultTitle,
		MentionOverridesMute: a.MentionOverridesMute,
		Preview:              a.Preview,
		SenderOnly:           text.SenderOnly,
		SenderOnlyGroup:      text.SenderOnlyGroup,
		Hidden:               text.Hidden,
		Recalled:             text.Recalled,
		ReadElsewhere:        text.ReadElsewhere,
		CoalesceWindow:       a.CoalesceWindow,
		Coalesced:            text.Coalesced,
		CoalescedGroup:       text.CoalescedGroup,
		CoalescedHidden:      text.CoalescedHidden,
		resolved:             true,
	}
}

// overlay sets the non-empty texts of src over dst. dst's placeholders
// may be the shared built-in ones: they are copied before the first
// change, and *own records that dst has its own.
func overlay(dst *LocaleText, own *bool, src LocaleText) {
	for k, v := range src.Placeholders {
		if v != "" && slices.Contains(placeholderElems[:], k) {
			if !*own {
				dst.Placeholders, *own = maps.Clone(dst.Placeholders), true
			}
			dst.Placeholders[k] = v
		}
	}
	for _, f := range []struct {
		dst *string
		src string
	}{{&dst.DefaultTitle, src.DefaultTitle},
		{&dst.SenderOnly, src.SenderOnly}, {&dst.SenderOnlyGroup, src.SenderOnlyGroup}, {&dst.Hidden, src.Hidden},
		{&dst.Recalled, src.Recalled}, {&dst.ReadElsewhere, src.ReadElsewhere},
		{&dst.Coalesced, src.Coalesced}, {&dst.CoalescedGroup, src.CoalescedGroup}, {&dst.CoalescedHidden, src.CoalescedHidden}} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
}
