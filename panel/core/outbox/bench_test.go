package outbox

import (
	"context"
	"fmt"
	"testing"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db/dbtest"
)

// BenchmarkPublishDeliver publishes b.N events, each in its own transaction
// as a state change would, then delivers them all to one handler that writes
// an effect row. It reports end-to-end events per second and the two phases.
func BenchmarkPublishDeliver(b *testing.B) {
	for _, backend := range dbtest.Backends(b) {
		b.Run(string(backend), func(b *testing.B) {
			h := dbtest.Open(b, backend, sets)
			createEffects(b, h)
			bus := NewBus(h, core.SystemClock{})
			MustOn(bus, "h", 0, recordEffect(h, "h"))
			bus.Start()
			d := NewDispatcher(bus, "bench", Options{BatchSize: 200}, quiet())
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if _, err := bus.Publish(ctx, thingHappened{Thing: fmt.Sprintf("t%d", i%1000), N: i}, "bench"); err != nil {
					b.Fatal(err)
				}
			}
			published := time.Since(start)
			delivered := drain(b, d)
			total := time.Since(start)
			b.StopTimer()
			if delivered != b.N {
				b.Fatalf("delivered %d of %d", delivered, b.N)
			}
			b.ReportMetric(float64(b.N)/total.Seconds(), "events/s")
			b.ReportMetric(float64(b.N)/published.Seconds(), "published/s")
			b.ReportMetric(float64(b.N)/(total-published).Seconds(), "delivered/s")
		})
	}
}
