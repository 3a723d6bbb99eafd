package payment_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"faktura/billing/payment"
	"faktura/billing/payment/gatewaytest"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/outbox"
)

// benchPing is the outbox baseline's event.
type benchPing struct{ N int }

func (benchPing) EventName() string      { return "bench.ping" }
func (p benchPing) AggregateKey() string { return fmt.Sprintf("ping:%d", p.N) }

// BenchmarkWebhooks measures webhook processing: n signed deliveries,
// each verified and stored in its own request, then applied by the event
// worker (the payment recorded, allocated, the invoice paid, InvoicePaid
// published), beside the raw baseline measured in the same run: the
// outbox publishing n events in their own transactions and delivering
// them to a handler that does nothing. It prints deliveries/s, the
// baseline's events/s and the ratio. SQLite always; MariaDB with
// FAKTURA_TEST_MYSQL_DSN (./test.sh --bench). FAKTURA_BENCH_WEBHOOKS sets
// n (default 300).
func BenchmarkWebhooks(b *testing.B) {
	backends := []dbtest.Backend{dbtest.SQLite}
	if os.Getenv(dbtest.EnvDSN) != "" {
		backends = append(backends, dbtest.MariaDB)
	}
	n := 300
	if v, err := fmt.Sscan(os.Getenv("FAKTURA_BENCH_WEBHOOKS"), &n); v != 1 || err != nil {
		n = 300
	}
	for _, backend := range backends {
		b.Run(string(backend), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				h := dbtest.Open(b, backend, sets)
				f := newFixture(b, h)
				f.enableTestpay(operator)
				var evs []payment.Event
				for range n {
					inv := f.invoice(operator, f.c, "20.00", "EUR")
					a, err := f.pay.Pay(f.ctx(), f.c, inv.ID, payment.PayInput{Gateway: gatewaytest.Name, ReturnURL: "https://panel.test/r"})
					f.must(err)
					evs = append(evs, gatewaytest.Provider.Captured(*a.CheckoutRef))
				}
				f.deliver() // the seeding's own events
				b.StartTimer()

				start := time.Now()
				for _, ev := range evs {
					body, sig := gatewaytest.Sign(whsec, ev)
					if _, err := f.pay.ReceiveWebhook(context.Background(), gatewaytest.Name, operator.TenantID, http.Header{gatewaytest.Header: {sig}}, body); err != nil {
						b.Fatal(err)
					}
				}
				f.work()
				hooks := time.Since(start)
				if got := f.count("payments", "gateway = ?", gatewaytest.Name); got != int64(n) {
					b.Fatalf("%d payments from %d deliveries", got, n)
				}
				base := outboxBaseline(b, h, f, n)
				b.ReportMetric(float64(n)/hooks.Seconds(), "deliveries/s")
				b.ReportMetric(float64(n)/base.Seconds(), "outbox-events/s")
				b.ReportMetric(hooks.Seconds()/base.Seconds(), "x-outbox-time")
			}
		})
	}
}

// outboxBaseline publishes n events, each in its own transaction, and
// delivers them to a handler that does nothing.
func outboxBaseline(b *testing.B, h *db.Handle, f *fixture, n int) time.Duration {
	bus := outbox.NewBus(h, f.clock)
	if err := outbox.On(bus, "bench.noop", 10, func(context.Context, outbox.Meta, benchPing) error { return nil }); err != nil {
		b.Fatal(err)
	}
	bus.Start()
	disp := outbox.NewDispatcher(bus, "bench", outbox.Options{}, quiet())
	start := time.Now()
	for i := range n {
		err := h.WithTx(context.Background(), func(ctx context.Context) error {
			_, err := bus.Publish(ctx, benchPing{N: i}, "bench")
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for {
		k, err := disp.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if k == 0 {
			break
		}
	}
	return time.Since(start)
}
