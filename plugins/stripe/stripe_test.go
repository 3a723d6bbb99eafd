package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v86/webhook"

	"faktura/billing/payment"
	"faktura/plugins/stripe/stripemock"
)

func newGateway(t *testing.T, base string) *gateway {
	t.Helper()
	g, err := open(payment.GatewayConfig{Values: map[string]string{"secret_key": "sk_test_faktura", "webhook_secret": "whsec_test", "api_base": base}})
	if err != nil {
		t.Fatal(err)
	}
	return g.(*gateway)
}

// TestAgainstStripeMock: the requests the gateway makes (a Checkout
// Session for card and SEPA, reading it back with its payment intent, a
// refund) pass stripe-mock's checks against Stripe's OpenAPI and their
// answers read back; an open, unpaid session is no payment.
func TestAgainstStripeMock(t *testing.T) {
	g, ctx := newGateway(t, stripemock.Start(t)), context.Background()
	co, err := g.Begin(ctx, payment.BeginRequest{Key: "faktura-attempt-3", AmountMinor: 2380, Currency: "EUR", Description: "Invoice INV-2026-000001",
		ReturnURL: "https://panel.test/billing/pay/return?attempt=3", CancelURL: "https://panel.test/billing/invoices/9"})
	if err != nil || !strings.HasPrefix(co.Ref, "cs_") || !strings.HasPrefix(co.RedirectURL, "https://checkout.stripe.com/") {
		t.Fatalf("Begin = %+v, %v", co, err)
	}
	if _, err := g.Complete(ctx, co.Ref, "k"); err == nil || !strings.Contains(err.Error(), "not paid") {
		t.Errorf("Complete of an open session = %v, want not paid", err)
	}
	saved, err := g.Begin(ctx, payment.BeginRequest{Key: "faktura-attempt-4", AmountMinor: 2380, Currency: "EUR", ReturnURL: "https://panel.test/r", SaveMethod: true})
	if err != nil || saved.Ref == "" {
		t.Errorf("Begin saving the method = %+v, %v", saved, err)
	}
	ev, err := g.Charge(ctx, payment.ChargeRequest{Key: "faktura-attempt-5", AmountMinor: 1500, Currency: "EUR", Description: "Invoice INV-2026-000002",
		ProviderCustomer: "cus_123", ProviderMethod: "pm_123"})
	if err != nil || ev.Key != "faktura-attempt-5" || ev.PaymentRef == "" || ev.Kind == "" {
		t.Errorf("Charge = %+v, %v", ev, err)
	}
	ref, err := g.Refund(ctx, "pi_123", 500, "EUR", "faktura-refund-1-0-500")
	if err != nil || !strings.HasPrefix(ref, "re_") {
		t.Errorf("Refund = %q, %v", ref, err)
	}
	if _, err := open(payment.GatewayConfig{Values: map[string]string{}}); err == nil {
		t.Error("a gateway without a secret key opened")
	}
}

func signed(t *testing.T, secret string, event map[string]any) (http.Header, []byte) {
	body, _ := json.Marshal(event)
	p := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
	return http.Header{"Stripe-Signature": {p.Header}}, p.Payload
}

func event(id, typ string, obj map[string]any) map[string]any {
	return map[string]any{"id": id, "object": "event", "type": typ, "api_version": "2025-01-01", "created": time.Now().Unix(), "data": map[string]any{"object": obj}}
}

// TestWebhooks: deliveries signed with the library's own signing become
// events (a paid session, a SEPA session pending then failed, a refunded
// charge); a forged, stale-signed or unsigned one is refused; other
// types are acknowledged and ignored.
func TestWebhooks(t *testing.T) {
	g := newGateway(t, "http://127.0.0.1:1")
	session := func(status, paid string) map[string]any {
		return map[string]any{"id": "cs_test_1", "object": "checkout.session", "status": status, "payment_status": paid, "amount_total": 2380, "currency": "eur",
			"client_reference_id": "faktura-attempt-3", "metadata": map[string]string{"faktura_key": "faktura-attempt-3"}, "payment_intent": "pi_3"}
	}
	cases := []struct {
		name  string
		ev    map[string]any
		kinds []string
	}{
		{"paid card session", event("evt_1", "checkout.session.completed", session("complete", "paid")), []string{payment.EventSucceeded}},
		{"SEPA session, money not there yet", event("evt_2", "checkout.session.completed", session("complete", "unpaid")), []string{payment.EventPending}},
		{"SEPA debit arrived", event("evt_3", "checkout.session.async_payment_succeeded", session("complete", "paid")), []string{payment.EventSucceeded}},
		{"SEPA debit failed", event("evt_4", "checkout.session.async_payment_failed", session("complete", "unpaid")), []string{payment.EventFailed}},
		{"refunded charge", event("evt_5", "charge.refunded", map[string]any{"id": "ch_1", "object": "charge", "payment_intent": "pi_3",
			"metadata": map[string]string{"faktura_key": "faktura-attempt-3"},
			"refunds":  map[string]any{"object": "list", "data": []map[string]any{{"id": "re_1", "object": "refund", "amount": 500, "currency": "eur"}}}}), []string{payment.EventRefunded}},
		{"another type", event("evt_6", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}), nil},
	}
	for _, tc := range cases {
		h, body := signed(t, "whsec_test", tc.ev)
		evs, err := g.Receive(context.Background(), h, body)
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
			if e.Kind != "" && (e.Key != "faktura-attempt-3" || e.PaymentRef != "pi_3") {
				t.Errorf("%s: event %+v lacks its key or payment", tc.name, e)
			}
		}
		if err != nil || fmt.Sprint(kinds) != fmt.Sprint(tc.kinds) {
			t.Errorf("%s: kinds %v, %v; want %v", tc.name, kinds, err, tc.kinds)
		}
	}
	h, body := signed(t, "whsec_wrong", cases[0].ev)
	if _, err := g.Receive(context.Background(), h, body); err == nil {
		t.Error("a delivery signed with another secret was accepted")
	}
	h, body = signed(t, "whsec_test", cases[0].ev)
	if _, err := g.Receive(context.Background(), h, []byte(strings.Replace(string(body), "2380", "99999", 1))); err == nil {
		t.Error("a changed body was accepted")
	}
	if _, err := g.Receive(context.Background(), http.Header{}, body); err == nil {
		t.Error("an unsigned delivery was accepted")
	}
	old := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: "whsec_test", Timestamp: time.Now().Add(-time.Hour)})
	if _, err := g.Receive(context.Background(), http.Header{"Stripe-Signature": {old.Header}}, old.Payload); err == nil {
		t.Error("a delivery signed an hour ago was accepted")
	}
}
