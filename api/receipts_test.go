package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/huawei"
	"github.com/pushd/pushd/vendors/xiaomi"
)

const (
	receiptAdmin    = "receipts-admin-token-0123"
	receiptSecret   = "receipts-secret-0123456"
	agcUser         = "pushd-agc"
	agcKey          = "agc-callback-key-0123"
	hwReceiptToken  = "hw-token-receipts-0001"
	xmReceiptToken  = "xm-reg-token-receipts-0001"
	xmReceiptToken2 = "xm-reg-token-receipts-0002"
)

// receiptRig is the API with receipts on, served on a loopback URL the
// fakes POST their receipts to, with a Huawei and a Xiaomi certificate of
// appA whose senders (built as the worker builds them, through
// Receipts.Wrap) point at the fakes.
type receiptRig struct {
	*fixture
	refs       *dispatcher.Receipts
	sink       dispatcher.EventSink
	hw         *fake.Huawei
	xm         *fake.Xiaomi
	pool       *dispatcher.Pool
	hwID, xmID int64
}

func newReceiptRig(t *testing.T) *receiptRig {
	t.Helper()
	rg := &receiptRig{hw: fake.NewHuawei(fake.HuaweiOptions{}), xm: fake.NewXiaomi(fake.XiaomiOptions{})}
	t.Cleanup(func() { rg.hw.WaitReceipts(); rg.xm.WaitReceipts(); rg.hw.Close(); rg.xm.Close() })
	var api http.Handler = http.NotFoundHandler()
	pub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { api.ServeHTTP(w, r) }))
	t.Cleanup(pub.Close)
	rg.refs = dispatcher.NewReceipts(pub.URL, []byte(receiptSecret))
	tokens := []configs.Token{{Name: "ops", Token: receiptAdmin, Role: configs.RoleAdmin}}
	rg.fixture = newFixture(t, tokens, func(d *Deps) {
		funnel := dispatcher.NewFunnel(d.Redis, "pushd:", 48*time.Hour, nil)
		rg.sink = dispatcher.MultiSink{dispatcher.NewStreamSink(d.Redis, "pushd:", 1000), funnel}
		d.Receipts = ReceiptDeps{Refs: rg.refs, Events: rg.sink, Funnel: funnel, Prefix: "pushd:",
			CallbackUser: agcUser, CallbackSecret: []byte(agcKey)}
	})
	api = rg.srv
	ctx := context.Background()
	hwInfo, err := rg.certs.Add(ctx, certs.Upload{AppID: appA, Vendor: vendors.Huawei,
		Fields:  map[string]string{vendors.FieldAppID: "10086001"},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte("hw-app-secret-0123")}})
	if err != nil {
		t.Fatal(err)
	}
	rg.hwID, rg.xmID = hwInfo.ID, rg.addCert(appA)
	for id, trust := range map[int64]func(*vendors.Credential) error{rg.hwID: rg.hw.Trust, rg.xmID: rg.xm.Trust} {
		cred, err := rg.certs.Credential(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		trust(cred)
	}
	// AppGallery Connect: the receipt address of the certificate, and the
	// callback user and key that sign receipts.
	rg.hw.SetReceipts(rg.refs.URL(vendors.Huawei, rg.hwID), agcUser, []byte(agcKey))
	reg := vendors.NewRegistry()
	reg.Register(vendors.Huawei, rg.refs.Wrap(huawei.New), rg.hw.Endpoint())
	reg.Register(vendors.Xiaomi, rg.refs.Wrap(xiaomi.New), rg.xm.Endpoint())
	rg.pool = dispatcher.NewPool(rg.certs, reg, time.Second)
	return rg
}

