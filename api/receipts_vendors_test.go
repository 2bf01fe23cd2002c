package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/honor"
	"github.com/pushd/pushd/vendors/meizu"
	"github.com/pushd/pushd/vendors/oppo"
	"github.com/pushd/pushd/vendors/vivo"
)

// receiptFake is what the test needs of a vendor fake.
type receiptFake interface {
	Endpoint() vendors.Endpoint
	Trust(*vendors.Credential) error
	WaitReceipts()
	SentReceipts() []fake.SentReceipt
	Close()
}

// TestReceiptsOtherVendors pushes through the OPPO, vivo, Meizu and Honor
// fakes, which send their receipts the vendor's way (Honor to its console
// address, signed), and checks each becomes a delivered event of its
// vendor; a Meizu click becomes a clicked event.
func TestReceiptsOtherVendors(t *testing.T) {
	rg := newReceiptRig(t)
	hn := fake.NewHonor(fake.HonorOptions{})
	mz := fake.NewMeizu(fake.MeizuOptions{})
	cases := []struct {
		v       vendors.Vendor
		f       receiptFake
		build   vendors.Builder
		fields  map[string]string
		secrets map[string][]byte
		token   string
	}{
		{vendors.OPPO, fake.NewOPPO(fake.OPPOOptions{}), oppo.New,
			map[string]string{vendors.FieldAppKey: "oppo-app-key", vendors.FieldChannelID: "im"},
			map[string][]byte{vendors.SecretMasterSecret: []byte("oppo-master-secret")}, fake.OPPOToken(1)},
		{vendors.Vivo, fake.NewVivo(fake.VivoOptions{}), vivo.New,
			map[string]string{vendors.FieldAppID: "10004", vendors.FieldAppKey: "vivo-app-key", vendors.FieldCategory: "IM"},
			map[string][]byte{vendors.SecretAppSecret: []byte("vivo-app-secret")}, fake.VivoToken(1)},
		{vendors.Meizu, mz, meizu.New,
			map[string]string{vendors.FieldAppID: "100999", vendors.FieldPackage: "com.example.im"},
			map[string][]byte{vendors.SecretAppSecret: []byte("meizu-app-secret")}, fake.MeizuToken(1)},
		{vendors.Honor, hn, honor.New,
			map[string]string{vendors.FieldAppID: "104000001", vendors.FieldClientID: "honor-client"},
			map[string][]byte{vendors.SecretClientSecret: []byte("honor-client-secret")}, "honor-token-0001"},
	}
	ctx := context.Background()
	reg := vendors.NewRegistry()
	ids := map[vendors.Vendor]int64{}
	for _, c := range cases {
		t.Cleanup(func() { c.f.WaitReceipts(); c.f.Close() })
		info, err := rg.certs.Add(ctx, certs.Upload{AppID: appA, Vendor: c.v, Fields: c.fields, Secrets: c.secrets})
		if err != nil {
			t.Fatalf("%s certificate: %v", c.v, err)
		}
		cred, err := rg.certs.Credential(ctx, info.ID)
		if err != nil {
			t.Fatal(err)
		}
		c.f.Trust(cred)
		reg.Register(c.v, rg.refs.Wrap(c.build), c.f.Endpoint())
		ids[c.v] = info.ID
	}
	hn.SetReceipts(rg.refs.URL(vendors.Honor, ids[vendors.Honor]), agcUser, []byte(agcKey))
	rg.pool = dispatcher.NewPool(rg.certs, reg, time.Second)
	for _, c := range cases {
		rg.push(t, ids[c.v], "msg-all-1", c.token)
		c.f.WaitReceipts()
		srs := c.f.SentReceipts()
		if len(srs) != 1 || srs[0].Status != http.StatusOK {
			t.Fatalf("%s receipts: %+v", c.v, srs)
		}
	}
	if sr, ok := mz.Click(fake.MeizuToken(1)); !ok || sr.Status != http.StatusOK {
		t.Fatalf("meizu click: %+v", sr)
	}
	evs := rg.events(t)
	for _, c := range cases {
		if n := countType(evs, dispatcher.EventDelivered, string(c.v)); n != 1 {
			t.Errorf("%s: %d delivered events, want 1", c.v, n)
		}
	}
	if n := countType(evs, dispatcher.EventClicked, "meizu"); n != 1 {
		t.Errorf("meizu: %d clicked events, want 1", n)
	}
}
