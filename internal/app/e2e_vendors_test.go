package app

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/harmony"
)

// The group message every vendor test sends: a title, a generated body with
// the sender's name card and the group name, and an ext that is not a JSON
// object (OPPO must wrap it).
const (
	grpTitle = "Weekend trip"
	grpBody  = "Den (Hiking): See you at 8"
	grpExt   = "conv:group_g1"
)

func groupJob(msg string, recipients []string) map[string]any {
	return map[string]any{"app_id": testApp, "msg_id": msg,
		"sender":       map[string]any{"user_id": "denny", "nickname": "Denny", "name_card": "Den"},
		"recipients":   recipients,
		"group":        map[string]any{"id": "g1", "name": "Hiking", "type": "Work"},
		"elems":        []map[string]any{{"type": "text", "text": "See you at 8"}},
		"offline_push": map[string]any{"title": grpTitle, "ext": grpExt}}
}

// TestGroupJobReachesAllEightVendors sends one group job whose recipients
// have one device on each vendor (issue #4) and checks each fake's request
// in that vendor's own field names: title and body, ext where SPEC §4.3
// puts it, the badge on APNs, Huawei and Honor (unread 2 + 1), and the
// collapse or notify id derived from msg_id.
func TestGroupJobReachesAllEightVendors(t *testing.T) {
	h := newHarness(t)
	var users []string
	tokens := map[vendors.Vendor]string{}
	for i, v := range vendors.All() {
		cert := h.addVendor(testApp, v)
		u, tok := "u-"+string(v), deviceToken(v, i)
		users, tokens[v] = append(users, u), tok
		h.bind(testApp, u, cert, tok, "")
		h.background(testApp, u, cert, tok, 2)
	}
	const msg = "grp-all-1"
	h.enqueue(groupJob(msg, users))
	evs := h.waitDone(testApp, msg, 20*time.Second)
	if got, n := countEvents(evs), len(vendors.All()); got["sent"] != n || len(evs) != n {
		t.Fatalf("events %v, want %d sent", got, n)
	}
	for _, v := range vendors.All() {
		t.Run(string(v), func(t *testing.T) {
			reqs := sends(h.sb, v)
			if len(reqs) != 1 || reqs[0].Status != http.StatusOK || !slices.Equal(reqs[0].Tokens, []string{tokens[v]}) {
				t.Fatalf("%d send requests (first: %+v), want one accepted request to %s's device", len(reqs), reqs, v)
			}
			checkVendorRequest(t, v, reqs[0], msg)
		})
	}
}

// sends returns the requests of v's fake that carry notifications (not
// the OPPO and vivo auth calls).
func sends(sb *fake.Sandbox, v vendors.Vendor) []fake.Recorded {
	var out []fake.Recorded
	for _, r := range sb.Recorder(v).Requests() {
		if !strings.HasSuffix(r.Path, "/auth") {
			out = append(out, r)
		}
	}
	return out
}

// fields is what one vendor request says, in pushd's words.
type fields struct {
	title, body, ext string
	// badge is "" where the vendor request has none.
	badge string
	// ids are the collapse and notify ids the request carries.
	ids []string
}

// vendorFields reads a request with the extractor of its vendor.
func vendorFields(t *testing.T, v vendors.Vendor, r fake.Recorded) fields {
	t.Helper()
	switch v {
	case vendors.APNs:
		return apnsFields(t, r)
	case vendors.FCM:
		return fcmFields(t, r)
	case vendors.Xiaomi:
		return xiaomiFields(t, r)
	case vendors.Huawei:
		return huaweiFields(t, r)
	case vendors.Honor:
		return honorFields(t, r)
	case vendors.OPPO:
		return oppoFields(t, r)
	case vendors.Vivo:
		return vivoFields(t, r)
	case vendors.Meizu:
		return meizuFields(t, r)
	case harmony.Harmony:
		return harmonyFields(t, r)
	}
	t.Fatalf("no extractor for %s", v)
	return fields{}
}

func checkVendorRequest(t *testing.T, v vendors.Vendor, r fake.Recorded, msg string) {
	t.Helper()
	got := vendorFields(t, v, r)
	wantExt, wantBadge := grpExt, ""
	if v == vendors.OPPO {
		wantExt = `{"ext":"conv:group_g1"}`
	}
	if d, _ := vendors.Lookup(v); d.Badge {
		wantBadge = "3"
	}
	if got.title != grpTitle || got.body != grpBody || got.ext != wantExt || got.badge != wantBadge {
		t.Errorf("title %q body %q ext %q badge %q; want %q %q %q %q",
			got.title, got.body, got.ext, got.badge, grpTitle, grpBody, wantExt, wantBadge)
	}
	checkIDs(t, v, got.ids, msg)
}

