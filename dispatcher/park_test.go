package dispatcher

import (
	"context"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/testredis"
	"github.com/pushd/pushd/vendors"
)

func TestParkingOnDailyQuota(t *testing.T) {
	db := testredis.New(t)
	ctx := context.Background()
	clock := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) // 18:00 in China
	p := NewParking(db.Client, "pushd:", func() time.Time { return clock })
	// A second worker, whose reads each come a parkRecheck later, so it
	// reads Redis again every time.
	skew := time.Duration(0)
	other := NewParking(db.Client, "pushd:", func() time.Time { skew += parkRecheck; return clock.Add(skew) })
	quota := vendors.QuotaError(vendors.OPPO, 200, "33", "daily limit", clock)

	p.Record(ctx, 7, []vendors.Result{{Err: &vendors.Error{Kind: vendors.RateLimited, RetryAfter: 2 * time.Second}}})
	if until, _ := other.Until(ctx, 7); !until.IsZero() {
		t.Fatal("a 2 s Retry-After parked the certificate")
	}
	p.Record(ctx, 7, []vendors.Result{{Err: quota}, {Err: &vendors.Error{Kind: vendors.InvalidToken}}})
	if until, _ := other.Until(ctx, 7); !until.IsZero() {
		t.Fatal("a mixed answer parked the certificate")
	}
	p.Record(ctx, 7, []vendors.Result{{Err: quota}, {Err: quota}})
	until, code := other.Until(ctx, 7)
	if want := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC); !until.Equal(want) || code != "33" {
		t.Fatalf("parked until %s (code %q), want %s (midnight China time) with code 33", until, code, want)
	}
	if u, _ := other.Until(ctx, 8); !u.IsZero() {
		t.Fatal("another certificate is parked")
	}
	clock = until
	if u, _ := other.Until(ctx, 7); !u.IsZero() {
		t.Fatal("still parked after the reset")
	}
}