// push sends msg to tokens with certificate cert, as a job's delivery
// does, and writes the sent events the committer writes.
func (rg *receiptRig) push(t *testing.T, cert int64, msg string, tokens ...string) {
	t.Helper()
	ctx := context.Background()
	s, cred, err := rg.pool.Sender(ctx, cert)
	if err != nil {
		t.Fatal(err)
	}
	rs := s.Send(ctx, &vendors.Notification{ID: msg, Title: "Denny", Body: "lunch?"}, tokens)
	var evs []dispatcher.Event
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("send to %s: %v", cred.Vendor, r.Err)
		}
		evs = append(evs, dispatcher.Event{Type: dispatcher.EventSent, AppID: appA, MsgID: msg, CertID: cert,
			Vendor: string(cred.Vendor), Token: vendors.TokenHash(r.Token), VendorMsgID: r.MessageID, At: time.Now()})
	}
	rg.sink.Emit(ctx, evs)
}

// events reads appA's events as `pushd events` does.
func (rg *receiptRig) events(t *testing.T) []dispatcher.Event {
	t.Helper()
	rec := rg.do(request("GET", "/v1/apps/"+appA+"/events?follow=false", receiptAdmin, nil))
	var out []dispatcher.Event
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		var e dispatcher.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func countType(evs []dispatcher.Event, typ, vendor string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ && e.Vendor == vendor {
			n++
		}
	}
	return n
}

