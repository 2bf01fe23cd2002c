package dispatcher

import (
	"strings"
	"testing"
)

func TestAppSettingsValidate(t *testing.T) {
	cases := []struct {
		app     AppSettings
		wantErr string
	}{
		{DefaultAppSettings(), ""},
		{AppSettings{Locale: "zh-CN", Placeholders: map[string]string{ElemSound: "[audio]"}}, ""},
		{AppSettings{Locale: "fr"}, "locale"},
		{AppSettings{Placeholders: map[string]string{ElemText: "x"}}, "placeholders.text"},
		{AppSettings{Locales: map[string]LocaleText{"de": {}}}, "locales.de"},
		{AppSettings{Locales: map[string]LocaleText{"en": {Placeholders: map[string]string{"gif": "x"}}}}, "locales.en.placeholders.gif"},
	}
	for _, tc := range cases {
		err := tc.app.Validate()
		if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tc.wantErr+":")) {
			t.Errorf("Validate(%+v) = %v, want error on %q", tc.app, err, tc.wantErr)
		}
	}
	if !DefaultAppSettings().MentionOverridesMute {
		t.Error("MentionOverridesMute must default to true")
	}
}
