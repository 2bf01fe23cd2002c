package dispatcher

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

const recallApp = "1400000001"

// recallCreds serves certificate 1 (Huawei), 2 (OPPO) of recallApp and 3
// (Huawei) of another app.
type recallCreds struct{}

func (recallCreds) Credential(_ context.Context, id int64) (*vendors.Credential, error) {
	switch id {
	case 1:
		return &vendors.Credential{ID: 1, AppID: recallApp, Vendor: vendors.Huawei}, nil
	case 2:
		return &vendors.Credential{ID: 2, AppID: recallApp, Vendor: vendors.OPPO}, nil
	case 3:
		return &vendors.Credential{ID: 3, AppID: "1400000002", Vendor: vendors.Huawei}, nil
	}
	return nil, errNoCert
}

// revokeCall is one Revoke or Send a recordingSender received.
type revokeCall struct {
	revoke   bool
	notifyID int
	body     string
	tokens   []string
}

// recordingSender is a sender whose vendor has a revoke API: it records
// what it is asked, and refuses what the vendor refuses (no token, no id
// to revoke by).
type recordingSender struct {
	vendor vendors.Vendor
	mu     *sync.Mutex
	calls  *[]revokeCall
}

func (s recordingSender) Vendor() vendors.Vendor { return s.vendor }
func (s recordingSender) MaxBatch() int          { return 1000 }
func (s recordingSender) DryRun(context.Context, *vendors.Notification, []string) ([]vendors.Request, error) {
	return nil, nil
}

func (s recordingSender) record(revoke bool, n *vendors.Notification, tokens []string) []vendors.Result {
	s.mu.Lock()
	*s.calls = append(*s.calls, revokeCall{revoke: revoke, notifyID: vendors.NotifyID(n.ReplaceKey()), body: n.Body, tokens: tokens})
	s.mu.Unlock()
	out := make([]vendors.Result, len(tokens))
	for i, tok := range tokens {
		out[i].Token = tok
		if tok == "" || n.ID == "" {
			out[i].Err = &vendors.Error{Vendor: s.vendor, Status: 400, Code: "80100001", Message: "token and notifyId are required"}
		}
	}
	return out
}

func (s recordingSender) Send(_ context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	return s.record(false, n, tokens)
}

func (s recordingSender) Revoke(_ context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	return s.record(true, n, tokens)
}

// sendOnly is a sender without a revoke API.
type sendOnly struct{ s recordingSender }

func (o sendOnly) Vendor() vendors.Vendor { return o.s.Vendor() }
func (o sendOnly) MaxBatch() int          { return o.s.MaxBatch() }
func (o sendOnly) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	return o.s.Send(ctx, n, tokens)
}
func (o sendOnly) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	return o.s.DryRun(ctx, n, tokens)
}

func newRecallEnv(t *testing.T) (*Replacer, *devices.Store, *[]revokeCall) {
	t.Helper()
	db := testredis.New(t)
	store := devices.New(db.Client, devices.Options{})
	var mu sync.Mutex
	var calls []revokeCall
	reg := vendors.NewRegistry()
	for _, v := range []vendors.Vendor{vendors.Huawei, vendors.OPPO} {
		reg.Register(v, func(c *vendors.Credential, _ vendors.Endpoint) (vendors.Sender, error) {
			rs := recordingSender{vendor: c.Vendor, mu: &mu, calls: &calls}
			if c.Vendor == vendors.OPPO {
				return sendOnly{rs}, nil
			}
			return rs, nil
		}, vendors.Endpoint{})
	}
	pool := NewPool(recallCreds{}, reg, time.Minute)
	pool.IsNotFound = func(err error) bool { return errors.Is(err, errNoCert) }
	return &Replacer{Devices: store, Pool: pool}, store, &calls
}

