package xiaomi

import (
	"net/url"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestParseReceipts(t *testing.T) {
	at := time.UnixMilli(1764590400000)
	cases := []struct {
		name    string
		body    string
		wantErr bool
		want    []vendors.Receipt
	}{
		{"delivered to two", ReceiptForm(map[string]ReceiptEntry{"scm01": {Param: "m1.ref", Type: 1, Targets: "r1, r2", Timestamp: at.UnixMilli()}}), false,
			[]vendors.Receipt{{Kind: vendors.ReceiptDelivered, Param: "m1.ref", Token: "r1", VendorMsgID: "scm01", At: at},
				{Kind: vendors.ReceiptDelivered, Param: "m1.ref", Token: "r2", VendorMsgID: "scm01", At: at}}},
		{"clicked", ReceiptForm(map[string]ReceiptEntry{"scm02": {Param: "m2.ref", Type: 2, Targets: "r3"}}), false,
			[]vendors.Receipt{{Kind: vendors.ReceiptClicked, Param: "m2.ref", Token: "r3", VendorMsgID: "scm02"}}},
		{"invalid target (16)", ReceiptForm(map[string]ReceiptEntry{"scm03": {Param: "m3.ref", Type: 16, Targets: "r4"}}), false,
			[]vendors.Receipt{{Kind: vendors.ReceiptUndelivered, Code: "16", Param: "m3.ref", Token: "r4", VendorMsgID: "scm03"}}},
		{"no data field", url.Values{"x": {"1"}}.Encode(), true, nil},
		{"data not JSON", url.Values{"data": {"{"}}.Encode(), true, nil},
	}
	for _, c := range cases {
		got, err := ParseReceipts(vendors.ReceiptRequest{Body: []byte(c.body), Now: at})
		if (err != nil) != c.wantErr || len(got) != len(c.want) {
			t.Errorf("%s: %+v, %v", c.name, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %d = %+v, want %+v", c.name, i, got[i], c.want[i])
			}
		}
	}
}

func TestFormAsksForReceipts(t *testing.T) {
	n := vendors.Notification{ID: "m1", Title: "t", Body: "b", Callback: &vendors.Callback{URL: "https://x/v1/receipts/xiaomi/2", Param: "m1.abc"}}
	f := buildForm(n, settings{Package: "com.example"}, []string{"r1"}, time.Now())
	if f.Get(FieldCallback) != n.Callback.URL || f.Get(FieldCallbackParam) != "m1.abc" || f.Get(FieldCallbackType) != "3" {
		t.Fatalf("form %v", f)
	}
	n.Callback = nil
	if f := buildForm(n, settings{Package: "com.example"}, []string{"r1"}, time.Now()); f.Has(FieldCallback) {
		t.Fatalf("callback without one: %v", f)
	}
}
