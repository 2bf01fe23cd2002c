package dispatcher

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestDecodeJobValid(t *testing.T) {
	j, err := DecodeJob([]byte(`{"app_id":"1400000001","msg_id":"c2c-1","sender":{"user_id":"denny","nickname":"Denny"},
		"recipients":["vinson"],"elems":[{"type":"text","text":"See you at 8"}],
		"offline_push":{"ext":"{}","android":{"vivo_classification":1}}}`), now)
	if err != nil {
		t.Fatal(err)
	}
	if j.ExpireAt == nil || !j.ExpireAt.Equal(now.Add(DefaultExpiry)) {
		t.Fatalf("default expire_at = %v", j.ExpireAt)
	}
}

// Every malformed job is refused with an error naming the field at fault.
func TestDecodeJobRefusesNamingTheField(t *testing.T) {
	big := `{"app_id":"1","msg_id":"m","recipients":["u"],"offline_push":{"desc":"` + strings.Repeat("x", MaxJobBytes) + `"}}`
	cases := []struct {
		name, body, field string
	}{
		{"empty", ``, "body"},
		{"not json", `{"app_id":`, "body"},
		{"trailing", `{"app_id":"1","msg_id":"m","recipients":["u"]} {}`, "body"},
		{"unknown field", `{"app_id":"1","msg_id":"m","recipients":["u"],"colour":1}`, "colour"},
		{"wrong type", `{"app_id":1,"msg_id":"m","recipients":["u"]}`, "app_id"},
		{"wrong nested type", `{"app_id":"1","msg_id":"m","devices":[{"cert_id":"x","token":"t"}]}`, "devices.cert_id"},
		{"missing app", `{"msg_id":"m","recipients":["u"]}`, "app_id"},
		{"missing msg_id", `{"app_id":"1","recipients":["u"]}`, "msg_id"},
		{"msg_id with space", `{"app_id":"1","msg_id":"a b","recipients":["u"]}`, "msg_id"},
		{"no targets", `{"app_id":"1","msg_id":"m"}`, "recipients"},
		{"both targets", `{"app_id":"1","msg_id":"m","recipients":["u"],"devices":[{"cert_id":1,"token":"t"}]}`, "devices"},
		{"empty recipient", `{"app_id":"1","msg_id":"m","recipients":["u",""]}`, "recipients[1]"},
		{"zero cert", `{"app_id":"1","msg_id":"m","devices":[{"cert_id":0,"token":"t"}]}`, "devices[0].cert_id"},
		{"no token", `{"app_id":"1","msg_id":"m","devices":[{"cert_id":1}]}`, "devices[0].token"},
		{"unknown vendor", `{"app_id":"1","msg_id":"m","devices":[{"cert_id":1,"token":"t","vendor":"nokia"}]}`, "devices[0].vendor"},
		{"unknown group type", `{"app_id":"1","msg_id":"m","recipients":["u"],"group":{"id":"g","type":"Club"}}`, "group.type"},
		{"unknown elem", `{"app_id":"1","msg_id":"m","recipients":["u"],"elems":[{"type":"hologram"}]}`, "elems[0].type"},
		{"negative badge", `{"app_id":"1","msg_id":"m","recipients":["u"],"offline_push":{"badge":-1}}`, "offline_push.badge"},
		{"ext too large", `{"app_id":"1","msg_id":"m","recipients":["u"],"offline_push":{"ext":"` + strings.Repeat("e", MaxExtBytes+1) + `"}}`, "offline_push.ext"},
		{"bad vivo classification", `{"app_id":"1","msg_id":"m","recipients":["u"],"offline_push":{"android":{"vivo_classification":7}}}`, "offline_push.android.vivo_classification"},
		{"expired", `{"app_id":"1","msg_id":"m","recipients":["u"],"expire_at":"2026-11-25T11:00:00Z"}`, "expire_at"},
		{"bad time", `{"app_id":"1","msg_id":"m","recipients":["u"],"expire_at":"tomorrow"}`, "expire_at"},
		{"too far", `{"app_id":"1","msg_id":"m","recipients":["u"],"expire_at":"2027-11-25T11:00:00Z"}`, "expire_at"},
		{"invalid utf-8", "{\"app_id\":\"1\",\"msg_id\":\"m\",\"recipients\":[\"u\"],\"sender\":{\"user_id\":\"d\",\"nickname\":\"\xff\xfe\"}}", "sender.nickname"},
		{"invalid utf-8 in array", "{\"app_id\":\"1\",\"msg_id\":\"m\",\"recipients\":[\"u\",\"\xc3\"]}", "recipients[1]"},
		{"oversized", big, "body"},
		{"duplicate app_id", `{"app_id":"1","app_id":"2","msg_id":"m","recipients":["u"]}`, "app_id"},
		{"case-variant key", `{"App_ID":"2","msg_id":"m","recipients":["u"]}`, "App_ID"},
		{"case-variant beside", `{"app_id":"1","APP_ID":"2","msg_id":"m","recipients":["u"]}`, "APP_ID"},
		{"nested duplicate", `{"app_id":"1","msg_id":"m","recipients":["u"],"offline_push":{"ext":"a","ext":"b"}}`, "offline_push.ext"},
		{"nested case variant", `{"app_id":"1","msg_id":"m","devices":[{"cert_id":1,"Token":"t"}]}`, "devices[0].Token"},
		{"too deep", `{"app_id":"1","msg_id":"m","recipients":["u"],"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, "x" + strings.Repeat("[0]", 31)},
		{"NUL in app_id", `{"app_id":"1\u0000","msg_id":"m","recipients":["u"]}`, "app_id"},
		{"zero-width in app_id", "{\"app_id\":\"14\u200b00\",\"msg_id\":\"m\",\"recipients\":[\"u\"]}", "app_id"},
		{"colon in app_id", `{"app_id":"1:2","msg_id":"m","recipients":["u"]}`, "app_id"},
		{"zero-width in msg_id", "{\"app_id\":\"1\",\"msg_id\":\"m\u200d1\",\"recipients\":[\"u\"]}", "msg_id"},
		{"bidi override in recipient", "{\"app_id\":\"1\",\"msg_id\":\"m\",\"recipients\":[\"u\",\"ev\u202eil\"]}", "recipients[1]"},
		{"control in sender", `{"app_id":"1","msg_id":"m","sender":{"user_id":"a\u0007"},"recipients":["u"]}`, "sender.user_id"},
		{"control in group id", `{"app_id":"1","msg_id":"m","recipients":["u"],"group":{"id":"g\u0001","type":"Work"}}`, "group.id"},
		{"zero-width mention", "{\"app_id\":\"1\",\"msg_id\":\"m\",\"recipients\":[\"u\"],\"mentions\":[\"\ufeff\"]}", "mentions[0]"},
		{"comma in token", `{"app_id":"1","msg_id":"m","devices":[{"cert_id":1,"token":"regA,regB"}]}`, "devices[0].token"},
		{"space in token", `{"app_id":"1","msg_id":"m","devices":[{"cert_id":1,"token":"reg A"}]}`, "devices[0].token"},
		{"non-ASCII token", `{"app_id":"1","msg_id":"m","devices":[{"cert_id":1,"token":"régA"}]}`, "devices[0].token"},
		{"long android option", `{"app_id":"1","msg_id":"m","recipients":["u"],"offline_push":{"android":{"oppo_channel_id":"` + strings.Repeat("c", MaxOptionBytes+1) + `"}}}`, "offline_push.android.oppo_channel_id"},
		{"long ios sound", `{"app_id":"1","msg_id":"m","recipients":["u"],"offline_push":{"ios_sound":"` + strings.Repeat("s", MaxOptionBytes+1) + `"}}`, "offline_push.ios_sound"},
		{"ext leaving no room", `{"app_id":"1","msg_id":"m","recipients":["u"],"elems":[{"type":"text","text":"hello there"}],"offline_push":{"ext":"` + strings.Repeat("e", 4095) + `"}}`, "offline_push.ext"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeJob([]byte(c.body), now)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FieldError", err)
			}
			if fe.Field != c.field {
				t.Fatalf("field = %q (%v), want %q", fe.Field, err, c.field)
			}
		})
	}
}

func FuzzDecodeJob(f *testing.F) {
	f.Add([]byte(`{"app_id":"1","msg_id":"m","recipients":["u"],"elems":[{"type":"text","text":"hi"}]}`))
	f.Add([]byte(`{"app_id":"1","msg_id":"m","devices":[{"cert_id":3,"token":"t","vendor":"apns"}],"offline_push":{"badge":2}}`))
	f.Add([]byte("{\"app_id\":\"\xff\"}"))
	f.Add([]byte(`[1,2,{"a":[]}]`))
	f.Add([]byte(`{"":""}`))
	f.Add([]byte(`{"app_id":"1","app_id":"2","msg_id":"m","recipients":["u"],"elems":[{"type":"text","text":"hi"}]}`))
	f.Add([]byte(`{"App_Id":"1","msg_id":"m","recipients":["u"]}`))
	f.Add([]byte("{\"app_id\":\"1\u200b\",\"msg_id\":\"m\u0000\",\"recipients\":[\"\u202e\"]}"))
	f.Add([]byte(`{"app_id":"1","msg_id":"m","devices":[{"cert_id":1,"token":"a,b"}],"offline_push":{"desc":"x"}}`))
	f.Add([]byte(`{"app_id":"1","msg_id":"m","recipients":["u"],"group":{"id":"g\u0001","type":"Work"},"elems":[{"type":"text","text":"hi"}]}`))
	f.Add([]byte(`{"app_id":"1","msg_id":"m","recipients":["u"],"elems":[{"type":"text","text":"hi"}],"offline_push":{"ext":"` + strings.Repeat("e", 4000) + `","android":{"huawei_channel_id":"` + strings.Repeat("h", 200) + `"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := DecodeJob(b, now)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if j.AppID == "" || j.MsgID == "" || (len(j.Recipients) == 0) == (len(j.Devices) == 0) || j.ExpireAt == nil {
			t.Fatalf("accepted an invalid job: %+v", j)
		}
		// Whatever decoding accepts, the worker can render for every
		// vendor: no job is answered 202 and then archived.
		for _, v := range vendors.All() {
			_, err := Render(j, RenderInput{Vendor: v, App: DefaultAppSettings()})
			var fe *FieldError
			if errors.As(err, &fe) {
				t.Fatalf("accepted a job %s refuses: %v", v, err)
			}
		}
	})
}
