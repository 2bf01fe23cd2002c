package huawei

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

const (
	v2Body = `{"statuses":[{"biTag":"m1.ref","pushType":0,"appPackageName":"com.example","token":"tok-a","requestId":"r1",` +
		`"deliveryStatus":{"result":0,"timestamp":1764590400000}},{"biTag":"m1.ref","token":"tok-b","requestId":"r1",` +
		`"deliveryStatus":{"result":2,"timestamp":1764590400000}},{"biTag":"m1.ref","token":"tok-d","requestId":"r1",` +
		`"deliveryStatus":{"result":6,"timestamp":1764590400000}}]}`
	v1Body = `{"statuses":[{"biTag":"m2.ref","appid":"101","token":"tok-c","status":0,"timestamp":1764590400000,"requestId":"r2"}]}`
)

func TestParseReceipts(t *testing.T) {
	now := time.UnixMilli(1764590400000)
	secret := []byte("agc-callback-key")
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	good := "timestamp=" + ts + ";nonce=n-1;value=" + CallbackSignature(ts, "n-1", "pushd", secret)
	stale := strconv.FormatInt(now.Add(-10*time.Minute).UnixMilli(), 10)
	cases := []struct {
		name, header, user, body string
		secret                   []byte
		wantErr                  bool
		want                     []vendors.Receipt
	}{
		{name: "signed V2", header: good, user: "pushd", secret: secret, body: v2Body, want: []vendors.Receipt{
			{Kind: vendors.ReceiptDelivered, Param: "m1.ref", Token: "tok-a", VendorMsgID: "r1", At: now},
			// 2: the app is uninstalled, the token is dead; 6: notifications
			// are off, the token lives.
			{Kind: vendors.ReceiptTokenInvalid, Code: "2", Param: "m1.ref", Token: "tok-b", VendorMsgID: "r1", At: now},
			{Kind: vendors.ReceiptUndelivered, Code: "6", Param: "m1.ref", Token: "tok-d", VendorMsgID: "r1", At: now}}},
		{name: "signed, spaces after ;", header: strings.ReplaceAll(good, ";", "; "), user: "pushd", secret: secret, body: v1Body,
			want: []vendors.Receipt{{Kind: vendors.ReceiptDelivered, Param: "m2.ref", Token: "tok-c", VendorMsgID: "r2", At: now}}},
		{name: "no signature configured", body: v1Body,
			want: []vendors.Receipt{{Kind: vendors.ReceiptDelivered, Param: "m2.ref", Token: "tok-c", VendorMsgID: "r2", At: now}}},
		{name: "unsigned", user: "pushd", secret: secret, body: v2Body, wantErr: true},
		{name: "forged signature", header: "timestamp=" + ts + ";nonce=n-1;value=AAAA", user: "pushd", secret: secret, body: v2Body, wantErr: true},
		{name: "another user", header: good, user: "someone", secret: secret, body: v2Body, wantErr: true},
		{name: "another key", header: good, user: "pushd", secret: []byte("other"), body: v2Body, wantErr: true},
		{name: "replayed late", header: "timestamp=" + stale + ";nonce=n-1;value=" + CallbackSignature(stale, "n-1", "pushd", secret),
			user: "pushd", secret: secret, body: v2Body, wantErr: true},
		{name: "not JSON", body: "statuses", wantErr: true},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.header != "" {
			h.Set(CallbackHeader, c.header)
		}
		got, err := ParseReceipts(vendors.ReceiptRequest{Header: h, Body: []byte(c.body), User: c.user, Secret: c.secret, Now: now})
		if c.wantErr {
			if err == nil {
				t.Errorf("%s: accepted %+v", c.name, got)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%s: %+v, %v", c.name, got, err)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: receipt %d = %+v, want %+v", c.name, i, got[i], c.want[i])
			}
		}
	}
	_, err := ParseReceipts(vendors.ReceiptRequest{Header: http.Header{}, Body: []byte(v2Body), User: "pushd", Secret: secret, Now: now})
	if !errors.Is(err, vendors.ErrReceiptAuth) {
		t.Errorf("unsigned: %v, want ErrReceiptAuth", err)
	}
}

func TestReceiptReply(t *testing.T) {
	if st, body := ReceiptReply(nil); st != 200 || body.(map[string]string)["code"] != "0" {
		t.Errorf("taken: %d %v", st, body)
	}
	if st, body := ReceiptReply(vendors.ErrReceiptAuth); st == 200 || body.(map[string]string)["code"] == "0" {
		t.Errorf("refused: %d %v", st, body)
	}
}

func TestBiTagCarriesTheCallbackParam(t *testing.T) {
	n := vendors.Notification{ID: "m1", Title: "t", Body: "b", Callback: &vendors.Callback{URL: "https://x/v1/receipts/huawei/1", Param: "m1.abc"}}
	b, err := buildBody(n, settings{Click: vendors.Click{Action: vendors.ClickOpenApp}}, []string{"tok"}, time.Now())
	if err != nil || !strings.Contains(string(b), `"bi_tag":"m1.abc"`) {
		t.Fatalf("body %s, %v", b, err)
	}
	n.Callback = nil
	if b, _ := buildBody(n, settings{Click: vendors.Click{Action: vendors.ClickOpenApp}}, []string{"tok"}, time.Now()); strings.Contains(string(b), "bi_tag") {
		t.Fatalf("bi_tag without a callback: %s", b)
	}
}
