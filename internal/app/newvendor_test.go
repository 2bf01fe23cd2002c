package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/configs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// nokia is a throwaway vendor that exists only in this test: registering
// its descriptor must be all it takes to make it configurable, uploadable,
// renderable, sendable and present in the sandbox (issue 12).
const nokia vendors.Vendor = "nokia"

func nokiaDescriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name: nokia, Android: true,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldAppID, Required: true, Help: "AppID"},
			{Name: vendors.SecretAppSecret, Secret: true, Required: true, Help: "AppSecret"},
		},
		Limits: vendors.Limits{Title: 10, Body: 20},
		Ext:    vendors.ExtSpec{Placement: "ext", Limit: 500},
		Batch:  1,
		// Its facts beyond the send: 7 requests in flight, a data
		// message, and delivery and click receipts.
		Concurrency: 7, DataPush: true,
		Receipts: &vendors.ReceiptSpec{Clicks: true, Parse: parseNokiaReceipts,
			Reply: func(err error) (int, any) { return map[bool]int{true: 200, false: 401}[err == nil], nil }},
		Build: newNokiaSender,
		Fake:  func() vendors.Fake { return newNokiaFake() },
	}
}

// parseNokiaReceipts reads {"param":…,"token":…}, one receipt a POST.
func parseNokiaReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	var b struct{ Param, Token string }
	if err := json.Unmarshal(req.Body, &b); err != nil || b.Token == "" {
		return nil, vendors.ErrReceiptAuth
	}
	return []vendors.Receipt{{Kind: vendors.ReceiptDelivered, Param: b.Param, Token: b.Token}}, nil
}

// nokiaFake accepts POST / with the trusted app's secret and records the
// bodies.
type nokiaFake struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	bodies []string
}

func newNokiaFake() *nokiaFake {
	f := &nokiaFake{}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.secret == "" || r.Header.Get("X-Secret") != f.secret {
			http.Error(w, "unknown app", http.StatusUnauthorized)
			return
		}
		f.bodies = append(f.bodies, string(b))
	}))
	return f
}

func (f *nokiaFake) Endpoint() vendors.Endpoint {
	return vendors.Endpoint{URL: f.srv.URL, Client: f.srv.Client()}
}

func (f *nokiaFake) Trust(c *vendors.Credential) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secret = string(c.Secret(vendors.SecretAppSecret))
	return nil
}

func (f *nokiaFake) Close() { f.srv.Close() }

func (f *nokiaFake) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

type nokiaSender struct {
	url, secret string
	client      *http.Client
}

var _ vendors.Sender = (*nokiaSender)(nil)

func newNokiaSender(c *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := c.Require(vendors.FieldAppID, vendors.SecretAppSecret); err != nil {
		return nil, err
	}
	return &nokiaSender{url: ep.URL, secret: string(c.Secret(vendors.SecretAppSecret)), client: ep.Client}, nil
}

func (s *nokiaSender) Vendor() vendors.Vendor { return nokia }
func (s *nokiaSender) MaxBatch() int          { return 1 }
func (s *nokiaSender) DryRun(context.Context, *vendors.Notification, []string) ([]vendors.Request, error) {
	return nil, nil
}

func (s *nokiaSender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	b, _ := json.Marshal(map[string]string{"token": tokens[0], "title": n.Title, "body": n.Body, "ext": n.Ext})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(string(b)))
	req.Header.Set("X-Secret", s.secret)
	resp, err := s.client.Do(req)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return vendors.Fail(tokens, &vendors.Error{Vendor: nokia, Kind: vendors.Auth, Status: resp.StatusCode})
	}
	return []vendors.Result{{Token: tokens[0], MessageID: "ok"}}
}

