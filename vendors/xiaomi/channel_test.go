package xiaomi

import (
	"sync/atomic"
	"testing"

	"github.com/pushd/pushd/vendors"
)

// A send without a channel_id is delivered and counted, as OPPO's is: the
// app turns the count into pushd_warnings_total{vendor="xiaomi",warning="missing_channel_id"}.
func TestMissingChannelIsCountedNotFailed(t *testing.T) {
	f, s := newFake(t)
	sender := s.(*Sender)
	var hooked atomic.Int64
	sender.OnMissingChannel(func(n int) { hooked.Add(int64(n)) })
	for _, r := range s.Send(t.Context(), testNotification(), []string{"regid-1", "regid-2"}) {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Token, r.Err)
		}
	}
	n := testNotification()
	n.Android.ChannelID = "chat"
	if rs := s.Send(t.Context(), n, []string{"regid-3"}); rs[0].Err != nil {
		t.Fatal(rs[0].Err)
	}
	if sender.MissingChannel() != 2 || hooked.Load() != 2 {
		t.Fatalf("counted %d, hooked %d, want 2", sender.MissingChannel(), hooked.Load())
	}
	reqs := f.Requests()
	if len(reqs) != 2 || len(reqs[0].Tokens) != 2 || reqs[0].Status != 200 || reqs[1].Status != 200 {
		t.Fatalf("fake recorded %+v, want two accepted requests", reqs)
	}

	cred := testCred()
	cred.Fields[vendors.FieldChannelID] = "chat"
	withChannel, err := New(cred, vendors.Endpoint{URL: f.URL(), Client: f.Client()})
	if err != nil {
		t.Fatal(err)
	}
	withChannel.Send(t.Context(), testNotification(), []string{"regid-4"})
	if got := withChannel.(*Sender).MissingChannel(); got != 0 {
		t.Fatalf("certificate channel counted as missing %d times", got)
	}
}
