package dispatcher

import "testing"

func TestNormalizeLocale(t *testing.T) {
	cases := map[string]string{
		"en": "en", "en-US": "en", "EN_gb": "en", "zh": "zh-Hans", "zh-CN": "zh-Hans", "zh_Hans_SG": "zh-Hans",
		"zh-Hant": "", "zh-TW": "", "zh-HK": "", "fr": "", "": "", "-": "",
	}
	for in, want := range cases {
		if got := NormalizeLocale(in); got != want {
			t.Errorf("NormalizeLocale(%q) = %q, want %q", in, got, want)
		}
	}
}