// TestRecallRevokesWhereTheVendorCan: a sender with a revoke API gets a
// Revoke by the message's notify id, OPPO a replacement by the same notify
// id (notify_id), and
// another app's certificate is never touched; the badge the message
// raised is lowered.
func TestRecallRevokesWhereTheVendorCan(t *testing.T) {
	rep, store, calls := newRecallEnv(t)
	ctx := context.Background()
	for _, b := range []devices.Binding{
		{AppID: recallApp, UserID: "vinson", CertID: 1, Token: "hw-token"},
		{AppID: recallApp, UserID: "vinson", CertID: 2, Token: "oppo-token"},
		{AppID: recallApp, UserID: "vinson", CertID: 3, Token: "other-app-token"},
	} {
		if err := store.Bind(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Background(ctx, recallApp, "vinson", 1, "hw-token", 4); err != nil {
		t.Fatal(err)
	}
	if _, err := store.NextBadges(ctx, recallApp, []devices.Ref{{UserID: "vinson", CertID: 1, Token: "hw-token", MsgID: "m1"}}); err != nil {
		t.Fatal(err)
	}
	out, err := rep.Recall(ctx, recallApp, "m1", RecallRequest{Recipients: []string{"vinson", "vinson"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("%d answers %+v, want Huawei and OPPO only", len(out), out)
	}
	got := map[string]Replaced{}
	for _, r := range out {
		got[r.Vendor] = r
	}
	hw, oppo := got["huawei"], got["oppo"]
	if hw.Action != ActionRevoked || hw.Badge == nil || *hw.Badge != 4 || hw.TokenHash != vendors.TokenHash("hw-token") {
		t.Errorf("huawei: %+v, want revoked with the badge back at 4", hw)
	}
	if oppo.Action != ActionReplaced || oppo.Badge != nil {
		t.Errorf("oppo: %+v, want replaced (notify_id) without a badge", oppo)
	}
	want := map[string]revokeCall{
		"hw-token":   {revoke: true, notifyID: vendors.NotifyID("m1"), body: "This message was recalled"},
		"oppo-token": {revoke: false, notifyID: vendors.NotifyID("m1"), body: "This message was recalled"},
	}
	if len(*calls) != len(want) {
		t.Fatalf("vendor calls %+v, want %+v", *calls, want)
	}
	for _, c := range *calls {
		w, ok := want[c.tokens[0]]
		if !ok || len(c.tokens) != 1 || c.revoke != w.revoke || c.notifyID != w.notifyID || c.body != w.body {
			t.Errorf("vendor call %+v, want %+v", c, w)
		}
	}
	// Explicit devices: another app's certificate is skipped.
	out, err = rep.Recall(ctx, recallApp, "m1", RecallRequest{Devices: []Device{{CertID: 3, Token: "other-app-token"}, {CertID: 99, Token: "x"}}})
	if err != nil || len(out) != 0 {
		t.Errorf("recall on foreign or unknown certificates: %+v, %v", out, err)
	}
}

func TestRecallAndReadValidation(t *testing.T) {
	rep, _, _ := newRecallEnv(t)
	ctx := context.Background()
	many := make([]string, MaxReplaceTargets+1)
	for i := range many {
		many[i] = "u"
	}
	recalls := []struct {
		name, msg string
		req       RecallRequest
		field     string
	}{
		{"no target", "m1", RecallRequest{}, "recipients"},
		{"too many", "m1", RecallRequest{Recipients: many}, "recipients"},
		{"bad msg id", "m 1", RecallRequest{Recipients: []string{"u"}}, "msg_id"},
	}
	for _, tc := range recalls {
		var fe *FieldError
		if _, err := rep.Recall(ctx, recallApp, tc.msg, tc.req); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want a FieldError on %s", tc.name, err, tc.field)
		}
	}
	reads := []struct {
		name  string
		req   ReadRequest
		field string
	}{
		{"no conversation", ReadRequest{}, "conversation"},
		{"bad kind", ReadRequest{Conversation: ConvRef{Kind: "channel", ID: "x"}}, "conversation"},
		{"bad msg id", ReadRequest{Conversation: ConvRef{Kind: "c2c", ID: "denny"}, MsgIDs: []string{"{m}"}}, "msg_ids"},
		{"negative unread", ReadRequest{Conversation: ConvRef{Kind: "c2c", ID: "denny"}, Unread: vendors.IntPtr(-1)}, "unread"},
	}
	for _, tc := range reads {
		var fe *FieldError
		var de *devices.FieldError
		_, err := rep.Read(ctx, recallApp, "vinson", tc.req)
		if !(errors.As(err, &fe) && fe.Field == tc.field) && !(errors.As(err, &de) && de.Field == tc.field) {
			t.Errorf("%s: %v, want a FieldError on %s", tc.name, err, tc.field)
		}
	}
	// A read of a user without devices is fine and changes nothing.
	if out, err := rep.Read(ctx, recallApp, "nobody", ReadRequest{Conversation: ConvRef{Kind: "c2c", ID: "denny"}, MsgIDs: []string{"m1"}}); err != nil || len(out) != 0 {
		t.Errorf("read without devices: %+v, %v", out, err)
	}
}
