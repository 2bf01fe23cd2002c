package apns

import (
	"context"
	"testing"
)

// BenchmarkSendAPNs measures pushes per second through one token-auth
// Sender to the loopback fake over one HTTP/2 connection: payload encoding,
// JWT reuse, the exchange, the fake's ES256 verification and classification.
func BenchmarkSendAPNs(b *testing.B) {
	e := newTokenEnv(b)
	n := testNotification()
	ctx := context.Background()
	// One push first opens the connection; parallel cold-start requests
	// would otherwise each dial one.
	if r := e.sender.Send(ctx, n, []string{testToken})[0]; r.Err != nil {
		b.Fatal(r.Err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		tokens := []string{testToken}
		for pb.Next() {
			if r := e.sender.Send(ctx, n, tokens)[0]; r.Err != nil {
				b.Error(r.Err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pushes/s")
	if st := e.fake.Stats(); st.Conns != 1 {
		b.Errorf("used %d connections, want 1", st.Conns)
	}
}
