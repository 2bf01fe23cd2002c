package dispatcher

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/registry"
)

// RenderInput is what Render needs besides the job: the vendor the
// notification goes through and the recipient's settings.
type RenderInput struct {
	Vendor vendors.Vendor
	// App is the app's settings resolved for the recipient's locale
	// (AppSettings.ForLocale); missing placeholders fall back to the
	// built-in text of App.Locale.
	App AppSettings
	// C2CSound and GroupSound are the recipient's iOS sounds ("" = the
	// default sound).
	C2CSound, GroupSound string
	// Locale is the recipient device's own language tag ("zh-Hant-TW"),
	// which picks the offline_push.languages entry; "" uses App.Locale.
	Locale string
	// Preview is the recipient's preview setting for the message's
	// conversation (the conversation's, else the user's; "" = the app's).
	Preview vendors.Preview
}

// ErrEmptyContent is returned by Render for a message that yields no text
// (Resolve drops such messages first, with RuleCustomNoDesc or
// RuleEmptyMessage).
var ErrEmptyContent = errors.New("nothing to push: the message yields no text")

// MaxOptionBytes bounds the job's sound and Android option strings: each
// is a file or channel name, and each takes room from the body in the
// vendor's payload.
const MaxOptionBytes = 256

// Render builds the notification of job j for one vendor and recipient
// (SPEC §4.2–§4.5) in the preview mode that applies (see previewMode and
// applyPreview). It is pure: the badge is left nil for the caller. The
// title and body are cut to the vendor's character limits and, for vendors
// with a payload limit, to the bytes left after ext and the options;
// adapters then shrink to the exact encoded size. An ext (or option) that
// leaves no room is a *FieldError: ext is never dropped.
func Render(j *Job, in RenderInput) (*vendors.Notification, error) {
	if registry.Installed() == 0 || !in.Vendor.Valid() {
		return nil, fmt.Errorf("render: unknown vendor %q", in.Vendor)
	}
	if err := checkOptions(j); err != nil {
		return nil, err
	}
	app := in.App.ForLocale("")
	body := renderBody(j, app.Placeholders)
	if body == "" {
		return nil, ErrEmptyContent
	}
	n := &vendors.Notification{
		ID:      j.MsgID,
		Title:   renderTitle(j, in.Vendor, app.DefaultTitle),
		Body:    body,
		Ext:     j.OfflinePush.Ext,
		Android: androidOptions(in.Vendor, j.OfflinePush.Android),
	}
	if j.ExpireAt != nil {
		n.ExpireAt = *j.ExpireAt
	}
	applyLanguage(n, j, in)
	applyVendorOptions(n, in.Vendor, &j.OfflinePush)
	if h := j.OfflinePush.Harmony; !h.IsZero() {
		n.Harmony = &vendors.HarmonyOptions{Title: h.Title, Category: h.Category, Image: h.Image,
			Sound: h.Sound, SoundDuration: h.SoundDuration}
	}
	applySound(n, j, in)
	applyPreview(n, j, in.Vendor, previewMode(j, in.Preview, app.Preview), app)
	if err := fitLimits(n, in.Vendor); err != nil {
		return nil, err
	}
	return n, nil
}

