package app

import (
	"net/http"
	"sync"
	"testing"

	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// A Xiaomi send without a channel id reaches the warning hook the app
// feeds pushd_warnings_total from, as OPPO's does; one with a channel
// does not.
func TestXiaomiMissingChannelIsAWarning(t *testing.T) {
	f := fake.NewXiaomi(fake.XiaomiOptions{})
	t.Cleanup(f.Close)
	f.AddApp("com.example.chat", "xm-secret")
	var mu sync.Mutex
	warned := map[string]int{}
	warn := func(v vendors.Vendor, w string, n int) {
		mu.Lock()
		defer mu.Unlock()
		warned[string(v)+" "+w] += n
	}
	cfg := map[string]configs.VendorEndpoint{"xiaomi": {Endpoint: f.URL(), AllowAddresses: []string{"127.0.0.1"}}}
	r, err := NewRegistry(cfg, map[vendors.Vendor]*http.Client{vendors.Xiaomi: f.Client()}, warn, nil)
	if err != nil {
		t.Fatal(err)
	}
	cred := &vendors.Credential{ID: 1, Vendor: vendors.Xiaomi,
		Fields:  map[string]string{vendors.FieldPackage: "com.example.chat"},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte("xm-secret")}}
	s, err := r.Build(cred)
	if err != nil {
		t.Fatal(err)
	}
	n := &vendors.Notification{ID: "m1", Title: "Denny", Body: "See you at 8"}
	if rs := s.Send(t.Context(), n, []string{"regid-1", "regid-2"}); rs[0].Err != nil || rs[1].Err != nil {
		t.Fatalf("results %+v", rs)
	}
	n.Android.ChannelID = "chat"
	if rs := s.Send(t.Context(), n, []string{"regid-3"}); rs[0].Err != nil {
		t.Fatalf("results %+v", rs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warned) != 1 || warned["xiaomi missing_channel_id"] != 2 {
		t.Fatalf("warnings %v, want xiaomi missing_channel_id 2", warned)
	}
}