// checkIDs checks that the collapse and notify ids derive from msg_id
// (SPEC §4.6), so a duplicate after a crash replaces the first
// notification. OPPO and vivo salt theirs per target after the msg_id.
func checkIDs(t *testing.T, v vendors.Vendor, ids []string, msg string) {
	t.Helper()
	var want []string
	switch v {
	case vendors.APNs, vendors.FCM:
		want = []string{msg}
	case vendors.Xiaomi:
		want = []string{strconv.Itoa(vendors.NotifyID(msg))}
	case vendors.Huawei, vendors.Honor, harmony.Harmony:
		want = []string{strconv.Itoa(vendors.NotifyID(msg)), msg}
	case vendors.Meizu:
		if len(ids) == 1 && ids[0] != "" {
			want = []string{vendors.ShortKey(msg, len(ids[0]))}
		}
	case vendors.OPPO, vendors.Vivo:
		if len(ids) == 1 && strings.HasPrefix(ids[0], msg+":") {
			want = ids
		}
	}
	if len(want) == 0 || !slices.Equal(ids, want) {
		t.Errorf("collapse/notify ids %q, want %q derived from msg_id %q", ids, want, msg)
	}
}

func apnsFields(t *testing.T, r fake.Recorded) fields {
	var b apnsBody
	decodeJSON(t, r.Body, &b)
	f := fields{title: b.Aps.Alert.Title, body: b.Aps.Alert.Body, ext: b.Ext, ids: []string{r.Header.Get("apns-collapse-id")}}
	if b.Aps.Badge != nil {
		f.badge = strconv.Itoa(*b.Aps.Badge)
	}
	return f
}

func fcmFields(t *testing.T, r fake.Recorded) fields {
	var b fcmBody
	decodeJSON(t, r.Body, &b)
	noBadge(t, r)
	n := b.Message.Notification
	return fields{title: n.Title, body: n.Body, ext: b.Message.Data["ext"], ids: []string{b.Message.Android.CollapseKey}}
}

func xiaomiFields(t *testing.T, r fake.Recorded) fields {
	form := parseForm(t, r)
	noBadge(t, r)
	// The payload field carries ext URL-encoded, for apps that read it.
	if p, err := url.QueryUnescape(form.Get("payload")); err != nil || p != form.Get("extra.ext") {
		t.Errorf("payload %q does not carry extra.ext %q", form.Get("payload"), form.Get("extra.ext"))
	}
	return fields{title: form.Get("title"), body: form.Get("description"), ext: form.Get("extra.ext"), ids: []string{form.Get("notify_id")}}
}

// hwNotification is the notification part of Huawei and Honor requests;
// Honor spells the same fields in camelCase.
type hwNotification struct {
	Title, Body   string
	NotifyID      int `json:"notify_id"`
	NotifyIDHonor int `json:"notifyId"`
	Tag           string
	Badge         map[string]any
}

func huaweiFields(t *testing.T, r fake.Recorded) fields {
	var b struct {
		Message struct {
			Data    string
			Android struct{ Notification hwNotification }
		}
	}
	decodeJSON(t, r.Body, &b)
	n := b.Message.Android.Notification
	f := fields{title: n.Title, body: n.Body, ext: dataExt(t, b.Message.Data), ids: []string{strconv.Itoa(n.NotifyID), n.Tag}}
	if n.Badge["class"] != testBadge {
		t.Errorf("badge class %v, want the certificate's %s", n.Badge["class"], testBadge)
	}
	if n.Badge["set_num"] != nil {
		f.badge = fmt.Sprint(n.Badge["set_num"])
	}
	return f
}

func honorFields(t *testing.T, r fake.Recorded) fields {
	var b struct {
		Data    string
		Android struct{ Notification hwNotification }
	}
	decodeJSON(t, r.Body, &b)
	n := b.Android.Notification
	f := fields{title: n.Title, body: n.Body, ext: dataExt(t, b.Data), ids: []string{strconv.Itoa(n.NotifyIDHonor), n.Tag}}
	if n.Badge["badgeClass"] != testBadge {
		t.Errorf("badgeClass %v, want the certificate's %s", n.Badge["badgeClass"], testBadge)
	}
	if n.Badge["setNum"] != nil {
		f.badge = fmt.Sprint(n.Badge["setNum"])
	}
	return f
}

// dataExt reads ext from the Huawei/Honor data string {"ext": …}.
func dataExt(t *testing.T, data string) string {
	var m map[string]string
	decodeJSON(t, []byte(data), &m)
	return m["ext"]
}

func oppoFields(t *testing.T, r fake.Recorded) fields {
	form := parseForm(t, r)
	noBadge(t, r)
	var m struct {
		Notification struct {
			Title, Content   string
			ActionParameters string `json:"action_parameters"`
			AppMessageID     string `json:"app_message_id"`
			ChannelID        string `json:"channel_id"`
		}
	}
	decodeJSON(t, []byte(form.Get("message")), &m)
	n := m.Notification
	if n.ChannelID != oppoChannel {
		t.Errorf("channel_id %q, want the certificate's %q", n.ChannelID, oppoChannel)
	}
	return fields{title: n.Title, body: n.Content, ext: n.ActionParameters, ids: []string{n.AppMessageID}}
}

func vivoFields(t *testing.T, r fake.Recorded) fields {
	noBadge(t, r)
	var b struct {
		Title, Content  string
		ClientCustomMap map[string]string
		RequestID       string
	}
	decodeJSON(t, r.Body, &b)
	return fields{title: b.Title, body: b.Content, ext: b.ClientCustomMap["ext"], ids: []string{b.RequestID}}
}

