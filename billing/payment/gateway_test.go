package payment_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/billing/payment/gatewaytest"
	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/tenancy"
)

const whsec = "whsec_operator_0123456789"

func (f *fixture) enableTestpay(seller tenancy.Scope) {
	f.t.Helper()
	gatewaytest.Provider.Reset()
	_, err := f.pay.ConfigureGateway(f.ctx(), seller, gatewaytest.Name, payment.GatewayInput{Enabled: true,
		Settings: map[string]string{"account": fmt.Sprintf("acct_%d", seller.TenantID), "signing_secret": whsec}})
	f.must(err)
}

// worker applies stored events until none is due.
func (f *fixture) work() {
	f.t.Helper()
	w := f.pay.NewEventWorker("test", quiet())
	for range 1000 {
		n, err := w.RunOnce(context.Background())
		f.must(err)
		if n == 0 {
			return
		}
	}
	f.t.Fatal("the event queue did not drain")
}

func (f *fixture) webhook(evs ...payment.Event) (int, error) {
	body, sig := gatewaytest.Sign(whsec, evs...)
	return f.pay.ReceiveWebhook(context.Background(), gatewaytest.Name, operator.TenantID, http.Header{gatewaytest.Header: {sig}}, body)
}

// TestGatewayConfig: a seller's gateway settings are checked, its
// secrets sealed at rest and never shown or audited; a client has none.
func TestGatewayConfig(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		ctx := f.ctx()
		if _, err := f.pay.ConfigureGateway(ctx, operator, gatewaytest.Name, payment.GatewayInput{Enabled: true, Settings: map[string]string{"account": "a1"}}); !field(err, "settings.signing_secret") {
			t.Errorf("enabling without the secret: %v", err)
		}
		if _, err := f.pay.ConfigureGateway(ctx, operator, gatewaytest.Name, payment.GatewayInput{Settings: map[string]string{"colour": "red"}}); !field(err, "settings.colour") {
			t.Errorf("an unknown setting: %v", err)
		}
		if _, err := f.pay.ConfigureGateway(ctx, operator, "bitcoin", payment.GatewayInput{}); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("an unknown gateway: %v", err)
		}
		if _, err := f.pay.ConfigureGateway(ctx, f.c, gatewaytest.Name, payment.GatewayInput{}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("a client configuring a gateway: %v", err)
		}
		f.enableTestpay(operator)
		v, err := f.pay.ConfigureGateway(ctx, operator, gatewaytest.Name, payment.GatewayInput{Enabled: true, Settings: map[string]string{"account": "acct_1b"}})
		f.must(err) // an empty secret keeps the stored one
		if !slices.Contains(v.SecretsSet, "signing_secret") || v.Settings["account"] != "acct_1b" || v.Settings["signing_secret"] != "" {
			t.Errorf("view = %+v", v)
		}
		var stored string
		h.W.Table("payment_gateways").Where("seller_id = ?", operator.TenantID).Pluck("secrets", &stored)
		var audits []string
		h.W.Table("audit_log").Where("action = ?", "payment.gateway.configure").Pluck("summary", &audits)
		if strings.Contains(stored, whsec) || !strings.HasPrefix(stored, "v1:") || strings.Contains(strings.Join(audits, " "), whsec) {
			t.Errorf("the signing secret is readable at rest or in the audit log")
		}
		if names, _ := f.pay.EnabledGateways(ctx, operator.TenantID); !slices.Equal(names, []string{gatewaytest.Name}) {
			t.Errorf("enabled gateways = %v", names)
		}
	})
}