func TestRegisteredVendorWorksEverywhere(t *testing.T) {
	defer vendors.Register(nokiaDescriptor())()

	// Configurable: vendors.nokia is a known vendor.
	cfg, err := configs.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Vendors = map[string]configs.VendorEndpoint{string(nokia): {}}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config with vendors.nokia: %v", err)
	}
	cfg.Vendors = map[string]configs.VendorEndpoint{"siemens": {}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "unknown vendor") {
		t.Fatalf("config with an unregistered vendor: %v", err)
	}
	// Uploadable: certificate validation reads its fields.
	up := &certs.Upload{AppID: "a1", Vendor: nokia, Fields: map[string]string{vendors.FieldAppID: "n1"},
		Secrets: map[string][]byte{vendors.SecretAppSecret: []byte("s3cret")}}
	if _, err := certs.Validate(up, time.Now()); err != nil {
		t.Fatalf("upload: %v", err)
	}
	missing := &certs.Upload{AppID: "a1", Vendor: nokia, Fields: map[string]string{vendors.FieldAppID: "n1"}}
	if _, err := certs.Validate(missing, time.Now()); err == nil || !strings.Contains(err.Error(), vendors.SecretAppSecret) {
		t.Fatalf("upload without its required secret: %v", err)
	}
	// Renderable with its limits, and its smaller ext limit is the promise.
	job, err := dispatcher.DecodeJob([]byte(`{"app_id":"a1","msg_id":"m1","recipients":["u"],`+
		`"elems":[{"type":"text","text":"a text much longer than twenty characters"}],"offline_push":{"ext":"{\"k\":1}"}}`), time.Now())
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	n, err := dispatcher.Render(job, dispatcher.RenderInput{Vendor: nokia, App: dispatcher.DefaultAppSettings()})
	if err != nil || len([]rune(n.Body)) > 20 {
		t.Fatalf("render: %v, body %q", err, n.Body)
	}
	if dispatcher.MaxExt() != 500 {
		t.Fatalf("MaxExt = %d, want the test vendor's 500", dispatcher.MaxExt())
	}
	// Its bulkhead, data push and receipts come from the descriptor.
	if got := dispatcher.DefaultVendorConcurrency(nokia); got != 7 {
		t.Fatalf("in-flight default %d, want the descriptor's 7", got)
	}
	if got := dispatcher.ReceiptSupport(nokia); got != dispatcher.ReceiptsDeliveredAndClick {
		t.Fatalf("receipt support %q, want %q", got, dispatcher.ReceiptsDeliveredAndClick)
	}
	idOnly, err := dispatcher.Render(job, dispatcher.RenderInput{Vendor: nokia, App: dispatcher.DefaultAppSettings(), Preview: vendors.PreviewIDOnly})
	if err != nil || !idOnly.IDOnly() {
		t.Fatalf("an id_only push on a vendor with a data message: %v, %+v", err, idOnly)
	}
	// Present in the sandbox, and sendable through the app's registry to
	// its fake.
	sb := fake.StartSandbox()
	defer sb.Close()
	if len(sb.Missing()) != 0 || sb.Fake(nokia) == nil {
		t.Fatalf("sandbox: missing %v", sb.Missing())
	}
	sbCfg, clients, miss := sandboxVendors(sb.Endpoint, nil)
	if len(miss) != 0 || sbCfg[string(nokia)].Endpoint == "" {
		t.Fatalf("sandbox config: missing %v, nokia %+v", miss, sbCfg[string(nokia)])
	}
	reg, err := NewRegistry(sbCfg, clients, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cred := &vendors.Credential{ID: 1, AppID: "a1", Vendor: nokia, Fields: up.Fields, Secrets: up.Secrets}
	if err := sb.Trust(cred); err != nil {
		t.Fatal(err)
	}
	s, err := reg.Build(cred)
	if err != nil {
		t.Fatal(err)
	}
	if rs := s.Send(context.Background(), n, []string{"tok"}); rs[0].Err != nil {
		t.Fatalf("send: %v", rs[0].Err)
	}
	if got := sb.Fake(nokia).(*nokiaFake).received(); len(got) != 1 || !strings.Contains(got[0], `"token":"tok"`) {
		t.Fatalf("fake received %v", got)
	}
}

func TestSandboxRefusesVendorWithoutFake(t *testing.T) {
	d := nokiaDescriptor()
	d.Fake = nil
	defer vendors.Register(d)()
	sb := fake.StartSandbox()
	defer sb.Close()
	cfg, clients, missing := sandboxVendors(sb.Endpoint, nil)
	if len(missing) != 1 || missing[0] != nokia {
		t.Fatalf("missing = %v, want [nokia]", missing)
	}
	if _, err := NewRegistry(cfg, clients, nil, nil); err == nil || !strings.Contains(err.Error(), "no fake") {
		t.Fatalf("NewRegistry with a vendor without fake: %v", err)
	}
}
