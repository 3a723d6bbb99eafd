package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/plugins/stripe"
	"faktura/plugins/stripe/stripemock"
)

// TestPayWithStripe: against stripe-mock the client is sent to a Stripe
// Checkout Session for the invoice; Stripe's signed webhook (signed with
// the library's own signing) pays it once however often it comes; the
// seller's refund goes through Stripe and its charge.refunded webhook
// adds nothing.
func TestPayWithStripe(t *testing.T) {
	base := stripemock.Start(t)
	eachWorld(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		_, err := w.pay.ConfigureGateway(ctx, w.resA.Scope(), stripe.Name, payment.GatewayInput{Enabled: true, Settings: map[string]string{
			"secret_key": "sk_test_alpha", "webhook_secret": "whsec_alpha", "api_base": base}})
		if err != nil {
			t.Fatal(err)
		}
		inv := w.invoiceA("Hosting, by card")
		client := w.signIn("owner@clienta.test")
		r := client.post(fmt.Sprintf("/billing/invoices/%d/pay", inv.ID), url.Values{"gateway": {"stripe"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("pay with Stripe = %d %.300s", r.status, r.body)
		}
		if page := client.get(r.location); !strings.Contains(page.body, `content="2;url=https://checkout.stripe.com/`) {
			t.Fatalf("not sent on to Stripe Checkout: %.500s", page.body)
		}
		var a payment.Attempt
		w.h.W.Where("invoice_id = ? AND gateway = ?", inv.ID, stripe.Name).Take(&a)
		if a.CheckoutRef == nil || !strings.HasPrefix(*a.CheckoutRef, "cs_") {
			t.Fatalf("attempt = %+v", a)
		}
		send := func(ev map[string]any) int {
			body, _ := json.Marshal(ev)
			p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_alpha", Timestamp: time.Now()})
			req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/webhooks/stripe/%d", w.srv.URL, w.resA.ID), strings.NewReader(string(p.Payload)))
			req.Header.Set("Stripe-Signature", p.Header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			w.pay.NewEventWorker("test", w.s.Deps.Log).RunOnce(ctx)
			return resp.StatusCode
		}
		key := fmt.Sprintf("faktura-attempt-%d", a.ID)
		completed := map[string]any{"id": "evt_paid_" + key, "object": "event", "type": "checkout.session.completed", "api_version": "2025-01-01",
			"data": map[string]any{"object": map[string]any{"id": *a.CheckoutRef, "object": "checkout.session", "status": "complete", "payment_status": "paid",
				"amount_total": inv.TotalMinor, "currency": "eur", "client_reference_id": key, "metadata": map[string]string{"faktura_key": key}, "payment_intent": "pi_alpha_1"}}}
		for range 2 {
			if st := send(completed); st != http.StatusOK {
				t.Fatalf("Stripe's webhook = %d", st)
			}
		}
		if n := w.count("payments", "gateway = ?", stripe.Name); n != 1 {
			t.Fatalf("%d Stripe payments, want 1", n)
		}
		if got := w.invoiceNow(inv.ID); got.Status != billing.InvoiceStatusPaid {
			t.Errorf("invoice %s after Stripe's webhook", got.Status)
		}
		var pid int64
		w.h.W.Table("payments").Where("gateway = ?", stripe.Name).Pluck("id", &pid)
		rr := w.api(w.keyA, http.MethodPost, fmt.Sprintf("/api/v1/payments/%d/refund", pid), map[string]any{"amount": "5.00", "reason": "goodwill"})
		if rr.status != http.StatusOK {
			t.Fatalf("refund through Stripe = %d %s", rr.status, rr.body)
		}
		var refunded payment.Refund
		w.h.W.Where("payment_id = ?", pid).Take(&refunded)
		send(map[string]any{"id": "evt_refund_" + key, "object": "event", "type": "charge.refunded", "api_version": "2025-01-01",
			"data": map[string]any{"object": map[string]any{"id": "ch_alpha_1", "object": "charge", "payment_intent": "pi_alpha_1", "metadata": map[string]string{"faktura_key": key},
				"refunds": map[string]any{"object": "list", "data": []map[string]any{{"id": *refunded.ProviderRef, "object": "refund", "amount": 500, "currency": "eur"}}}}}})
		if got := w.invoiceNow(inv.ID); got.PaidMinor != inv.TotalMinor-500 || w.count("payment_refunds", "payment_id = ?", pid) != 1 {
			t.Errorf("after the refund and its webhook: paid %d, %d refunds", got.PaidMinor, w.count("payment_refunds", "payment_id = ?", pid))
		}
		body, _ := json.Marshal(completed)
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/webhooks/stripe/%d", w.srv.URL, w.resA.ID), strings.NewReader(string(body)))
		req.Header.Set("Stripe-Signature", fmt.Sprintf("t=%d,v1=%s", time.Now().Unix(), strings.Repeat("0", 64)))
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a forged Stripe delivery = %v %v, want 400", resp, err)
		}
		if n := w.count("payments", "gateway = ?", stripe.Name); n != 1 {
			t.Errorf("%d Stripe payments after more deliveries", n)
		}
	})
}