// checkOptions guards what decoding already refuses, so that Render stays
// safe on a job that did not come through DecodeJob.
func checkOptions(j *Job) error {
	p := &j.OfflinePush
	switch {
	case !utf8.ValidString(p.Ext):
		return fieldErr("offline_push.ext", "invalid UTF-8")
	case vendors.ExtCost(p.Ext) > MaxExt():
		return fieldErr("offline_push.ext", "%d bytes as JSON; %v: every vendor carries at most %d (docs/rules.md)",
			vendors.ExtCost(p.Ext), vendors.ErrExtTooLarge, MaxExt())
	}
	a := &p.Android
	for _, o := range []struct{ name, v string }{
		{"offline_push.ios_sound", p.IOSSound},
		{"offline_push.android.oppo_channel_id", a.OPPOChannelID},
		{"offline_push.android.xiaomi_channel_id", a.XiaomiChannelID},
		{"offline_push.android.huawei_channel_id", a.HuaweiChannelID},
		{"offline_push.android.fcm_channel_id", a.FCMChannelID},
		{"offline_push.android.huawei_category", a.HuaweiCategory},
		{"offline_push.android.huawei_importance", a.HuaweiImportance},
		{"offline_push.android.vivo_category", a.VivoCategory},
		{"offline_push.android.sound", a.Sound},
		{"offline_push.android.oppo_category", a.OPPOCategory},
		{"offline_push.android.oppo_private_template_id", a.OPPOPrivateTemplateID},
		{"offline_push.android.honor_importance", a.HonorImportance},
		{"offline_push.android.fcm_priority", a.FCMPriority},
	} {
		if len(o.v) > MaxOptionBytes || !utf8.ValidString(o.v) {
			return fieldErr(o.name, "must be valid UTF-8 of at most %d bytes", MaxOptionBytes)
		}
	}
	return nil
}

// renderTitle: offline_push.apns.title on the vendor that maps
// offline_push.apns, else offline_push.title when set. Otherwise Android
// vendors show the default title (seed L24515: "The default title of IM
// push notifications is a new message") and APNs shows none: on iOS a
// title is only added when the message sets one (seed L9266).
func renderTitle(j *Job, v vendors.Vendor, defaultTitle string) string {
	d, _ := vendors.Lookup(v)
	if t := j.OfflinePush.APNs.Title; d.Options.Alert == "apns" && strings.TrimSpace(t) != "" {
		return t
	}
	if t := j.OfflinePush.Title; strings.TrimSpace(t) != "" {
		return t
	}
	if v == vendors.APNs {
		return ""
	}
	return defaultTitle
}

// applyLanguage replaces the title and body with the offline_push.languages
// entry of the recipient's locale (Tencent's MultiLanguageContent), the
// device's own tag when Resolve gives it, else the app locale it resolved
// to. An entry's empty title or desc keeps the one rendered without it
// (the top-level title and desc, or the generated text).
func applyLanguage(n *vendors.Notification, j *Job, in RenderInput) {
	tag := in.Locale
	if tag == "" {
		tag = in.App.Locale
	}
	l, ok := PickLanguage(j.OfflinePush.Languages, tag)
	if !ok {
		return
	}
	if strings.TrimSpace(l.Title) != "" {
		n.Title = l.Title
	}
	if strings.TrimSpace(l.Desc) != "" {
		n.Body = l.Desc
	}
}

// renderBody: offline_push.desc replaces the whole generated text (seed
// L9266, L5064); otherwise the sender prefix and the elements' content.
func renderBody(j *Job, placeholders map[string]string) string {
	if d := j.OfflinePush.Desc; strings.TrimSpace(d) != "" {
		return d
	}
	pieces, _ := elemPieces(j.Elems, placeholders)
	if len(pieces) == 0 {
		return ""
	}
	return withSender(j, strings.Join(pieces, " "))
}

// elemPieces returns the text of each element that has one: text as is,
// a custom element's desc, a placeholder for the rest. Every two pieces
// are joined by one space ("Look [image]", "[image] [image]"), and the
// descs of several custom elements are stacked the same way (seed L18447:
// "the desc of each Elem are stacked"). customNoDesc reports a custom
// element without a desc, which shows nothing (seed L9254, L27292).
// Blank texts and descs count as absent.
func elemPieces(elems []Elem, placeholders map[string]string) (pieces []string, customNoDesc bool) {
	for _, e := range elems {
		var p string
		switch e.Type {
		case ElemText:
			p = e.Text
		case ElemCustom:
			p = e.Desc
			customNoDesc = customNoDesc || strings.TrimSpace(p) == ""
		case ElemGroupTips:
			// Never pushed: Resolve drops the message first.
		default:
			p = placeholders[e.Type]
		}
		if strings.TrimSpace(p) != "" {
			pieces = append(pieces, p)
		}
	}
	return pieces, customNoDesc
}