// TestReceiptsEndToEnd pushes to the Huawei and Xiaomi fakes, which send
// their receipts the vendor's way to the callback of each request; the
// receipts become delivered events, a simulated click a clicked event, and
// the funnel shows the numbers, with APNs "unsupported".
func TestReceiptsEndToEnd(t *testing.T) {
	rg := newReceiptRig(t)
	rg.push(t, rg.hwID, "msg-e2e-1", hwReceiptToken)
	rg.push(t, rg.xmID, "msg-e2e-1", xmReceiptToken, xmReceiptToken2)
	// An iOS device and a dropped recipient of the same message.
	rg.sink.Emit(context.Background(), []dispatcher.Event{
		{Type: dispatcher.EventSent, AppID: appA, MsgID: "msg-e2e-1", Vendor: "apns", At: time.Now()},
		{Type: dispatcher.EventDropped, AppID: appA, MsgID: "msg-e2e-1", UserID: "u9", Rule: "receive_not_notify", At: time.Now()}})

	// The requests asked for receipts: Huawei's bi_tag, Xiaomi's callback.
	hwReq := rg.hw.Requests()[0]
	cb := rg.refs.Callback(vendors.Huawei, rg.hwID, "msg-e2e-1")
	if !bytes.Contains(hwReq.Body, []byte(`"bi_tag":"`+cb.Param+`"`)) {
		t.Fatalf("Huawei request without the signed bi_tag: %s", hwReq.Body)
	}
	form, _ := url.ParseQuery(string(rg.xm.Requests()[0].Body))
	if form.Get("extra.callback") != rg.refs.URL(vendors.Xiaomi, rg.xmID) || form.Get("extra.callback.type") != "3" {
		t.Fatalf("Xiaomi request without the callback: %v", form)
	}

	rg.hw.WaitReceipts()
	rg.xm.WaitReceipts()
	for _, sr := range append(rg.hw.SentReceipts(), rg.xm.SentReceipts()...) {
		if sr.Status != http.StatusOK || sr.Err != nil {
			t.Fatalf("receipt to %s answered %d, %v", sr.URL, sr.Status, sr.Err)
		}
	}
	if sr, ok := rg.xm.Click(xmReceiptToken); !ok || sr.Status != http.StatusOK {
		t.Fatalf("click: %+v", sr)
	}

	evs := rg.events(t)
	if countType(evs, dispatcher.EventDelivered, "huawei") != 1 || countType(evs, dispatcher.EventDelivered, "xiaomi") != 2 ||
		countType(evs, dispatcher.EventClicked, "xiaomi") != 1 {
		t.Fatalf("events: %+v", evs)
	}
	for _, e := range evs {
		if e.Type == dispatcher.EventClicked && (e.MsgID != "msg-e2e-1" || e.Token != vendors.TokenHash(xmReceiptToken) || e.CertID != rg.xmID) {
			t.Errorf("clicked event %+v", e)
		}
	}

	rec := rg.do(request("GET", "/v1/apps/"+appA+"/stats?days=1", receiptAdmin, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("stats: %d %s", rec.Code, rec.Body)
	}
	var st dispatcher.FunnelStats
	json.Unmarshal(rec.Body.Bytes(), &st)
	hw, xm, ap := st.Vendors["huawei"], st.Vendors["xiaomi"], st.Vendors["apns"]
	switch {
	case hw == nil || hw.Sent != 1 || hw.Delivered == nil || *hw.Delivered != 1 || hw.Clicked != nil:
		t.Errorf("huawei funnel %s", rec.Body)
	case xm == nil || xm.Sent != 2 || *xm.Delivered != 2 || *xm.Clicked != 1:
		t.Errorf("xiaomi funnel %s", rec.Body)
	case ap == nil || ap.Sent != 1 || ap.Delivered != nil || ap.Receipts != "unsupported":
		t.Errorf("apns funnel %s", rec.Body)
	case st.Dropped["receive_not_notify"] != 1:
		t.Errorf("drops %s", rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `"delivered": null`) {
		t.Errorf("APNs delivered is not null: %s", rec.Body)
	}

	// A vendor retrying a receipt (or anyone replaying it) counts once.
	first := rg.xm.SentReceipts()[0]
	if st := postReceipt(rg, first.URL, first.Header, first.Body); st != http.StatusOK {
		t.Fatalf("replay answered %d", st)
	}
	if n := countType(rg.events(t), dispatcher.EventDelivered, "xiaomi"); n != 2 {
		t.Fatalf("a replayed receipt was counted again: %d delivered", n)
	}
}

// postReceipt POSTs a receipt to the rig's API and returns the status.
func postReceipt(rg *receiptRig, to string, h http.Header, body []byte) int {
	u, _ := url.Parse(to)
	r := httptest.NewRequest("POST", u.Path, bytes.NewReader(body))
	for k, vs := range h {
		r.Header[k] = vs
	}
	return rg.do(r).Code
}

// TestReceiptsRefused posts receipts that are not the vendor's, or not
// for a message this pushd signed, and checks each is refused without an
// event.
func TestReceiptsRefused(t *testing.T) {
	rg := newReceiptRig(t)
	param := rg.refs.Callback(vendors.Xiaomi, rg.xmID, "msg-r-1").Param
	hwParam := rg.refs.Callback(vendors.Huawei, rg.hwID, "msg-r-1").Param
	xmForm := func(p string) []byte {
		return []byte(xiaomi.ReceiptForm(map[string]xiaomi.ReceiptEntry{"scm1": {Param: p, Type: 1, Targets: xmReceiptToken}}))
	}
	formType := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	hwBody := []byte(`{"statuses":[{"biTag":"` + hwParam + `","token":"` + hwReceiptToken + `","requestId":"r","deliveryStatus":{"result":0,"timestamp":1}}]}`)
	now := time.Now().UnixMilli()
	ts := i64(now)
	hwSigned, hwWrongKey := http.Header{}, http.Header{}
	hwSigned.Set(huawei.CallbackHeader, "timestamp="+ts+";nonce=n1;value="+huawei.CallbackSignature(ts, "n1", agcUser, []byte(agcKey)))
	hwWrongKey.Set(huawei.CallbackHeader, "timestamp="+ts+";nonce=n1;value="+huawei.CallbackSignature(ts, "n1", agcUser, []byte("guess")))
	xmPath := dispatcher.ReceiptPath + "xiaomi/" + i64(rg.xmID)
	hwPath := dispatcher.ReceiptPath + "huawei/" + i64(rg.hwID)
	cases := []struct {
		name, path string
		header     http.Header
		body       []byte
		want       int
	}{
		{"xiaomi, signed reference", xmPath, formType, xmForm(param), http.StatusOK},
		{"xiaomi, unsigned param", xmPath, formType, xmForm("msg-r-1"), http.StatusUnauthorized},
		{"xiaomi, forged mac", xmPath, formType, xmForm("msg-r-2" + param[7:]), http.StatusUnauthorized},
		{"xiaomi, reference of another certificate", dispatcher.ReceiptPath + "xiaomi/" + i64(rg.hwID), formType, xmForm(param), http.StatusUnauthorized},
		{"xiaomi, no data", xmPath, formType, []byte("data="), http.StatusUnauthorized},
		{"huawei, signed", hwPath, hwSigned, hwBody, http.StatusOK},
		{"huawei, no signature header", hwPath, http.Header{}, hwBody, http.StatusUnauthorized},
		{"huawei, signed with another key", hwPath, hwWrongKey, hwBody, http.StatusUnauthorized},
		{"huawei, signed but biTag not ours", hwPath, hwSigned, bytes.Replace(hwBody, []byte(hwParam), []byte("msg-r-1.AAAAAAAAAAAAAAAA"), 1), http.StatusUnauthorized},
		{"apns sends no receipts", dispatcher.ReceiptPath + "apns/" + i64(rg.xmID), formType, xmForm(param), http.StatusNotFound},
		{"unknown certificate", dispatcher.ReceiptPath + "xiaomi/999999", formType, xmForm(param), http.StatusUnauthorized},
	}
	for _, c := range cases {
		if got := postReceipt(rg, "http://x"+c.path, c.header, c.body); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	evs := rg.events(t)
	if len(evs) != 2 || countType(evs, dispatcher.EventDelivered, "xiaomi") != 1 || countType(evs, dispatcher.EventDelivered, "huawei") != 1 {
		t.Fatalf("events after refusals: %+v", evs)
	}
	if rec := rg.do(request("GET", "/v1/apps/"+appA+"/stats?days=0", receiptAdmin, nil)); rec.Code != http.StatusBadRequest {
		t.Errorf("days=0: %d", rec.Code)
	}
	if rec := rg.do(request("GET", "/v1/apps/"+appA+"/stats", "", nil)); rec.Code != http.StatusUnauthorized {
		t.Errorf("stats without a token: %d", rec.Code)
	}
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

// TestReceiptDeadTokenRemovesBinding: a signed Huawei receipt saying the
// app was uninstalled (state 2) is a token_invalid event and removes the
// binding, as a send's invalid-token answer does; one saying
// notifications are off (state 6) is undelivered and leaves the binding.
func TestReceiptDeadTokenRemovesBinding(t *testing.T) {
	rg := newReceiptRig(t)
	ctx := context.Background()
	const dead, muted = "hw-token-receipts-dead", "hw-token-receipts-muted"
	for _, tok := range []string{dead, muted} {
		if err := rg.devs.Bind(ctx, devices.Binding{AppID: appA, UserID: "u-" + tok, CertID: rg.hwID, Token: tok, Platform: "android"}); err != nil {
			t.Fatal(err)
		}
	}
	rg.hw.SetReceiptResult(dead, 2)
	rg.hw.SetReceiptResult(muted, 6)
	rg.push(t, rg.hwID, "msg-dead-1", dead, muted)
	rg.hw.WaitReceipts()
	for _, sr := range rg.hw.SentReceipts() {
		if sr.Status != http.StatusOK || sr.Err != nil {
			t.Fatalf("receipt answered %d, %v", sr.Status, sr.Err)
		}
	}
	byToken := map[string]dispatcher.Event{}
	for _, e := range rg.events(t) {
		if e.Type != dispatcher.EventSent {
			byToken[e.Token] = e
		}
	}
	if e := byToken[vendors.TokenHash(dead)]; e.Type != dispatcher.EventTokenInvalid || e.Code != "2" {
		t.Errorf("the uninstalled device's receipt event: %+v, want token_invalid with code 2", e)
	}
	if e := byToken[vendors.TokenHash(muted)]; e.Type != dispatcher.EventFailed || e.Code != "6" {
		t.Errorf("the muted device's receipt event: %+v, want failed (undelivered) with code 6", e)
	}
	if bs, err := rg.devs.List(ctx, appA, "u-"+dead); err != nil || len(bs) != 0 {
		t.Errorf("the dead token's binding: %+v, %v; want removed", bs, err)
	}
	if bs, err := rg.devs.List(ctx, appA, "u-"+muted); err != nil || len(bs) != 1 {
		t.Errorf("the muted device's binding: %+v, %v; want kept", bs, err)
	}
}
