package paypal

import (
	"context"
	"strings"
	"testing"

	"faktura/billing/payment"
	"faktura/plugins/paypal/paypaltest"
)

func newGateway(t *testing.T, srv *paypaltest.Server, secret string) *gateway {
	t.Helper()
	g, err := open(payment.GatewayConfig{Values: map[string]string{"client_id": srv.ClientID, "client_secret": secret, "webhook_id": "WH-1", "api_base": srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	return g.(*gateway)
}

// TestOrderCaptureRefund: an order per key (a retry gets the same), no
// capture before the payer approves, one capture after (a second call
// reads it), a refund of part.
func TestOrderCaptureRefund(t *testing.T) {
	srv := paypaltest.New("client-1", "secret-1")
	defer srv.Close()
	g, ctx := newGateway(t, srv, "secret-1"), context.Background()
	req := payment.BeginRequest{Key: "faktura-attempt-7", AmountMinor: 11900, Currency: "EUR", Description: "Invoice INV-1", ReturnURL: "https://panel/r", CancelURL: "https://panel/c"}
	co, err := g.Begin(ctx, req)
	if err != nil || !strings.HasSuffix(co.RedirectURL, "/checkoutnow?token="+co.Ref) {
		t.Fatalf("Begin = %+v, %v", co, err)
	}
	if again, _ := g.Begin(ctx, req); again.Ref != co.Ref {
		t.Errorf("a retried Begin made order %s, first %s", again.Ref, co.Ref)
	}
	if _, err := g.Complete(ctx, co.Ref, req.Key+"-complete"); err == nil || !strings.Contains(err.Error(), "ORDER_NOT_APPROVED") {
		t.Errorf("capture before approval: %v", err)
	}
	srv.Approve(co.Ref)
	ev, err := g.Complete(ctx, co.Ref, req.Key+"-complete")
	if err != nil || ev.Kind != payment.EventSucceeded || ev.AmountMinor != 11900 || ev.Currency != "EUR" || ev.Key != req.Key || ev.PaymentRef == "" {
		t.Fatalf("Complete = %+v, %v", ev, err)
	}
	for _, key := range []string{req.Key + "-complete", "another-key"} {
		if again, err := g.Complete(ctx, co.Ref, key); err != nil || again.PaymentRef != ev.PaymentRef {
			t.Errorf("Complete again (%s) = %+v, %v", key, again, err)
		}
	}
	ref, err := g.Refund(ctx, ev.PaymentRef, 1900, "EUR", "refund-1")
	if err != nil || ref == "" {
		t.Fatalf("Refund = %q, %v", ref, err)
	}
	if again, _ := g.Refund(ctx, ev.PaymentRef, 1900, "EUR", "refund-1"); again != ref {
		t.Errorf("a retried refund made %s, first %s", again, ref)
	}
	if _, err := newGateway(t, srv, "wrong").Begin(ctx, req); err == nil {
		t.Error("wrong credentials began an order")
	}
}

// TestWebhooks: a delivery verifies through verify-webhook-signature;
// capture and refund events become payment events; a forged or unsigned
// one is refused; other event types are acknowledged and ignored.
func TestWebhooks(t *testing.T) {
	srv := paypaltest.New("client-1", "secret-1")
	defer srv.Close()
	g, ctx := newGateway(t, srv, "secret-1"), context.Background()
	co, _ := g.Begin(ctx, payment.BeginRequest{Key: "faktura-attempt-9", AmountMinor: 2000, Currency: "EUR", ReturnURL: "https://p/r"})
	capture := srv.Capture(co.Ref)
	d := srv.Deliver("WH-1", srv.CaptureCompleted(co.Ref))
	evs, err := g.Receive(ctx, d.Header, d.Body)
	if err != nil || len(evs) != 1 || evs[0].Kind != payment.EventSucceeded || evs[0].PaymentRef != capture || evs[0].CheckoutRef != co.Ref ||
		evs[0].Key != "faktura-attempt-9" || evs[0].AmountMinor != 2000 {
		t.Fatalf("capture event = %+v, %v", evs, err)
	}
	d = srv.Deliver("WH-1", srv.CaptureRefunded(co.Ref, "1R-TEST", "5.00"))
	evs, err = g.Receive(ctx, d.Header, d.Body)
	if err != nil || len(evs) != 1 || evs[0].Kind != payment.EventRefunded || evs[0].PaymentRef != capture || evs[0].RefundRef != "1R-TEST" || evs[0].AmountMinor != 500 {
		t.Fatalf("refund event = %+v, %v", evs, err)
	}
	forged := srv.Deliver("WH-1", srv.CaptureCompleted(co.Ref))
	forged.Body = []byte(strings.Replace(string(forged.Body), "20.00", "2000.00", 1))
	otherHook := srv.Deliver("WH-OTHER", srv.CaptureCompleted(co.Ref))
	unsigned := srv.Deliver("WH-1", srv.CaptureCompleted(co.Ref))
	unsigned.Header.Del("PAYPAL-TRANSMISSION-SIG")
	for name, d := range map[string]paypaltest.Delivery{"forged": forged, "another webhook": otherHook, "unsigned": unsigned} {
		if _, err := g.Receive(ctx, d.Header, d.Body); err == nil {
			t.Errorf("%s delivery accepted", name)
		}
	}
	d = srv.Deliver("WH-1", map[string]any{"id": "WH-X", "event_type": "CHECKOUT.ORDER.APPROVED", "resource": map[string]any{"id": co.Ref}})
	if evs, err := g.Receive(ctx, d.Header, d.Body); err != nil || len(evs) != 0 {
		t.Errorf("an unused event type = %+v, %v", evs, err)
	}
}

func TestConfig(t *testing.T) {
	for _, vals := range []map[string]string{{"client_id": "a", "client_secret": "b", "mode": "moon"}, {"client_id": "", "client_secret": "b"}} {
		if _, err := open(payment.GatewayConfig{Values: vals}); err == nil {
			t.Errorf("open(%v) accepted", vals)
		}
	}
}