// withSender prefixes content with who sent it. One-to-one: "Nickname:
// content", or the content alone without a nickname (seed L9233–9235,
// L27275–27277). Group: "Name (Group): content" with Name = name card, else
// nickname (seed L9237, L27279); with neither, "no name is displayed"
// (L9237) is taken literally: "(Group): content". A group without a name
// drops the parentheses: "Name: content".
func withSender(j *Job, content string) string {
	nick := strings.TrimSpace(j.Sender.Nickname)
	if !j.IsGroup() {
		if nick == "" {
			return content
		}
		return nick + ": " + content
	}
	name := strings.TrimSpace(j.Sender.NameCard)
	if name == "" {
		name = nick
	}
	group := strings.TrimSpace(j.Group.Name)
	switch {
	case name != "" && group != "":
		return name + " (" + group + "): " + content
	case name != "":
		return name + ": " + content
	case group != "":
		return "(" + group + "): " + content
	}
	return content
}

// applySound resolves the iOS sound: offline_push.ios_sound > the user's
// c2c_sound or group_sound > the default (SPEC §4.5, seed L24192). The
// silent value mutes the push on every vendor; otherwise only APNs carries
// a sound, since Android vendors do not support custom sounds (seed L9119).
// "" (and "default") leave Sound empty: the system default.
func applySound(n *vendors.Notification, j *Job, in RenderInput) {
	s := j.OfflinePush.IOSSound
	if s == "" {
		s = in.C2CSound
		if j.IsGroup() {
			s = in.GroupSound
		}
		// The device store validates users' sounds; one that is unusable
		// anyway falls back to the default rather than fail the push.
		if len(s) > MaxOptionBytes || !utf8.ValidString(s) {
			s = ""
		}
	}
	switch {
	case s == vendors.SoundSilent:
		n.Silent = true
	case in.Vendor == vendors.APNs && s != "default":
		n.Sound = s
	}
}

// androidOptions picks the job's options for vendor v, by the keys its
// descriptor maps; empty fields fall back to the certificate's defaults
// in the adapter (job > certificate, SPEC §4.6).
func androidOptions(v vendors.Vendor, a AndroidPush) vendors.AndroidOptions {
	d, _ := vendors.Lookup(v)
	k := d.Options
	o := vendors.AndroidOptions{ChannelID: a.textOption(k.ChannelID), Category: a.textOption(k.Category),
		Importance: a.textOption(k.Importance), Classification: a.intOption(k.Classification),
		Sound: a.textOption(k.Sound), BigText: a.levelOption(k.PushStyle) == 1, NotifyLevel: a.levelOption(k.NotifyLevel),
		TemplateID: a.textOption(k.Template), NotifyType: a.levelOption(k.NotifyType), NoticeMsgType: a.intOption(k.NoticeMsgType),
		Priority: a.textOption(k.Priority)}
	if o.TemplateID != "" {
		o.TitleParams, o.ContentParams = a.OPPOPrivateTitleParameters, a.OPPOPrivateContentParams
	}
	return o
}

// textOption is the text option a descriptor names by its JSON key ("" for
// none, or a key this job has no text option for).
func (a AndroidPush) textOption(key string) string {
	switch key {
	case "oppo_channel_id":
		return a.OPPOChannelID
	case "xiaomi_channel_id":
		return a.XiaomiChannelID
	case "huawei_channel_id":
		return a.HuaweiChannelID
	case "fcm_channel_id":
		return a.FCMChannelID
	case "huawei_category":
		return a.HuaweiCategory
	case "huawei_importance":
		return a.HuaweiImportance
	case "vivo_category":
		return a.VivoCategory
	case "oppo_category":
		return a.OPPOCategory
	case "honor_importance":
		return a.HonorImportance
	case "sound":
		return soundName(a.Sound)
	case "oppo_private_template_id":
		return a.OPPOPrivateTemplateID
	case "fcm_priority":
		return a.FCMPriority
	}
	return ""
}

