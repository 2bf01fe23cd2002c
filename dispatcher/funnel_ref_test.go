package dispatcher

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

func TestReceiptReferences(t *testing.T) {
	r := NewReceipts("https://push.example.com/", []byte("receipts-secret-0123"))
	cb := r.Callback(vendors.Xiaomi, 7, "msg-1")
	if cb == nil || cb.URL != "https://push.example.com/v1/receipts/xiaomi/7" || !strings.HasPrefix(cb.Param, "msg-1.") {
		t.Fatalf("callback = %+v", cb)
	}
	other := NewReceipts("https://push.example.com", []byte("another-secret-0123"))
	cases := []struct {
		name   string
		r      *Receipts
		vendor vendors.Vendor
		cert   int64
		param  string
		ok     bool
	}{
		{"signed here", r, vendors.Xiaomi, 7, cb.Param, true},
		{"another certificate", r, vendors.Xiaomi, 8, cb.Param, false},
		{"another vendor", r, vendors.Vivo, 7, cb.Param, false},
		{"another secret", other, vendors.Xiaomi, 7, cb.Param, false},
		{"msg_id changed", r, vendors.Xiaomi, 7, "msg-2" + cb.Param[5:], false},
		{"mac cut", r, vendors.Xiaomi, 7, cb.Param[:len(cb.Param)-1], false},
		{"unsigned", r, vendors.Xiaomi, 7, "msg-1", false},
		{"empty", r, vendors.Xiaomi, 7, "", false},
		{"receipts off", nil, vendors.Xiaomi, 7, cb.Param, false},
	}
	for _, c := range cases {
		msg, ok := c.r.Verify(c.vendor, c.cert, c.param)
		if ok != c.ok || (ok && msg != "msg-1") {
			t.Errorf("%s: Verify = %q, %v; want ok=%v", c.name, msg, ok, c.ok)
		}
	}
}

func TestReceiptCallbackWhenNone(t *testing.T) {
	r := NewReceipts("https://push.example.com", []byte("receipts-secret-0123"))
	long := strings.Repeat("m", MaxReceiptParam)
	for name, cb := range map[string]*vendors.Callback{
		"apns has no receipts":   r.Callback(vendors.APNs, 1, "m1"),
		"fcm has no receipts":    r.Callback(vendors.FCM, 1, "m1"),
		"msg_id too long to fit": r.Callback(vendors.Xiaomi, 1, long),
		"receipts off":           (*Receipts)(nil).Callback(vendors.Xiaomi, 1, "m1"),
		"no base url":            NewReceipts("", []byte("x")).Callback(vendors.Xiaomi, 1, "m1"),
	} {
		if cb != nil {
			t.Errorf("%s: callback %+v, want none", name, cb)
		}
	}
	fits := strings.Repeat("m", MaxReceiptParam-1-refMACChars)
	if cb := r.Callback(vendors.Meizu, 1, fits); cb == nil || len(cb.Param) != MaxReceiptParam {
		t.Fatalf("longest msg_id that fits: %+v", cb)
	}
}

// callbackSender records the notifications it was asked to send.
type callbackSender struct {
	vendor vendors.Vendor
	got    []*vendors.Notification
}

func (s *callbackSender) Vendor() vendors.Vendor { return s.vendor }
func (s *callbackSender) MaxBatch() int          { return 10 }
func (s *callbackSender) Send(_ context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	s.got = append(s.got, n)
	return vendors.Fail(tokens, nil)
}
func (s *callbackSender) DryRun(context.Context, *vendors.Notification, []string) ([]vendors.Request, error) {
	return nil, nil
}

func TestReceiptsWrapAttachesCallbacks(t *testing.T) {
	r := NewReceipts("https://push.example.com", []byte("receipts-secret-0123"))
	for _, v := range []vendors.Vendor{vendors.Huawei, vendors.APNs} {
		inner := &callbackSender{vendor: v}
		b := r.Wrap(func(*vendors.Credential, vendors.Endpoint) (vendors.Sender, error) { return inner, nil })
		s, err := b(&vendors.Credential{ID: 3, Vendor: v}, vendors.Endpoint{})
		if err != nil {
			t.Fatal(err)
		}
		n := &vendors.Notification{ID: "m-9", Title: "t", Body: "b"}
		s.Send(context.Background(), n, []string{"tok"})
		got := inner.got[0]
		if n.Callback != nil {
			t.Fatalf("%s: the shared notification was modified", v)
		}
		want := r.Callback(v, 3, "m-9")
		if (want == nil) != (got.Callback == nil) || (want != nil && *want != *got.Callback) {
			t.Errorf("%s: sent callback %+v, want %+v", v, got.Callback, want)
		}
	}
}

func TestReceiptEvent(t *testing.T) {
	cases := []struct {
		rc   vendors.Receipt
		want string
	}{
		{vendors.Receipt{Kind: vendors.ReceiptDelivered, Token: "tok"}, EventDelivered},
		{vendors.Receipt{Kind: vendors.ReceiptClicked, Token: "tok"}, EventClicked},
		{vendors.Receipt{Kind: vendors.ReceiptUndelivered, Token: "tok", Code: "2"}, EventFailed},
	}
	for _, c := range cases {
		ev := ReceiptEvent("app", 4, vendors.Huawei, "m", c.rc, time.Now())
		if ev.Type != c.want || ev.Token != vendors.TokenHash("tok") || ev.CertID != 4 || ev.Vendor != "huawei" {
			t.Errorf("%+v: event %+v", c.rc, ev)
		}
		if c.want == EventFailed && (ev.Kind != "undelivered" || ev.Code != "2") {
			t.Errorf("undelivered: %+v", ev)
		}
	}
}
