package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stripe/stripe-go/v86/webhook"

	"faktura/billing/payment"
	"faktura/panel/core/tenancy"
	"faktura/plugins/paypal"
	"faktura/plugins/paypal/paypaltest"
	"faktura/plugins/stripe"
	"faktura/plugins/stripe/stripemock"
)

// TestBrowserPayPal: in Chromium the client opens its invoice, pays it
// with PayPal (the REST test server: approve on its page, capture on the
// return), and sees it paid; PayPal's webhook for the same capture
// counts nothing twice; the seller finds the payment in its list, and
// InvoicePaid was published once.
func TestBrowserPayPal(t *testing.T) {
	w, b := openBrowser(t)
	pp := paypaltest.New("client-alpha", "secret-alpha")
	defer pp.Close()
	w.s.Deps.BaseURL = w.srv.URL // the return address the browser comes back to
	ctx := context.Background()
	_, err := w.pay.ConfigureGateway(ctx, w.resA.Scope(), paypal.Name, payment.GatewayInput{Enabled: true, Settings: map[string]string{
		"client_id": "client-alpha", "client_secret": "secret-alpha", "webhook_id": "WH-ALPHA", "api_base": pp.URL}})
	if err != nil {
		t.Fatal(err)
	}
	inv := w.invoiceA("Hosting, paid online")
	b.do("viewport", chromedp.EmulateViewport(1366, 900))
	b.signIn("owner@clienta.test", testPassword, "#tenant-name")
	b.open(fmt.Sprintf("/billing/invoices/%d", inv.ID), "#pay-paypal")
	b.screenshot("client-invoice-pay.png")
	b.do("pay with PayPal", chromedp.Click(chromedp.CSS("#pay-paypal")), chromedp.WaitVisible(chromedp.CSS("#approve")))
	b.must(strings.Contains(b.text("h1"), "with PayPal"), "not on PayPal's page: %q", b.text("h1"))
	b.do("approve", chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.must(strings.Contains(b.text(".flash"), "your payment was received"), "after paying: %q", b.text(".flash"))
	b.must(b.text("#status") == "paid", "invoice status after paying: %q", b.text("#status"))
	b.must(strings.Contains(b.text("#invoice-payments"), "PayPal"), "the invoice does not list its PayPal payment: %q", b.text("#invoice-payments"))
	b.screenshot("client-invoice-paid.png")
	b.signOut()

	// PayPal's webhook for the same capture.
	var order string
	w.h.W.Table("payment_attempts").Where("invoice_id = ? AND gateway = ?", inv.ID, paypal.Name).Pluck("checkout_ref", &order)
	d := pp.Deliver("WH-ALPHA", pp.CaptureCompleted(order))
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/webhooks/paypal/%d", w.srv.URL, w.resA.ID), strings.NewReader(string(d.Body)))
	req.Header = d.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PayPal's webhook: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := w.pay.NewEventWorker("test", w.s.Deps.Log).RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.count("payments", "gateway = ?", paypal.Name); n != 1 {
		t.Errorf("%d PayPal payments recorded, want 1", n)
	}
	if n := w.count("outbox_events", "name = ? AND aggregate = ?", "billing.invoice_paid", fmt.Sprintf("invoice:%d", inv.ID)); n != 1 {
		t.Errorf("InvoicePaid published %d times", n)
	}
	if n := w.count("payment_events", "status = ?", payment.EventRowDone); n != 1 {
		t.Errorf("%d webhook events applied, want 1", n)
	}

	b.signIn("owner@a.test", testPassword, "#tenant-name")
	b.open("/billing/payments", "#payments-list")
	b.must(strings.Contains(b.text("#payments-list"), "PayPal"), "the seller's payment list lacks the PayPal payment: %q", b.text("#payments-list"))
	b.screenshot("reseller-payments.png")
	b.signOut()
}