// intOption is the optional number option a descriptor names.
func (a AndroidPush) intOption(key string) *int {
	switch key {
	case "vivo_classification":
		return a.VivoClassification
	case "meizu_notice_msg_type":
		return a.MeizuNoticeMsgType
	}
	return nil
}

// levelOption is the level option a descriptor names (0 for none).
func (a AndroidPush) levelOption(key string) int {
	switch key {
	case "push_style":
		return a.PushStyle
	case "oppo_notify_level":
		return a.OPPONotifyLevel
	case "vivo_notify_type":
		return a.VivoNotifyType
	}
	return 0
}

// soundName is an Android ringtone without its extension: Tencent's
// current AndroidInfo.Sound is "shake", its older pages "android.mp3";
// vendors name res/raw resources without one.
func soundName(s string) string {
	if i := strings.LastIndexByte(s, '.'); i > 0 {
		return s[:i]
	}
	return s
}

// applyVendorOptions sets the options that are not Android's: the image
// of the vendor (its descriptor's Image key) and, for the vendor that maps
// offline_push.apns, the subtitle, mutable content, interruption level
// and content available. An image needs the notification service
// extension on iOS, so it sets mutable-content (tencent-rest-format.md
// §1.3: Image "the client downloads and shows it").
func applyVendorOptions(n *vendors.Notification, v vendors.Vendor, p *OfflinePush) {
	d, _ := vendors.Lookup(v)
	k := d.Options
	images := map[string]string{"huawei_image": p.Android.HuaweiImage, "honor_image": p.Android.HonorImage,
		"fcm_image": p.Android.FCMImage, "apns.image": p.APNs.Image}
	n.Image = images[k.Image]
	if k.Alert != "apns" {
		return
	}
	a := &p.APNs
	n.Subtitle, n.InterruptionLevel, n.ContentAvailable = a.Subtitle, a.InterruptionLevel, a.ContentAvailable
	n.MutableContent = a.MutableContent || n.Image != ""
}

// fitLimits cuts title and body to v's character limits and, where v has a
// payload limit, to the bytes that ext and the options leave: a quarter of
// them at most for the title, the rest for the body.
func fitLimits(n *vendors.Notification, v vendors.Vendor) error {
	l := vendors.LimitsOf(v)
	l.Fit(n)
	if l.Payload <= 0 {
		return nil
	}
	budget := l.Payload - len(n.Ext) - len(n.Sound) - optionBytes(n)
	n.Title = truncateBytes(n.Title, budget/4)
	body := truncateBytes(n.Body, budget-len(n.Title))
	cutAway := body != n.Body && (body == "" || body == vendors.Ellipsis)
	n.Body = body
	if cutAway {
		return fieldErr("offline_push.ext", "%d bytes leave no room for the text in %s's %d-byte payload: %v",
			len(n.Ext), v, l.Payload, vendors.ErrExtTooLarge)
	}
	return nil
}

// optionBytes is the room n's options take in a payload.
func optionBytes(n *vendors.Notification) int {
	o := &n.Android
	size := len(o.ChannelID) + len(o.Category) + len(o.Importance) + len(o.Sound) + len(o.TemplateID) +
		len(n.Subtitle) + len(n.Image) + len(n.InterruptionLevel)
	for _, m := range []map[string]string{o.TitleParams, o.ContentParams} {
		for k, v := range m {
			size += len(k) + len(v) + 6 // quotes, colon, comma
		}
	}
	return size
}

