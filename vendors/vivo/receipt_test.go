package vivo

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestParseReceipts(t *testing.T) {
	got, err := ParseReceipts(vendors.ReceiptRequest{Body: []byte(`{"561151469521809408":{"param":"m1.ref","targets":"1551,1552"}}`)})
	if err != nil || len(got) != 2 || got[1] != (vendors.Receipt{Kind: vendors.ReceiptDelivered, Param: "m1.ref", Token: "1552", VendorMsgID: "561151469521809408"}) {
		t.Fatalf("%+v, %v", got, err)
	}
	if _, err := ParseReceipts(vendors.ReceiptRequest{Body: []byte(`[1]`)}); err == nil {
		t.Error("an array was accepted")
	}
}

func TestMessageAsksForReceipts(t *testing.T) {
	n := &vendors.Notification{ID: "m1", Title: "t", Body: "b", Callback: &vendors.Callback{URL: "https://x/v1/receipts/vivo/4", Param: "m1.abc"}}
	m, err := buildMessage(n, settings{}, time.Now())
	b, _ := json.Marshal(m)
	if err != nil || !strings.Contains(string(b), `"extra":{"callback":"https://x/v1/receipts/vivo/4","callback.param":"m1.abc"}`) {
		t.Fatalf("%s, %v", b, err)
	}
	n.Callback = nil
	m, _ = buildMessage(n, settings{}, time.Now())
	if b, _ := json.Marshal(m); strings.Contains(string(b), "extra") {
		t.Fatalf("extra without a callback: %s", b)
	}
}
