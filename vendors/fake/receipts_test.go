package fake_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/huawei"
	"github.com/pushd/pushd/vendors/xiaomi"
)

// receiver is a receipt endpoint that reads each POST with a vendor's
// parser, as pushd's does.
type receiver struct {
	mu    sync.Mutex
	got   []vendors.Receipt
	errs  []error
	parse func(vendors.ReceiptRequest) ([]vendors.Receipt, error)
	user  string
	key   []byte
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rcs, err := rv.parse(vendors.ReceiptRequest{Header: r.Header, Body: body, User: rv.user, Secret: rv.key, Now: time.Now()})
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if err != nil {
		rv.errs = append(rv.errs, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rv.got = append(rv.got, rcs...)
}

func (rv *receiver) receipts(t *testing.T) []vendors.Receipt {
	t.Helper()
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if len(rv.errs) > 0 {
		t.Fatalf("receipts refused: %v", rv.errs)
	}
	return append([]vendors.Receipt(nil), rv.got...)
}

// TestHuaweiFakeSendsSignedReceipts: the fake's receipts pass the
// adapter's verification (two independent readings of HWDOC), carry the
// bi_tag, and cover only the tokens that were accepted.
func TestHuaweiFakeSendsSignedReceipts(t *testing.T) {
	rv := &receiver{parse: huawei.ParseReceipts, user: "agc-user", key: []byte("agc-key-0123")}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	f := fake.NewHuawei(fake.HuaweiOptions{})
	defer f.Close()
	cred := &vendors.Credential{ID: 1, Vendor: vendors.Huawei, Fields: map[string]string{vendors.FieldAppID: "10086"},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte("hw-secret")}}
	f.Trust(cred)
	f.SetReceipts(srv.URL, "agc-user", []byte("agc-key-0123"))
	f.FailToken("tok-bad", fake.Failure{Code: fake.HuaweiAllInvalid})
	s, err := huawei.New(cred, f.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	n := &vendors.Notification{ID: "m1", Title: "t", Body: "b", Callback: &vendors.Callback{URL: "unused", Param: "m1.ref"}}
	s.Send(context.Background(), n, []string{"tok-ok", "tok-bad"})
	f.WaitReceipts()
	got := rv.receipts(t)
	if len(got) != 1 || got[0].Token != "tok-ok" || got[0].Param != "m1.ref" || got[0].Kind != vendors.ReceiptDelivered {
		t.Fatalf("receipts %+v", got)
	}
	// A receiver with another key refuses them.
	rv2 := &receiver{parse: huawei.ParseReceipts, user: "agc-user", key: []byte("other-key")}
	srv2 := httptest.NewServer(rv2)
	defer srv2.Close()
	f.SetReceipts(srv2.URL, "agc-user", []byte("agc-key-0123"))
	s.Send(context.Background(), n, []string{"tok-ok"})
	f.WaitReceipts()
	if sr := f.SentReceipts(); sr[len(sr)-1].Status != http.StatusUnauthorized {
		t.Fatalf("receipt signed with another key answered %d", sr[len(sr)-1].Status)
	}
}

// TestXiaomiFakeSendsReceiptsAndClicks: delivery receipts go to the
// request's extra.callback, a click follows on request, and a message
// sent without a callback gets neither.
func TestXiaomiFakeSendsReceiptsAndClicks(t *testing.T) {
	rv := &receiver{parse: xiaomi.ParseReceipts}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	f := fake.NewXiaomi(fake.XiaomiOptions{})
	defer f.Close()
	cred := &vendors.Credential{ID: 2, Vendor: vendors.Xiaomi, Fields: map[string]string{vendors.FieldPackage: "com.example"},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte("xm-secret")}}
	f.Trust(cred)
	s, err := xiaomi.New(cred, f.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.Send(ctx, &vendors.Notification{ID: "m1", Title: "t", Body: "b", Callback: &vendors.Callback{URL: srv.URL + "/cb", Param: "m1.ref"}}, []string{"r1", "r2"})
	s.Send(ctx, &vendors.Notification{ID: "m2", Title: "t", Body: "b"}, []string{"r3"})
	f.WaitReceipts()
	if _, ok := f.Click("r3"); ok {
		t.Fatal("a click for a message sent without a callback")
	}
	if sr, ok := f.Click("r2"); !ok || sr.Status != http.StatusOK {
		t.Fatalf("click: %+v", sr)
	}
	got := rv.receipts(t)
	kinds := map[vendors.ReceiptKind][]string{}
	for _, r := range got {
		if r.Param != "m1.ref" {
			t.Errorf("receipt %+v", r)
		}
		kinds[r.Kind] = append(kinds[r.Kind], r.Token)
	}
	if len(kinds[vendors.ReceiptDelivered]) != 2 || len(kinds[vendors.ReceiptClicked]) != 1 || kinds[vendors.ReceiptClicked][0] != "r2" {
		t.Fatalf("receipts by kind %v", kinds)
	}
}
