package dispatcher

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

// Events go to the stream as short fields and come back whole: the app
// from the stream, the time from the entry id, an APNs apns-id from the
// message and the token hash. Entries of the earlier JSON form still read.
func TestEventsRoundTripThroughTheStream(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	sink := NewStreamSink(db.Client, "pushd:", 1000)
	tok := vendors.TokenHash("device-1")
	evs := []Event{
		{Type: EventSent, AppID: "app", MsgID: "m1", CertID: 3, Token: tok, Vendor: "apns", VendorMsgID: vendors.NotificationUUID("m1", tok)},
		{Type: EventSent, AppID: "app", MsgID: "m2", CertID: 4, Token: tok, Vendor: "xiaomi", VendorMsgID: "slm12345"},
		{Type: EventFailed, AppID: "app", MsgID: "m3", UserID: "vinson", CertID: 4, Token: tok, Vendor: "huawei",
			Kind: "rejected", Code: "80100003", Reason: "illegal payload", Attempt: 2},
		{Type: EventDropped, AppID: "app", MsgID: "m4", UserID: "vinson", Rule: RuleDoNotDisturb},
	}
	before := time.Now().Truncate(time.Millisecond)
	sink.Emit(ctx, evs)
	old, _ := json.Marshal(Event{Type: EventSent, AppID: "app", MsgID: "m0", At: before})
	db.Client.XAdd(ctx, &redis.XAddArgs{Stream: StreamKey("pushd:", "app"), Values: []any{"event", string(old)}})
	msgs := db.Client.XRange(ctx, StreamKey("pushd:", "app"), "-", "+").Val()
	if len(msgs) != len(evs)+1 {
		t.Fatalf("%d entries", len(msgs))
	}
	for i, m := range msgs[:len(evs)] {
		got, ok := DecodeEvent("app", m.ID, m.Values)
		if !ok || got.At.Before(before) || got.At.After(time.Now()) {
			t.Fatalf("entry %d: ok=%v at %s", i, ok, got.At)
		}
		got.At = time.Time{}
		if d := cmp.Diff(evs[i], got); d != "" {
			t.Errorf("event %d (-sent +read):\n%s", i, d)
		}
		if _, stored := m.Values[evVMsgID]; i == 0 && stored {
			t.Error("the APNs apns-id was stored although it can be recomputed")
		}
	}
	if got, ok := DecodeEvent("app", msgs[len(evs)].ID, msgs[len(evs)].Values); !ok || got.MsgID != "m0" {
		t.Fatalf("a JSON entry of an earlier version reads as %+v", got)
	}
}
