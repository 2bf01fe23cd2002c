package fake

import (
	"testing"

	"github.com/sideshow/apns2"
)

// TestCheckPayload pins what the fake APNs accepts in a payload: a JSON
// object whose aps is an object, flags that are the numbers 0 or 1, an
// interruption level Apple names and a string subtitle; a background push
// has content-available 1 and no alert, sound or badge.
func TestCheckPayload(t *testing.T) {
	const empty = apns2.ReasonPayloadEmpty
	for _, tc := range []struct {
		body, pushType, want string
	}{
		{`{"aps":{"alert":{"title":"t","subtitle":"s","body":"b"},"sound":"default","badge":3}}`, "alert", ""},
		{`{"aps":{"alert":"hello"},"ext":{"k":[1,2,{"x":null}]}}`, "alert", ""},
		{`{"aps":{}}`, "alert", ""},
		{`{"aps":{"alert":{"subtitle":5}}}`, "alert", empty},
		{`{"aps":{"content-available":0,"mutable-content":1}}`, "alert", ""},
		{`{"aps":{"content-available":"1"}}`, "alert", empty},
		{`{"aps":{"content-available":2}}`, "alert", empty},
		{`{"aps":{"mutable-content":true}}`, "alert", empty},
		{`{"aps":{"interruption-level":"time-sensitive"}}`, "alert", ""},
		{`{"aps":{"interruption-level":"urgent"}}`, "alert", empty},
		{`{"aps":{"interruption-level":5}}`, "alert", empty},
		{`{"aps":[]}`, "alert", empty},
		{`{"aps":null}`, "alert", empty},
		{`{"aps":"x"}`, "alert", empty},
		{`[{"aps":{}}]`, "alert", empty},
		{`{"aps":{}} x`, "alert", empty},
		{`{"aps":{"alert":"a"`, "alert", empty},
		{`   `, "alert", empty},
		{`{"aps":{"content-available":1}}`, "background", ""},
		{`{"aps":{"content-available":1.0}}`, "background", ""},
		{`{"aps":{"content-available":0}}`, "background", empty},
		{`{"aps":{"content-available":1,"badge":0}}`, "background", empty},
		{`{"aps":{"content-available":1,"alert":"a"}}`, "background", empty},
		{`{"aps":{"content-available":1,"sound":""}}`, "background", empty},
	} {
		if got := checkPayload([]byte(tc.body), tc.pushType); got != tc.want {
			t.Errorf("checkPayload(%s, %s) = %q, want %q", tc.body, tc.pushType, got, tc.want)
		}
	}
}
