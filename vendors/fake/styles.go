package fake

import (
	"net/url"
	"strings"
)

// hwStyle is the image and style part of a Huawei or Honor notification,
// which both APIs share [vendor-protocols.md §4 android.notification, §8
// Send].
type hwStyle struct {
	Image    string `json:"image"`
	Style    *int   `json:"style"`
	BigTitle string `json:"big_title"`
	BigBody  string `json:"big_body"`
}

// hwCheckStyle checks the image (https only, as Push Kit downloads it) and
// the style: 0 default, 1 big text (needs the big title and body), 3 inbox.
// It returns what is wrong, or "".
func hwCheckStyle(image string, style *int, bigTitle, bigBody string) string {
	if image != "" && !httpsURL(image) {
		return "image must be an https URL"
	}
	if style == nil {
		return ""
	}
	switch *style {
	case 0, 3:
		return ""
	case 1:
		if bigTitle == "" || bigBody == "" {
			return "big text style needs the big title and body"
		}
		return ""
	}
	return "style must be 0, 1 or 3"
}

// httpsURL reports an absolute https URL with a host.
func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && !strings.ContainsAny(s, " \t\r\n")
}