func meizuFields(t *testing.T, r fake.Recorded) fields {
	form := parseForm(t, r)
	noBadge(t, r)
	var m struct {
		NoticeBarInfo struct{ Title, Content string }
		ClickTypeInfo struct{ Parameters map[string]string }
		AdvanceInfo   struct{ NotifyKey string }
	}
	decodeJSON(t, []byte(form.Get("messageJson")), &m)
	return fields{title: m.NoticeBarInfo.Title, body: m.NoticeBarInfo.Content,
		ext: m.ClickTypeInfo.Parameters["ext"], ids: []string{m.AdvanceInfo.NotifyKey}}
}

func parseForm(t *testing.T, r fake.Recorded) url.Values {
	t.Helper()
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatalf("form body: %v", err)
	}
	return form
}

// noBadge checks that a vendor without a counted badge gets none.
func noBadge(t *testing.T, r fake.Recorded) {
	t.Helper()
	if strings.Contains(strings.ToLower(string(r.Body)), "badge") {
		t.Errorf("request of a vendor without badges mentions one: %s", r.Body)
	}
}

// numbered returns n user ids and n device tokens of v.
func numbered(prefix string, v vendors.Vendor, n int) (users, tokens []string) {
	for i := range n {
		users = append(users, fmt.Sprintf("%s-%05d", prefix, i))
		tokens = append(tokens, deviceToken(v, i))
	}
	return users, tokens
}

// TestVivoGroupOf1500IsOneSaveAndTwoLists: 1500 recipients with one vivo
// phone each are one saveListPayload and two pushToList calls (1000 + 500),
// each phone reached exactly once (issue #5).
func TestVivoGroupOf1500IsOneSaveAndTwoLists(t *testing.T) {
	h := newHarness(t)
	cert := h.addVendor(testApp, vendors.Vivo)
	users, tokens := numbered("v", vendors.Vivo, 1500)
	h.bindMany(testApp, cert, users, tokens)
	h.enqueue(groupJob("grp-vivo", users))
	evs := h.waitDone(testApp, "grp-vivo", 30*time.Second)

	reqs := h.sb.Vivo.Requests()
	saves, lists := onPath(reqs, "/message/saveListPayload"), onPath(reqs, "/message/pushToList")
	if len(saves) != 1 || len(lists) != 2 || len(onPath(reqs, "/message/send")) != 0 {
		t.Fatalf("%d saveListPayload, %d pushToList, %d send; want 1, 2, 0", len(saves), len(lists), len(onPath(reqs, "/message/send")))
	}
	sizes := []int{len(lists[0].Tokens), len(lists[1].Tokens)}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{500, 1000}) {
		t.Fatalf("pushToList sizes %v, want 500 and 1000", sizes)
	}
	ok := okPerToken(lists)
	for _, tok := range tokens {
		if ok[tok] != 1 {
			t.Fatalf("token %s accepted %d times, want once", tok, ok[tok])
		}
	}
	if got := countEvents(evs); got["sent"] != 1500 || len(evs) != 1500 {
		t.Fatalf("events %v, want 1500 sent", got)
	}
}

// TestXiaomiGroupOf2500AndPartialFailure: 2500 Xiaomi phones are three
// requests (1000, 1000, 500); three regIds Xiaomi lists in bad_regids lose
// their binding and nothing is retried (issue #5).
func TestXiaomiGroupOf2500AndPartialFailure(t *testing.T) {
	h := newHarness(t)
	cert := h.addVendor(testApp, vendors.Xiaomi)
	users, tokens := numbered("x", vendors.Xiaomi, 2500)
	h.bindMany(testApp, cert, users, tokens)
	bad := []int{3, 1500, 2499}
	for _, i := range bad {
		h.sb.Xiaomi.FailToken(tokens[i], fake.Failure{Code: "bad_regid"})
	}
	h.enqueue(groupJob("grp-xm", users))
	evs := h.waitDone(testApp, "grp-xm", 30*time.Second)

	reqs := h.sb.Xiaomi.Requests()
	var sizes []int
	for _, r := range reqs {
		if r.Status != http.StatusOK {
			t.Fatalf("Xiaomi answered %d", r.Status)
		}
		sizes = append(sizes, len(r.Tokens))
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{500, 1000, 1000}) {
		t.Fatalf("request sizes %v, want 500, 1000, 1000", sizes)
	}
	h.noRetryScheduled(testApp, "grp-xm")
	got := countEvents(evs)
	if got["sent"] != 2497 || got[dispatcher.EventTokenInvalid] != 3 || len(evs) != 2500 {
		t.Fatalf("events %v, want 2497 sent and 3 token_invalid", got)
	}
	lists, err := h.app.Devices.ListMany(t.Context(), testApp, users)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lists {
		wantBound := !slices.Contains(bad, i)
		if (len(l) == 1) != wantBound {
			t.Fatalf("user %s has %d bindings, want bound=%v", users[i], len(l), wantBound)
		}
	}
}