// TestPayOnline: the customer pays through the gateway; the return page
// and the webhook saying the same count once, also when they arrive
// together; a forged delivery changes nothing.
func TestPayOnline(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.enableTestpay(operator)
		inv := f.invoice(operator, f.c, "20.00", "EUR")
		if _, err := f.pay.Pay(f.ctx(), operator, inv.ID, payment.PayInput{Gateway: gatewaytest.Name}); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("the seller paying its own invoice: %v", err)
		}
		if _, err := f.pay.Pay(f.ctx(), f.c, inv.ID, payment.PayInput{Gateway: "cash"}); !field(err, "gateway") {
			t.Errorf("an unknown gateway: %v", err)
		}
		a, err := f.pay.Pay(f.ctx(), f.c, inv.ID, payment.PayInput{Gateway: gatewaytest.Name, ReturnURL: "https://panel.test/pay/return"})
		f.must(err)
		if a.Status != payment.AttemptRedirected || a.RedirectURL == nil || a.AmountMinor != 2000 {
			t.Fatalf("attempt = %+v", a)
		}
		if _, err := f.pay.Complete(f.ctx(), f.c, a.ID); !errors.Is(err, core.ErrPrecondition) {
			t.Errorf("completing an unapproved checkout: %v", err)
		}
		ev := gatewaytest.Provider.Captured(*a.CheckoutRef)
		// The return page and the webhook at once.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { _, errs[0] = f.pay.Complete(f.ctx(), f.c, a.ID) })
		wg.Go(func() {
			if _, errs[1] = f.webhook(ev); errs[1] == nil {
				f.work()
			}
		})
		wg.Wait()
		f.must(errors.Join(errs...))
		f.webhook(ev) // a repeated delivery
		f.work()
		if n := f.count("payments", "1 = 1"); n != 1 {
			t.Errorf("%d payments recorded, want 1", n)
		}
		if got := f.load(inv.ID); got.Status != billing.InvoiceStatusPaid {
			t.Errorf("invoice %s after paying online", got.Status)
		}
		if n := f.count("outbox_events", "name = ? AND aggregate = ?", "billing.invoice_paid", "invoice:"+itoa(inv.ID)); n != 1 {
			t.Errorf("InvoicePaid published %d times", n)
		}
		body, _ := gatewaytest.Sign(whsec, ev)
		for name, hdr := range map[string]http.Header{"unsigned": {}, "forged": {gatewaytest.Header: {strings.Repeat("0", 64)}}} {
			if _, err := f.pay.ReceiveWebhook(context.Background(), gatewaytest.Name, operator.TenantID, hdr, body); !errors.Is(err, payment.ErrBadWebhook) {
				t.Errorf("%s delivery: %v", name, err)
			}
		}
		if _, err := f.pay.ReceiveWebhook(context.Background(), gatewaytest.Name, f.r.TenantID, http.Header{}, body); !errors.Is(err, payment.ErrBadWebhook) {
			t.Errorf("a delivery for a seller without the gateway: %v", err)
		}
		if n := f.count("payment_events", "1 = 1"); n != 1 {
			t.Errorf("%d events stored, want the one", n)
		}
	})
}

// TestRefundAtProvider: staff refund an online payment: the provider
// gives the money back, and its webhook for the same refund adds
// nothing.
func TestRefundAtProvider(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.enableTestpay(operator)
		inv := f.invoice(operator, f.c, "20.00", "EUR")
		a, err := f.pay.Pay(f.ctx(), f.c, inv.ID, payment.PayInput{Gateway: gatewaytest.Name, ReturnURL: "https://panel.test/r"})
		f.must(err)
		gatewaytest.Provider.Approve(*a.CheckoutRef)
		_, err = f.pay.Complete(f.ctx(), f.c, a.ID)
		f.must(err)
		var pid int64
		h.W.Table("payments").Where("attempt_id = ?", a.ID).Pluck("id", &pid)
		p, err := f.pay.Refund(f.ctx(), operator, pid, payment.RefundInput{Amount: "5.00", Reason: "goodwill"})
		f.must(err)
		if p.RefundedMinor != 500 || len(gatewaytest.Provider.Refunds) != 1 {
			t.Fatalf("refund: %d refunded, %d at the provider", p.RefundedMinor, len(gatewaytest.Provider.Refunds))
		}
		f.webhook(payment.Event{ID: "evt_refund", Kind: payment.EventRefunded, Key: a.Key(), PaymentRef: *p.ProviderRef,
			RefundRef: gatewaytest.Provider.Refunds[0], AmountMinor: 500, Currency: "EUR"})
		f.work()
		if got, _ := f.pay.Payment(f.ctx(), operator, pid); got.RefundedMinor != 500 || f.load(inv.ID).PaidMinor != 1500 {
			t.Errorf("after the refund's webhook: refunded %d, invoice paid %d", got.RefundedMinor, f.load(inv.ID).PaidMinor)
		}
	})
}

