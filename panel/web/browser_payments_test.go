package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"faktura/billing/payment"
	"faktura/plugins/paypal"
	"faktura/plugins/paypal/paypaltest"
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