// truncateBytes cuts valid UTF-8 s to at most max bytes, ending it with
// the ellipsis when it had to cut, never inside a UTF-8 sequence.
func truncateBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len(vendors.Ellipsis)
	if cut <= 0 {
		return ""
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + vendors.Ellipsis
}

// previewMode picks the preview of one recipient: offline_push.force_show
// forces full; otherwise the recipient's setting (conversation, else user)
// wins over the app's, and full is the default. An unknown value (which
// the device store and config refuse) counts as unset.
func previewMode(j *Job, recipient, app vendors.Preview) vendors.Preview {
	if j.OfflinePush.ForceShow {
		return vendors.PreviewFull
	}
	for _, p := range []vendors.Preview{recipient, app} {
		if m, ok := vendors.ParsePreview(string(p)); ok && m != "" {
			return m
		}
	}
	return vendors.PreviewFull
}

// dataPushVendors reports whether v has a data (pass-through) message an
// app can receive without the vendor showing anything, so that id_only can
// carry ids and no text (Descriptor.DataPush); the others get hidden
// instead.
func dataPushVendors(v vendors.Vendor) bool {
	d, ok := vendors.Lookup(v)
	return ok && d.DataPush
}

// applyPreview rewrites the full notification n for mode. full leaves it.
// sender_only and hidden replace the title by the default one (none on
// APNs) and the body by the locale's preview text, since
// offline_push.title and desc are the app's content too; the ext stays (it
// is the app's data, not shown). id_only, on a vendor with data messages,
// also carries the ids, for the adapter to send a data message with the
// ids and no text; its title and body are the hidden text, which is what
// an adapter without that mapping shows. Elsewhere id_only is hidden.
// n.Preview records the mode that applied ("" for full, as for a
// notification built before preview modes existed).
func applyPreview(n *vendors.Notification, j *Job, v vendors.Vendor, mode vendors.Preview, app AppSettings) {
	if mode == vendors.PreviewIDOnly && !dataPushVendors(v) {
		mode = vendors.PreviewHidden
	}
	if mode != vendors.PreviewFull {
		n.Preview = mode
	}
	switch mode {
	case vendors.PreviewSenderOnly:
		n.Title, n.Body = privateTitle(v, app.DefaultTitle), senderOnlyBody(j, app)
	case vendors.PreviewHidden:
		n.Title, n.Body = privateTitle(v, app.DefaultTitle), app.Hidden
	case vendors.PreviewIDOnly:
		n.Title, n.Body = privateTitle(v, app.DefaultTitle), app.Hidden
		n.IDs = map[string]string{vendors.IDMsg: j.MsgID, vendors.IDSender: j.Sender.UserID}
		if j.IsGroup() {
			n.IDs[vendors.IDGroup] = j.Group.ID
		}
	}
}

// privateTitle is the title of a sender_only or hidden notification: the
// default title on Android vendors, none on APNs (as in full mode without
// offline_push.title).
func privateTitle(v vendors.Vendor, defaultTitle string) string {
	if v == vendors.APNs {
		return ""
	}
	return defaultTitle
}

// senderOnlyBody says who sent the message and where, never what: "Denny
// sent you a message", "Captain sent a message in Hiking" (name card, else
// nickname). A group without a name uses the one-to-one text; a sender
// without a name gets the hidden text.
func senderOnlyBody(j *Job, app AppSettings) string {
	name := strings.TrimSpace(j.Sender.Nickname)
	if j.IsGroup() {
		if card := strings.TrimSpace(j.Sender.NameCard); card != "" {
			name = card
		}
	}
	if name == "" {
		return app.Hidden
	}
	if j.IsGroup() {
		if group := strings.TrimSpace(j.Group.Name); group != "" {
			return strings.NewReplacer(SenderName, name, GroupName, group).Replace(app.SenderOnlyGroup)
		}
	}
	return strings.ReplaceAll(app.SenderOnly, SenderName, name)
}
