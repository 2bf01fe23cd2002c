package honor

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestParseReceipts(t *testing.T) {
	now := time.UnixMilli(1764590400000)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	secret := []byte("honor-callback-key")
	sig := "timestamp=" + ts + ";nonce=n;value=" + CallbackSignature(ts, "n", "pushd", secret)
	body := `{"statuses":[{"biTag":"m1.ref","token":"h1","requestId":"r","status":0,"timestamp":1764590400000}]}`
	cases := []struct {
		name, header, hval string
		ok                 bool
	}{
		{"Honor header", CallbackHeader, sig, true},
		{"Huawei header name", altCallbackHeader, sig, true},
		{"unsigned", "", "", false},
		{"forged", CallbackHeader, "timestamp=" + ts + ";nonce=n;value=Zm9yZ2Vk", false},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.header != "" {
			h.Set(c.header, c.hval)
		}
		got, err := ParseReceipts(vendors.ReceiptRequest{Header: h, Body: []byte(body), User: "pushd", Secret: secret, Now: now})
		if c.ok != (err == nil) || (c.ok && (len(got) != 1 || got[0].Kind != vendors.ReceiptDelivered || got[0].Param != "m1.ref")) {
			t.Errorf("%s: %+v, %v", c.name, got, err)
		}
	}
}

func TestBiTagCarriesTheCallbackParam(t *testing.T) {
	n := vendors.Notification{ID: "m1", Title: "t", Body: "b", Callback: &vendors.Callback{URL: "u", Param: "m1.abc"}}
	r := newRequest(&n, settings{Click: vendors.Click{Action: vendors.ClickOpenApp}}, []string{"tok"}, time.Now())
	if r.Android.BiTag != "m1.abc" {
		t.Fatalf("biTag %q", r.Android.BiTag)
	}
}
