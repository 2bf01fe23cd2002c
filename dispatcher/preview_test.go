package dispatcher

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pushd/pushd/vendors"
)

// TestPreviewModeOrder: force_show > the recipient's setting > the app's >
// full.
func TestPreviewModeOrder(t *testing.T) {
	cases := []struct {
		name           string
		force          bool
		recipient, app vendors.Preview
		want           vendors.Preview
	}{
		{"nothing set is full", false, "", "", vendors.PreviewFull},
		{"the app's mode", false, "", vendors.PreviewHidden, vendors.PreviewHidden},
		{"the recipient's wins over the app's", false, vendors.PreviewSenderOnly, vendors.PreviewHidden, vendors.PreviewSenderOnly},
		{"a recipient may ask for full in a private app", false, vendors.PreviewFull, vendors.PreviewIDOnly, vendors.PreviewFull},
		{"force_show wins over all", true, vendors.PreviewIDOnly, vendors.PreviewHidden, vendors.PreviewFull},
		{"an unknown value counts as unset", false, "blurred", vendors.PreviewSenderOnly, vendors.PreviewSenderOnly},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := renderJob()
			j.OfflinePush.ForceShow = tc.force
			if got := previewMode(j, tc.recipient, tc.app); got != tc.want {
				t.Errorf("previewMode = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRenderPreviewModes renders one message in every mode on every
// vendor: the text shown, the ids carried and the mode recorded.
func TestRenderPreviewModes(t *testing.T) {
	const secret = "See you at 8"
	type want struct {
		title, body string
		mode        vendors.Preview
		ids         map[string]string
	}
	android := func(body string, mode vendors.Preview) want { return want{"New message", body, mode, nil} }
	ids := map[string]string{vendors.IDMsg: "c2c-8f1e", vendors.IDSender: "denny"}
	cases := []struct {
		mode vendors.Preview
		per  map[vendors.Vendor]want
	}{
		{vendors.PreviewFull, map[vendors.Vendor]want{
			vendors.APNs:   {"", "Denny: " + secret, vendors.PreviewFull, nil},
			vendors.FCM:    android("Denny: "+secret, vendors.PreviewFull),
			vendors.Xiaomi: android("Denny: "+secret, vendors.PreviewFull),
		}},
		{vendors.PreviewSenderOnly, map[vendors.Vendor]want{
			vendors.APNs:   {"", "Denny sent you a message", vendors.PreviewSenderOnly, nil},
			vendors.FCM:    android("Denny sent you a message", vendors.PreviewSenderOnly),
			vendors.Huawei: android("Denny sent you a message", vendors.PreviewSenderOnly),
			vendors.OPPO:   android("Denny sent you a message", vendors.PreviewSenderOnly),
		}},
		{vendors.PreviewHidden, map[vendors.Vendor]want{
			vendors.APNs:  {"", "New message", vendors.PreviewHidden, nil},
			vendors.Vivo:  android("New message", vendors.PreviewHidden),
			vendors.Meizu: android("New message", vendors.PreviewHidden),
		}},
		{vendors.PreviewIDOnly, map[vendors.Vendor]want{
			vendors.APNs:   {"", "New message", vendors.PreviewIDOnly, ids},
			vendors.FCM:    {"New message", "New message", vendors.PreviewIDOnly, ids},
			vendors.Huawei: {"New message", "New message", vendors.PreviewIDOnly, ids},
			vendors.Honor:  {"New message", "New message", vendors.PreviewIDOnly, ids},
			vendors.Xiaomi: {"New message", "New message", vendors.PreviewIDOnly, ids},
			// No data message: hidden instead, without ids.
			vendors.OPPO:  android("New message", vendors.PreviewHidden),
			vendors.Vivo:  android("New message", vendors.PreviewHidden),
			vendors.Meizu: android("New message", vendors.PreviewHidden),
		}},
	}
	for _, tc := range cases {
		for v, w := range tc.per {
			t.Run(string(tc.mode)+"/"+string(v), func(t *testing.T) {
				j := renderJob()
				j.OfflinePush.Title = "Dinner plans"
				j.OfflinePush.Ext = `{"conv":"denny"}`
				n := mustRender(t, j, RenderInput{Vendor: v, Preview: tc.mode})
				if tc.mode == vendors.PreviewFull {
					w.title = "Dinner plans"
				}
				if w.mode == vendors.PreviewFull {
					w.mode = "" // full is recorded as ""
				}
				if n.Title != w.title || n.Body != w.body || n.Preview != w.mode {
					t.Errorf("got %q / %q (%s), want %q / %q (%s)", n.Title, n.Body, n.Preview, w.title, w.body, w.mode)
				}
				if diff := cmp.Diff(w.ids, n.IDs); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
				if n.Ext != j.OfflinePush.Ext {
					t.Errorf("ext = %q: the app's data is carried in every mode", n.Ext)
				}
				if tc.mode != vendors.PreviewFull && (strings.Contains(n.Title+n.Body, secret) || strings.Contains(n.Title, "Dinner")) {
					t.Errorf("%s leaks the content: %q / %q", tc.mode, n.Title, n.Body)
				}
			})
		}
	}
}

// TestRenderSenderOnlyNames: the name shown in sender_only, per
// conversation kind, and the hidden text when there is no name.
func TestRenderSenderOnlyNames(t *testing.T) {
	cases := []struct {
		name string
		edit func(j *Job)
		want string
	}{
		{"one-to-one", func(j *Job) {}, "Denny sent you a message"},
		{"one-to-one without a nickname", func(j *Job) { j.Sender.Nickname = " " }, "New message"},
		{"group: the name card wins", func(j *Job) { j.Group, j.Sender.NameCard = hiking(GroupWork), "Captain" },
			"Captain sent a message in Hiking"},
		{"group: the nickname", func(j *Job) { j.Group = hiking(GroupPublic) }, "Denny sent a message in Hiking"},
		{"group without a name", func(j *Job) { j.Group = &Group{ID: "g1", Type: GroupWork} }, "Denny sent you a message"},
		{"group, sender without a name", func(j *Job) { j.Group, j.Sender.Nickname = hiking(GroupWork), "" }, "New message"},
		{"desc is content too", func(j *Job) { j.OfflinePush.Desc = "Your code is 1234" }, "Denny sent you a message"},
		{"a name with a token is shown as is", func(j *Job) { j.Sender.Nickname = "{group}" }, "{group} sent you a message"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := renderJob()
			tc.edit(j)
			n := mustRender(t, j, RenderInput{Vendor: vendors.APNs, Preview: vendors.PreviewSenderOnly})
			if n.Body != tc.want {
				t.Errorf("body = %q, want %q", n.Body, tc.want)
			}
		})
	}
}

// TestRenderPreviewLocales: the preview texts follow the recipient's
// locale, and the app overrides them like placeholders.
func TestRenderPreviewLocales(t *testing.T) {
	custom := AppSettings{Locale: "en", SenderOnly: "{sender} wrote", Hidden: "Something new",
		Locales: map[string]LocaleText{"zh": {SenderOnly: "{sender} 来信", SenderOnlyGroup: "{group}：{sender} 来信"}}}
	cases := []struct {
		name       string
		app        AppSettings
		userLocale string
		group      bool
		mode       vendors.Preview
		wantTitle  string
		wantBody   string
	}{
		{"Chinese sender_only", DefaultAppSettings(), "zh-CN", false, vendors.PreviewSenderOnly, "新消息", "Denny给你发来一条消息"},
		{"Chinese sender_only in a group", DefaultAppSettings(), "zh", true, vendors.PreviewSenderOnly, "新消息", "Denny在Hiking中发来一条消息"},
		{"Chinese hidden", DefaultAppSettings(), "zh-Hans", false, vendors.PreviewHidden, "新消息", "新消息"},
		{"Chinese id_only falls back to hidden on OPPO", DefaultAppSettings(), "zh", false, vendors.PreviewIDOnly, "新消息", "新消息"},
		{"app override in its locale", custom, "", false, vendors.PreviewSenderOnly, "New message", "Denny wrote"},
		{"app hidden override", custom, "en-US", false, vendors.PreviewHidden, "New message", "Something new"},
		{"per-locale override", custom, "zh", true, vendors.PreviewSenderOnly, "新消息", "Hiking：Denny 来信"},
		{"app-locale override does not leak into others", custom, "zh", false, vendors.PreviewHidden, "新消息", "新消息"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := renderJob()
			if tc.group {
				j.Group = hiking(GroupWork)
			}
			n := mustRender(t, j, RenderInput{Vendor: vendors.OPPO, App: tc.app.ForLocale(tc.userLocale), Preview: tc.mode})
			if n.Title != tc.wantTitle || n.Body != tc.wantBody {
				t.Errorf("got %q / %q, want %q / %q", n.Title, n.Body, tc.wantTitle, tc.wantBody)
			}
		})
	}
}

// TestRenderAppPreview: the app's preview applies when the recipient has
// none, force_show overrides it, and every built-in locale has the texts.
func TestRenderAppPreview(t *testing.T) {
	app := DefaultAppSettings()
	app.Preview = vendors.PreviewHidden
	j := renderJob()
	if n := mustRender(t, j, RenderInput{Vendor: vendors.FCM, App: app.ForLocale("")}); n.Body != "New message" || n.Preview != vendors.PreviewHidden {
		t.Errorf("app hidden: %q (%s)", n.Body, n.Preview)
	}
	j.OfflinePush.ForceShow = true
	if n := mustRender(t, j, RenderInput{Vendor: vendors.FCM, App: app.ForLocale(""), Preview: vendors.PreviewIDOnly}); n.Body != "Denny: See you at 8" || n.Preview != "" {
		t.Errorf("force_show: %q (%s)", n.Body, n.Preview)
	}
	for _, loc := range Locales() {
		text, _ := BuiltinLocale(loc)
		if !strings.Contains(text.SenderOnly, SenderName) || !strings.Contains(text.SenderOnlyGroup, SenderName) ||
			!strings.Contains(text.SenderOnlyGroup, GroupName) || text.Hidden == "" {
			t.Errorf("locale %s lacks preview texts: %+v", loc, text)
		}
	}
}

func TestAppSettingsValidatePreview(t *testing.T) {
	for _, p := range vendors.Previews() {
		if err := (AppSettings{Preview: p}).Validate(); err != nil {
			t.Errorf("preview %q: %v", p, err)
		}
	}
	err := AppSettings{Preview: "blurred"}.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "preview:") {
		t.Errorf("preview blurred: %v, want an error on preview", err)
	}
}

// TestRenderIDOnlyGroupIDs: a group message's id_only push carries the
// group id too, and never the group's or the sender's name.
func TestRenderIDOnlyGroupIDs(t *testing.T) {
	j := renderJob()
	j.Group = hiking(GroupWork)
	n := mustRender(t, j, RenderInput{Vendor: vendors.FCM, Preview: vendors.PreviewIDOnly})
	want := map[string]string{vendors.IDMsg: "c2c-8f1e", vendors.IDSender: "denny", vendors.IDGroup: "g1"}
	if diff := cmp.Diff(want, n.IDs); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	if strings.Contains(n.Title+n.Body, "Hiking") || strings.Contains(n.Title+n.Body, "Denny") {
		t.Errorf("id_only shows names: %q / %q", n.Title, n.Body)
	}
}
