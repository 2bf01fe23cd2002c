package fcm

import (
	"context"
	"testing"
)

// BenchmarkSendFCM measures end-to-end sends (payload, SDK, HTTP/2 over
// TLS, the fake's checks) with many concurrent streams on one connection,
// as the dispatcher drives FCM.
func BenchmarkSendFCM(b *testing.B) {
	f, s, _ := setup(b)
	n := testNotification()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		tokens := []string{"dev_bench:APA91b"}
		for pb.Next() {
			if r := s.Send(context.Background(), n, tokens); r[0].Err != nil {
				b.Error(r[0].Err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pushes/s")
	if got := f.TokenRequests(); got != 1 {
		b.Errorf("token requests = %d, want 1", got)
	}
}
