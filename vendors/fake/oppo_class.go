package fake

import (
	"fmt"
	"unicode/utf8"
)

// oppoClass is the message-classification and style part of an OPPO
// notification [vendor-protocols.md §5: style; category, notify_level and
// the private-message template, UNCERTAIN field names as other OPPO
// clients send them].
type oppoClass struct {
	Style                    *int              `json:"style"`
	Category                 string            `json:"category"`
	NotifyLevel              *int              `json:"notify_level"`
	PrivateMsgTemplateID     string            `json:"private_msg_template_id"`
	PrivateTitleParameters   map[string]string `json:"private_title_parameters"`
	PrivateContentParameters map[string]string `json:"private_content_parameters"`
}

// oppoCategories are OPPO's message categories: communication and
// service (IM, ACCOUNT, DEVICE_REMINDER, ORDER, TODO, SUBSCRIPTION) and
// content and marketing (NEWS, CONTENT, MARKETING, SOCIAL) [UNCERTAIN:
// the list as vivo's and OPPO's 2023 classification rules share it,
// vendor-protocols.md §5 and §7].
var oppoCategories = map[string]bool{"IM": true, "ACCOUNT": true, "DEVICE_REMINDER": true, "ORDER": true,
	"TODO": true, "SUBSCRIPTION": true, "NEWS": true, "CONTENT": true, "MARKETING": true, "SOCIAL": true}

// oppoLongText is the content limit of style 2, long text.
const oppoLongText = 128

// check returns OPPO's code and message for a wrong style, category, notify
// level or template, or 0.
func (c *oppoClass) check(content string) (int, string) {
	switch {
	case c.Style != nil && (*c.Style < 1 || *c.Style > 3):
		return oppoCodeInvalidArgs, "style must be 1, 2 or 3"
	case c.Style != nil && *c.Style == 2 && utf8.RuneCountInString(content) > oppoLongText:
		return oppoCodeInvalidArgs, fmt.Sprintf("content of the long-text style exceeds %d characters", oppoLongText)
	case c.Category != "" && !oppoCategories[c.Category]:
		return oppoCodeCategory, "unknown category " + c.Category
	case c.NotifyLevel != nil && c.Category == "":
		return oppoCodeCategory, "notify_level needs a category"
	case c.NotifyLevel != nil && *c.NotifyLevel != 1 && *c.NotifyLevel != 2 && *c.NotifyLevel != 16:
		return oppoCodeCategory, "notify_level must be 1, 2 or 16"
	case c.PrivateMsgTemplateID == "" && (len(c.PrivateTitleParameters) > 0 || len(c.PrivateContentParameters) > 0):
		return oppoCodeInvalidArgs, "private template parameters need private_msg_template_id"
	}
	return 0, ""
}