// TestBrowserStripe: in Chromium the client chooses Stripe on its
// invoice and is sent on to the Checkout Session stripe-mock created
// (Stripe's hosted page itself is not part of stripe-mock); Stripe's
// signed webhook says the session was paid, and the client's invoice
// page shows it paid. A reseller pays the operator's wholesale invoice
// the same way.
func TestBrowserStripe(t *testing.T) {
	base := stripemock.Start(t)
	w, b := openBrowser(t)
	w.s.Deps.BaseURL = w.srv.URL
	ctx := context.Background()
	for _, seller := range []tenancy.Scope{w.resA.Scope(), {TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}} {
		if _, err := w.pay.ConfigureGateway(ctx, seller, stripe.Name, payment.GatewayInput{Enabled: true, Settings: map[string]string{
			"secret_key": "sk_test_x", "webhook_secret": "whsec_x", "api_base": base}}); err != nil {
			t.Fatal(err)
		}
	}
	inv := w.invoiceA("Hosting, by card through Stripe")
	b.do("viewport", chromedp.EmulateViewport(1366, 900))
	b.signIn("owner@clienta.test", testPassword, "#tenant-name")
	b.open(fmt.Sprintf("/billing/invoices/%d", inv.ID), "#pay-stripe")
	// Our page names where it goes and goes there two seconds later.
	b.do("pay with Stripe", chromedp.Click(chromedp.CSS("#pay-stripe")), chromedp.WaitVisible(chromedp.CSS("#go-on")))
	target := b.attr("#go-on", "href")
	b.must(strings.HasPrefix(target, "https://checkout.stripe.com/"), "sent on to %q, want Stripe Checkout", target)
	b.screenshot("client-on-to-stripe.png")

	var a payment.Attempt
	w.h.W.Where("invoice_id = ? AND gateway = ?", inv.ID, stripe.Name).Take(&a)
	key := fmt.Sprintf("faktura-attempt-%d", a.ID)
	body, _ := json.Marshal(map[string]any{"id": "evt_" + key, "object": "event", "type": "checkout.session.completed", "api_version": "2025-01-01",
		"data": map[string]any{"object": map[string]any{"id": *a.CheckoutRef, "object": "checkout.session", "status": "complete", "payment_status": "paid",
			"amount_total": inv.TotalMinor, "currency": "eur", "client_reference_id": key, "metadata": map[string]string{"faktura_key": key}, "payment_intent": "pi_browser"}}})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_x", Timestamp: time.Now()})
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/webhooks/stripe/%d", w.srv.URL, w.resA.ID), strings.NewReader(string(signed.Payload)))
	req.Header.Set("Stripe-Signature", signed.Header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Stripe's webhook: %v %v", resp, err)
	}
	resp.Body.Close()
	w.pay.NewEventWorker("test", w.s.Deps.Log).RunOnce(ctx)
	b.open(fmt.Sprintf("/billing/invoices/%d", inv.ID), "#invoice-payments")
	b.must(b.text("#status") == "paid", "invoice after Stripe's webhook: %q", b.text("#status"))
	b.screenshot("client-invoice-paid-stripe.png")
	b.signOut()

	// The reseller pays the operator's wholesale invoice the same way.
	b.signIn("owner@a.test", testPassword, "#tenant-name")
	b.open(fmt.Sprintf("/billing/invoices/%d", w.opInvA.ID), "#pay-stripe")
	b.do("reseller pays the operator", chromedp.Click(chromedp.CSS("#pay-stripe")), chromedp.WaitVisible(chromedp.CSS("#go-on")))
	b.must(strings.HasPrefix(b.attr("#go-on", "href"), "https://checkout.stripe.com/"), "the reseller is not sent on to Stripe")
	if n := w.count("payment_attempts", "invoice_id = ? AND customer_id = ? AND status = ?", w.opInvA.ID, w.resA.ID, payment.AttemptRedirected); n != 1 {
		t.Errorf("%d attempts of the reseller on the operator's invoice", n)
	}
}