// TestSameWebhookTwice: two processes receive the same delivery at once
// and two workers apply what they stored at once: one event, one
// payment, the invoice paid once.
func TestSameWebhookTwice(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.enableTestpay(operator)
		var evs []payment.Event
		for range 5 {
			inv := f.invoice(operator, f.c, "20.00", "EUR")
			a, err := f.pay.Pay(f.ctx(), f.c, inv.ID, payment.PayInput{Gateway: gatewaytest.Name, ReturnURL: "https://panel.test/r"})
			f.must(err)
			evs = append(evs, gatewaytest.Provider.Captured(*a.CheckoutRef))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for range 2 { // two processes, each receiving every delivery
			wg.Go(func() {
				for _, ev := range evs {
					if _, err := f.webhook(ev); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		for _, node := range []string{"node-a", "node-b"} { // two workers at once
			w := f.pay.NewEventWorker(node, quiet())
			wg.Go(func() {
				for range 50 {
					n, err := w.RunOnce(context.Background())
					if err != nil {
						errs <- err
						return
					}
					if n == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		f.work()
		if n := f.count("payment_events", "1 = 1"); n != 5 {
			t.Errorf("%d events stored from 10 deliveries of 5", n)
		}
		if n := f.count("payments", "1 = 1"); n != 5 {
			t.Errorf("%d payments recorded, want 5", n)
		}
		if n := f.count("outbox_events", "name = ?", "billing.invoice_paid"); n != 5 {
			t.Errorf("InvoicePaid published %d times, want 5", n)
		}
	})
}

// TestAutoCharge: a customer who saved its card while paying online has
// its invoices charged when they fall due, once per day however often
// the step runs; a declined charge leaves the invoice open; a customer
// without a saved method is never charged; a forgotten method is not
// charged again.
func TestAutoCharge(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.enableTestpay(operator)
		first := f.invoice(operator, f.c, "20.00", "EUR")
		a, err := f.pay.Pay(f.ctx(), f.c, first.ID, payment.PayInput{Gateway: gatewaytest.Name, ReturnURL: "https://panel.test/r", SaveMethod: true})
		f.must(err)
		gatewaytest.Provider.Approve(*a.CheckoutRef)
		_, err = f.pay.Complete(f.ctx(), f.c, a.ID)
		f.must(err)
		ms, err := f.pay.Methods(f.ctx(), f.c, f.c.TenantID)
		f.must(err)
		if len(ms) != 1 || !ms[0].AutoCharge || ms[0].Label == "" {
			t.Fatalf("saved methods = %+v", ms)
		}
		due := f.invoice(operator, f.c, "15.00", "EUR") // due in 14 days
		others := f.invoice(operator, f.other, "9.00", "EUR")
		day := func(s string) core.Date { d, _ := core.ParseDate("day", s); return d }
		if ok, _, err := f.pay.AutoCharge(context.Background(), day("2026-11-23")); err != nil || ok != 0 {
			t.Errorf("before the due date: %d charged, %v", ok, err)
		}
		for range 3 {
			f.pay.AutoCharge(context.Background(), day(due.DueDate))
		}
		if got := f.load(due.ID); got.Status != billing.InvoiceStatusPaid || gatewaytest.Provider.Charges != 1 {
			t.Errorf("on the due date: invoice %s, %d charges", got.Status, gatewaytest.Provider.Charges)
		}
		if got := f.load(others.ID); got.PaidMinor != 0 {
			t.Error("a customer without a saved method was charged")
		}
		gatewaytest.Provider.Declines(777)
		declined := f.invoice(operator, f.c, "7.77", "EUR")
		if ok, bad, err := f.pay.AutoCharge(context.Background(), day(declined.DueDate)); err != nil || ok != 0 || bad != 1 {
			t.Errorf("a declined charge: %d charged, %d declined, %v", ok, bad, err)
		}
		if got := f.load(declined.ID); got.PaidMinor != 0 || got.Status == billing.InvoiceStatusPaid {
			t.Errorf("a declined charge paid the invoice: %s", got.Status)
		}
		if err := f.pay.ForgetMethod(f.ctx(), f.other, ms[0].ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("another customer forgetting the method: %v", err)
		}
		f.must(f.pay.ForgetMethod(f.ctx(), f.c, ms[0].ID))
		before := gatewaytest.Provider.Charges
		f.pay.AutoCharge(context.Background(), day("2026-12-31"))
		if gatewaytest.Provider.Charges != before {
			t.Error("a forgotten method was charged")
		}
	})
}
