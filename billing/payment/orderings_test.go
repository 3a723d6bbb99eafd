package payment_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/billing/payment/gatewaytest"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/tenancy"
)

// round is one customer's invoices and the provider events about them.
type round struct {
	customer tenancy.Scope
	invoices map[string]billing.Invoice // by label
	events   []payment.Event
	refs     map[string]string // provider payment ref -> label
}

// newRound: invoice A (20.00) paid, then 5.00 refunded; invoice B
// (15.00) declined once, then paid (and a stray "failed" for the paid
// payment); invoice C (10.00) paid, then refunded in two parts.
func (f *fixture) newRound(i int) round {
	f.t.Helper()
	cust := f.c
	if i > 0 {
		cust = dbtestTenant(f, fmt.Sprintf("Customer %d", i))
	}
	r := round{customer: cust, invoices: map[string]billing.Invoice{}, refs: map[string]string{}}
	for label, amount := range map[string]string{"A": "20.00", "B": "15.00", "C": "10.00"} {
		r.invoices[label] = f.invoice(operator, cust, amount, "EUR")
	}
	pay := func(label string) payment.Attempt {
		a, err := f.pay.Pay(f.ctx(), cust, r.invoices[label].ID, payment.PayInput{Gateway: gatewaytest.Name, ReturnURL: "https://panel.test/r"})
		f.must(err)
		return a
	}
	refund := func(ok payment.Event, ref string, amount int64) payment.Event {
		return payment.Event{ID: "evt_" + ref, Kind: payment.EventRefunded, Key: ok.Key, CheckoutRef: ok.CheckoutRef, PaymentRef: ok.PaymentRef,
			AmountMinor: amount, Currency: "EUR", RefundRef: ref}
	}
	a := gatewaytest.Provider.Captured(*pay("A").CheckoutRef)
	declined := pay("B")
	b := gatewaytest.Provider.Captured(*pay("B").CheckoutRef)
	c := gatewaytest.Provider.Captured(*pay("C").CheckoutRef)
	r.refs[a.PaymentRef], r.refs[b.PaymentRef], r.refs[c.PaymentRef] = "A", "B", "C"
	r.events = []payment.Event{
		a, refund(a, fmt.Sprintf("re_%d_a", i), 500),
		{ID: fmt.Sprintf("evt_%d_declined", i), Kind: payment.EventFailed, Key: declined.Key(), CheckoutRef: *declined.CheckoutRef, Reason: "card declined"},
		b, {ID: "evt_" + b.PaymentRef + "_failed", Kind: payment.EventFailed, Key: b.Key, CheckoutRef: b.CheckoutRef, PaymentRef: b.PaymentRef, Reason: "late noise"},
		c, refund(c, fmt.Sprintf("re_%d_c1", i), 300), refund(c, fmt.Sprintf("re_%d_c2", i), 700),
	}
	return r
}

func dbtestTenant(f *fixture, name string) tenancy.Scope {
	s := dbtest.Tenant(f.t, f.h, f.clock.Now(), tenancy.KindClient, operator, name)
	f.profile(s, billing.ProfileInput{LegalName: name, Country: "US"})
	return s
}

// state writes a round's outcome without ids: each invoice's status and
// paid amount, each payment's status, amount, refunds and allocations,
// the attempts' statuses and the customer's credit.
func (f *fixture) state(r round) string {
	var out []string
	for label, inv := range r.invoices {
		got := f.load(inv.ID)
		out = append(out, fmt.Sprintf("invoice %s %s paid %d", label, got.Status, got.PaidMinor))
	}
	ps, err := f.pay.Payments(f.ctx(), operator, payment.Filter{CustomerID: r.customer.TenantID}, corePage())
	f.must(err)
	for _, p := range ps {
		var alloc int64
		for _, a := range p.Allocations {
			alloc += a.AmountMinor
		}
		out = append(out, fmt.Sprintf("payment %s %s amount %d refunded %d allocated %d", r.refs[*p.ProviderRef], p.Status, p.AmountMinor, p.RefundedMinor, alloc))
	}
	var attempts []string
	f.h.W.Table("payment_attempts").Where("customer_id = ?", r.customer.TenantID).Order("status").Pluck("status", &attempts)
	out = append(out, "attempts "+strings.Join(attempts, ","), "credit "+strconv.FormatInt(f.credit(operator, r.customer, "EUR"), 10))
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestWebhookOrderings delivers one set of provider events (successes, a
// decline, a stray failure, refunds) in random orders, in random batches,
// with random repeats and the worker running at random points: every
// ordering ends in the same payments, allocations, credit and invoice
// states. FAKTURA_ORDERINGS sets how many (default 1000).
func TestWebhookOrderings(t *testing.T) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("FAKTURA_ORDERINGS")); err == nil && v > 0 {
		n = v
	}
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.enableTestpay(operator)
		rng := rand.New(rand.NewPCG(42, 1))
		var want string
		for i := range n {
			r := f.newRound(i)
			evs := append([]payment.Event(nil), r.events...)
			for _, ev := range r.events {
				if rng.IntN(3) == 0 {
					evs = append(evs, ev) // delivered twice
				}
			}
			rng.Shuffle(len(evs), func(a, b int) { evs[a], evs[b] = evs[b], evs[a] })
			for len(evs) > 0 {
				k := min(len(evs), 1+rng.IntN(3))
				if _, err := f.webhook(evs[:k]...); err != nil {
					t.Fatal(err)
				}
				evs = evs[k:]
				if rng.IntN(2) == 0 {
					f.work()
				}
			}
			f.work()
			got := f.state(r)
			if i == 0 {
				want = got
				if !strings.Contains(want, "invoice A partially_paid paid 1500") || !strings.Contains(want, "invoice B paid paid 1500") ||
					!strings.Contains(want, "invoice C finalized paid 0") || !strings.Contains(want, "credit 0") {
					t.Fatalf("the first ordering ended in an unexpected state:\n%s", want)
				}
			} else if got != want {
				t.Fatalf("ordering %d ended differently:\n%s\nwant\n%s", i, got, want)
			}
		}
		if n := f.count("payment_events", "status <> ?", payment.EventRowDone); n != 0 {
			t.Errorf("%d events not applied", n)
		}
		t.Logf("%d orderings, one outcome", n)
	})
}
