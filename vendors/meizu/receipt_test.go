package meizu

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestParseReceipts(t *testing.T) {
	cb := `{"NS20-1":{"param":"m1.ref","type":1,"targets":["p1","p2"]},"NS20-2":{"param":"m1.ref","type":2,"targets":["p1"]}}`
	body := url.Values{"cb": {cb}, "access_token": {"x"}}.Encode()
	got, err := ParseReceipts(vendors.ReceiptRequest{Body: []byte(body)})
	if err != nil || len(got) != 3 {
		t.Fatalf("%+v, %v", got, err)
	}
	kinds := map[vendors.ReceiptKind]int{}
	for _, r := range got {
		kinds[r.Kind]++
		if r.VendorMsgID != "NS20" || r.Param != "m1.ref" {
			t.Errorf("receipt %+v", r)
		}
	}
	if kinds[vendors.ReceiptDelivered] != 2 || kinds[vendors.ReceiptClicked] != 1 {
		t.Errorf("kinds %v", kinds)
	}
	if _, err := ParseReceipts(vendors.ReceiptRequest{Body: []byte("cb=%7B")}); err == nil {
		t.Error("a broken cb was accepted")
	}
}

func TestMessageAsksForReceipts(t *testing.T) {
	n := &vendors.Notification{ID: "m1", Title: "t", Body: "b", Callback: &vendors.Callback{URL: "https://x/v1/receipts/meizu/5", Param: "m1.abc"}}
	b, _ := json.Marshal(buildMessage(n, settings{}, time.Now()))
	if !strings.Contains(string(b), `"extra":{"callback":"https://x/v1/receipts/meizu/5","callback.param":"m1.abc","callback.type":3}`) {
		t.Fatalf("%s", b)
	}
}
