package dispatcher

import (
	"errors"
	"strings"
	"testing"
	"time"
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
	})
}
