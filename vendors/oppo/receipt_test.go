package oppo

import (
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestParseReceipts(t *testing.T) {
	body := `[{"messageId":"a-1-1-9","appId":"app","taskId":"t","registrationIds":"CN_1,CN_2","eventTime":"1764590400000","param":"m1.ref","eventType":"push_arrive"},` +
		`{"messageId":"a-1-1-9","registrationIds":"CN_3","param":"m1.ref","eventType":"regid_invalid"}]`
	got, err := ParseReceipts(vendors.ReceiptRequest{Body: []byte(body)})
	at := time.UnixMilli(1764590400000)
	want := []vendors.Receipt{
		{Kind: vendors.ReceiptDelivered, Param: "m1.ref", Token: "CN_1", VendorMsgID: "a-1-1-9", At: at},
		{Kind: vendors.ReceiptDelivered, Param: "m1.ref", Token: "CN_2", VendorMsgID: "a-1-1-9", At: at},
		{Kind: vendors.ReceiptUndelivered, Code: "regid_invalid", Param: "m1.ref", Token: "CN_3", VendorMsgID: "a-1-1-9"},
	}
	if err != nil || len(got) != len(want) {
		t.Fatalf("%+v, %v", got, err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := ParseReceipts(vendors.ReceiptRequest{Body: []byte(`{"not":"an array"}`)}); err == nil {
		t.Error("an object was accepted")
	}
}

func TestNotificationAsksForReceipts(t *testing.T) {
	n := &vendors.Notification{ID: "m1", Title: "t", Body: "b", Callback: &vendors.Callback{URL: "https://x/v1/receipts/oppo/3", Param: "m1.abc"}}
	req, err := build(n, settings{ChannelID: "im"}, []string{"CN_1"}, time.Now())
	if err != nil || !strings.Contains(req.Form.Get("message"), `"call_back_url":"https://x/v1/receipts/oppo/3","call_back_parameter":"m1.abc"`) {
		t.Fatalf("%v, %v", req.Form, err)
	}
}
