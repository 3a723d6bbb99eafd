package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/billing/payment/gatewaytest"
	"faktura/panel/identity"
)

// invoiceA finalizes a 20.00 (net) invoice from reseller A to its client.
func (w *world) invoiceA(desc string) billing.Invoice {
	w.t.Helper()
	ctx, b := context.Background(), w.billing
	inv, err := b.CreateInvoice(ctx, w.resA.Scope(), billing.InvoiceInput{CustomerID: w.cliA.ID, Currency: "EUR",
		Lines: []billing.LineInput{{Description: desc, Quantity: "1", UnitPrice: "20"}}})
	if err == nil {
		_, err = b.Finalize(ctx, w.resA.Scope(), inv.ID)
	}
	if err == nil {
		inv, err = b.Approve(ctx, w.resA.Scope(), inv.ID)
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return inv
}

func (w *world) invoiceNow(id int64) billing.Invoice {
	w.t.Helper()
	inv, err := w.billing.Invoice(context.Background(), w.resA.Scope(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return inv
}

// TestPaymentsAPI: a seller records a bank transfer over the API that
// pays an invoice and leaves credit; the client sees the payment but
// cannot change it; bad input is refused naming its field and writes
// nothing.
func TestPaymentsAPI(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		inv := w.invoiceA("Design")
		total := fmt.Sprintf("%d.%02d", inv.TotalMinor/100, inv.TotalMinor%100)
		body := map[string]any{"customer_id": w.cliA.ID, "method": "bank_transfer", "amount": "30.00", "currency": "EUR", "received_on": "2026-11-21",
			"reference": "SEPA 0815", "allocations": []map[string]any{{"invoice_id": inv.ID, "amount": total}}}
		bad := []struct {
			change map[string]any
			field  string
		}{
			{map[string]any{"method": "barter"}, "method"},
			{map[string]any{"amount": "-30.00"}, "amount"},
			{map[string]any{"amount": "0"}, "amount"},
			{map[string]any{"currency": "XXQ"}, "currency"},
			{map[string]any{"customer_id": w.cliB.ID}, "customer_id"},
			{map[string]any{"allocations": []map[string]any{{"invoice_id": inv.ID, "amount": "29.00"}}}, "amount"},
			{map[string]any{"allocations": []map[string]any{{"invoice_id": w.finalB.ID, "amount": "1.00"}}}, "invoice_id"},
		}
		before := w.count("payments", "1 = 1")
		for _, b := range bad {
			in := map[string]any{}
			for k, v := range body {
				in[k] = v
			}
			for k, v := range b.change {
				in[k] = v
			}
			r := w.api(w.keyA, http.MethodPost, "/api/v1/payments", in)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"`+b.field) {
				t.Errorf("POST payment with %v = %d %s, want 422 naming %s", b.change, r.status, r.body, b.field)
			}
		}
		if n := w.count("payments", "1 = 1"); n != before {
			t.Errorf("bad payments wrote %d rows", n-before)
		}
		r := w.api(w.keyA, http.MethodPost, "/api/v1/payments", body)
		if r.status != http.StatusCreated {
			t.Fatalf("record payment = %d %s", r.status, r.body)
		}
		var p struct {
			ID               int64 `json:"id"`
			UnallocatedMinor int64 `json:"unallocated_minor"`
		}
		json.Unmarshal([]byte(r.body), &p)
		if got := w.invoiceNow(inv.ID); got.Status != billing.InvoiceStatusPaid || p.UnallocatedMinor != 3000-inv.TotalMinor {
			t.Errorf("after the payment: invoice %s, credit %d", got.Status, p.UnallocatedMinor)
		}
		r = w.api(w.keyCliA, http.MethodGet, "/api/v1/payments", nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, "SEPA 0815") {
			t.Errorf("the client's payments = %d %s", r.status, r.body)
		}
		r = w.api(w.keyCliA, http.MethodPost, fmt.Sprintf("/api/v1/payments/%d/refund", p.ID), map[string]any{"reason": "I want it back"})
		if r.status != http.StatusForbidden {
			t.Errorf("the client refunding its own payment = %d %s", r.status, r.body)
		}
		r = w.api(w.keyCliA, http.MethodGet, fmt.Sprintf("/api/v1/tenants/%d/credit", w.cliA.ID), nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"currency":"EUR"`) {
			t.Errorf("the client's credit = %d %s", r.status, r.body)
		}
		r = w.api(w.keyA, http.MethodPost, fmt.Sprintf("/api/v1/payments/%d/refund", p.ID), map[string]any{"amount": "31.00", "reason": "too much"})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"amount"`) {
			t.Errorf("refund above the payment = %d %s", r.status, r.body)
		}
		r = w.api(w.keyA, http.MethodPost, fmt.Sprintf("/api/v1/payments/%d/refund", p.ID), map[string]any{"reason": "cancelled order"})
		if r.status != http.StatusOK || w.invoiceNow(inv.ID).Status != billing.InvoiceStatusFinalized {
			t.Errorf("full refund = %d %s; invoice %s", r.status, r.body, w.invoiceNow(inv.ID).Status)
		}
	})
}

// TestPaymentsPages: from the invoice page the seller records a payment
// (prefilled with what is open), sees it on the invoice and in the list,
// refunds part of it (a confirmation box first), and applies the credit.
func TestPaymentsPages(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		inv := w.invoiceA("Hosting setup")
		seller, client := w.signIn("owner@a.test"), w.signIn("owner@clienta.test")
		page := seller.get(fmt.Sprintf("/billing/invoices/%d", inv.ID))
		if !strings.Contains(page.body, fmt.Sprintf(`href="/billing/payments/new?invoice_id=%d"`, inv.ID)) {
			t.Fatalf("the invoice page has no Record payment link")
		}
		if strings.Contains(client.get(fmt.Sprintf("/billing/invoices/%d", inv.ID)).body, "/billing/payments/new") {
			t.Error("the client is offered to record a payment")
		}
		form := seller.get(fmt.Sprintf("/billing/payments/new?invoice_id=%d", inv.ID))
		open := fmt.Sprintf("%d.%02d", inv.TotalMinor/100, inv.TotalMinor%100)
		if !strings.Contains(form.body, `value="`+open+`"`) {
			t.Errorf("the payment form is not prefilled with %s", open)
		}
		vals := url.Values{"invoice_id": {fmt.Sprint(inv.ID)}, "customer_id": {fmt.Sprint(w.cliA.ID)}, "amount": {"30.00"}, "currency": {"EUR"},
			"allocate": {"99.00"}, "method": {"cash"}, "received_on": {"2026-11-22"}}
		if r := seller.post("/billing/payments/new", vals); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "more than the payment") {
			t.Errorf("allocating more than the payment = %d", r.status)
		}
		vals.Set("allocate", open)
		r := seller.post("/billing/payments/new", vals)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/billing/payments/") {
			t.Fatalf("record = %d %s %.300s", r.status, r.location, r.body)
		}
		pay := seller.get(r.location)
		if !strings.Contains(pay.body, "cash") || !strings.Contains(pay.body, `id="refund-form"`) {
			t.Errorf("the payment page lacks its method or the refund form")
		}
		if !strings.Contains(seller.get(fmt.Sprintf("/billing/invoices/%d", inv.ID)).body, `id="invoice-payments"`) {
			t.Error("the paid invoice does not list its payment")
		}
		if list := seller.get("/billing/payments"); !strings.Contains(list.body, "Alpha Client") || !strings.Contains(list.body, "30.00") {
			t.Error("the payment list lacks the payment")
		}
		if strings.Contains(client.get(r.location).body, `id="refund-form"`) {
			t.Error("the client is offered a refund form")
		}
		if rr := seller.post(r.location+"/refund", url.Values{"amount": {"5.00"}, "reason": {"goodwill"}}); rr.status != http.StatusUnprocessableEntity {
			t.Errorf("refund without the box = %d", rr.status)
		}
		if rr := seller.post(r.location+"/refund", url.Values{"amount": {"5.00"}, "reason": {"goodwill"}, "confirm": {"on"}}); rr.status != http.StatusSeeOther {
			t.Errorf("refund = %d", rr.status)
		}
		if cp := seller.get(fmt.Sprintf("/tenants/%d", w.cliA.ID)).body; !strings.Contains(cp, `id="tenant-credit"`) || !strings.Contains(cp, `id="tenant-payments"`) {
			t.Error("the client page shows no credit or payments link")
		}
		// 30.00 - total - 5.00 of credit is left; a second invoice takes it by hand.
		second := w.invoiceA("Extra work")
		if w.invoiceNow(second.ID).PaidMinor == 0 {
			if rr := seller.post(fmt.Sprintf("/billing/invoices/%d/apply-credit", second.ID), nil); rr.status != http.StatusSeeOther {
				t.Errorf("apply credit = %d %.300s", rr.status, rr.body)
			}
		}
		if got := w.invoiceNow(second.ID); got.PaidMinor != 3000-inv.TotalMinor-500 {
			t.Errorf("the second invoice took %d of credit, want %d", got.PaidMinor, 3000-inv.TotalMinor-500)
		}
	})
}

// TestPayOnlinePages: the client pays an invoice with the seller's
// gateway from the invoice page and comes back to it paid; the
// provider's webhook for the same payment counts nothing twice; a forged
// or misaddressed delivery gets 400; the seller configures its gateway
// on its page and the client may not.
func TestPayOnlinePages(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		inv := w.invoiceA("Online")
		seller, client := w.signIn("owner@a.test"), w.signIn("owner@clienta.test")
		page := client.get(fmt.Sprintf("/billing/invoices/%d", inv.ID))
		if !strings.Contains(page.body, `id="pay-testpay"`) {
			t.Fatal("the client's invoice page has no pay button")
		}
		if strings.Contains(seller.get(fmt.Sprintf("/billing/invoices/%d", inv.ID)).body, `id="pay-testpay"`) {
			t.Error("the seller is offered to pay its own invoice")
		}
		r := client.post(fmt.Sprintf("/billing/invoices/%d/pay", inv.ID), url.Values{"gateway": {"testpay"}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/billing/pay/go?attempt=") {
			t.Fatalf("pay = %d %s %.300s", r.status, r.location, r.body)
		}
		if other := seller.get(r.location); other.status != http.StatusNotFound {
			t.Errorf("the seller continuing the client's payment = %d", other.status)
		}
		goPage := client.get(r.location)
		const to = `content="2;url=https://pay.test/checkout/`
		i := strings.Index(goPage.body, to)
		if goPage.status != http.StatusOK || i < 0 || !strings.Contains(goPage.body, `id="go-on"`) {
			t.Fatalf("the page on to the provider = %d %.500s", goPage.status, goPage.body)
		}
		ref := goPage.body[i+len(to) : i+len(to)+strings.IndexByte(goPage.body[i+len(to):], '"')]
		var attempt int64
		w.h.W.Table("payment_attempts").Where("checkout_ref = ?", ref).Pluck("id", &attempt)
		ev := gatewaytest.Provider.Captured(ref)
		body, sig := gatewaytest.Sign("whsec_"+w.resA.Name, ev)
		post := func(path, sig string) int {
			req, _ := http.NewRequest(http.MethodPost, w.srv.URL+path, strings.NewReader(string(body)))
			req.Header.Set(gatewaytest.Header, sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		hook := fmt.Sprintf("/webhooks/testpay/%d", w.resA.ID)
		if _, err := w.pay.ConfigureGateway(context.Background(), identity.SystemCaller("test").Scope, "testpay", payment.GatewayInput{Enabled: true,
			Settings: map[string]string{"account": "acct_operator", "signing_secret": "whsec_operator"}}); err != nil {
			t.Fatal(err)
		}
		for name, st := range map[string]int{"forged": post(hook, strings.Repeat("ab", 32)), "another seller": post(fmt.Sprintf("/webhooks/testpay/%d", w.resB.ID), sig),
			"no seller": post("/webhooks/testpay/x", sig), "the operator's address": post("/webhooks/testpay", sig), "unknown gateway": post(fmt.Sprintf("/webhooks/bitcoin/%d", w.resA.ID), sig)} {
			if st != http.StatusBadRequest {
				t.Errorf("%s delivery = %d, want 400", name, st)
			}
		}
		if n := w.count("payment_events", "1 = 1"); n != 0 {
			t.Errorf("refused deliveries stored %d events", n)
		}
		if st := post(hook, sig); st != http.StatusOK {
			t.Fatalf("signed delivery = %d", st)
		}
		back := client.get(fmt.Sprintf("/billing/pay/return?attempt=%d", attempt))
		if back.status != http.StatusSeeOther || back.location != fmt.Sprintf("/billing/invoices/%d", inv.ID) {
			t.Fatalf("return = %d %s", back.status, back.location)
		}
		if page := client.get(back.location); !strings.Contains(page.body, "your payment was received") || !strings.Contains(page.body, `istatus-paid`) {
			t.Errorf("the client does not see its invoice paid")
		}
		w.pay.NewEventWorker("test", w.s.Deps.Log).RunOnce(context.Background())
		post(hook, sig) // again
		w.pay.NewEventWorker("test", w.s.Deps.Log).RunOnce(context.Background())
		if n := w.count("payments", "gateway = ?", "testpay"); n != 1 {
			t.Errorf("%d online payments recorded, want 1", n)
		}
		if got := w.invoiceNow(inv.ID); got.Status != billing.InvoiceStatusPaid {
			t.Errorf("invoice %s", got.Status)
		}
		// The gateway settings page.
		if r := client.get("/billing/gateways"); r.status != http.StatusForbidden {
			t.Errorf("client gateways page = %d", r.status)
		}
		gw := seller.get("/billing/gateways")
		if !strings.Contains(gw.body, `name="testpay.signing_secret"`) || strings.Contains(gw.body, "whsec_") || !strings.Contains(gw.body, fmt.Sprintf("/webhooks/testpay/%d", w.resA.ID)) {
			t.Errorf("the gateways page lacks its form or shows the secret")
		}
		if r := seller.post("/billing/gateways/testpay", url.Values{"enabled": {"on"}, "testpay.account": {""}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "is required") {
			t.Errorf("enabling without an account = %d", r.status)
		}
		if r := seller.post("/billing/gateways/testpay", url.Values{"enabled": {"on"}, "testpay.account": {"acct_new"}}); r.status != http.StatusSeeOther {
			t.Errorf("saving the gateway (the secret kept) = %d %.300s", r.status, r.body)
		}
	})
}

// TestBankTransfer: a seller gives its IBAN in its billing profile (a
// typo is refused); its open invoices then show how to pay by transfer:
// the account, an RF creditor reference with valid check digits and an
// EPC QR code; a paid invoice shows none.
func TestBankTransfer(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		seller, client := w.signIn("owner@a.test"), w.signIn("owner@clienta.test")
		profile := fmt.Sprintf("/tenants/%d/billing", w.resA.ID)
		form := url.Values{"legal_name": {"Alpha Hosting GmbH"}, "country": {"DE"}, "language": {"en"}, "iban": {"DE89 3704 0044 0532 0130 01"}, "bic": {"COBADEFFXXX"}, "tax_number": {"27/123/45678"}}
		if r := seller.post(profile, form); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "check digits") {
			t.Errorf("an IBAN with a typo = %d", r.status)
		}
		form.Set("iban", "de89 3704 0044 0532 0130 00")
		if r := seller.post(profile, form); r.status != http.StatusSeeOther {
			t.Fatalf("saving the IBAN = %d %.300s", r.status, r.body)
		}
		inv := w.invoiceA("Hosting, by transfer")
		page := client.get(fmt.Sprintf("/billing/invoices/%d", inv.ID)).body
		ref := between(page, `id="transfer-reference">`, "<")
		if !strings.Contains(page, "DE89 3704 0044 0532 0130 00") || !payment.ValidCreditorReference(ref) || !strings.Contains(page, `src="data:image/png;base64,`) {
			t.Errorf("the transfer box: reference %q, page %.200s", ref, page)
		}
		_, err := w.pay.RecordManual(context.Background(), w.resA.Scope(), payment.ManualInput{CustomerID: w.cliA.ID, Method: "bank_transfer",
			Amount: fmt.Sprintf("%d.%02d", inv.TotalMinor/100, inv.TotalMinor%100), Currency: "EUR", ReceivedOn: "2026-11-22", Reference: ref,
			Allocations: []payment.AllocationInput{{InvoiceID: inv.ID, Amount: fmt.Sprintf("%d.%02d", inv.TotalMinor/100, inv.TotalMinor%100)}}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(client.get(fmt.Sprintf("/billing/invoices/%d", inv.ID)).body, `id="bank-transfer"`) {
			t.Error("a paid invoice still asks for a transfer")
		}
	})
}

// TestSavedMethodPages: the client pays with "save my method" ticked; its
// billing profile lists the method, which it removes there.
func TestSavedMethodPages(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		inv := w.invoiceA("Hosting, card saved")
		client := w.signIn("owner@clienta.test")
		r := client.post(fmt.Sprintf("/billing/invoices/%d/pay", inv.ID), url.Values{"gateway": {"testpay"}, "save_method": {"on"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("pay = %d", r.status)
		}
		var a payment.Attempt
		w.h.W.Where("invoice_id = ?", inv.ID).Take(&a)
		gatewaytest.Provider.Approve(*a.CheckoutRef)
		if back := client.get(fmt.Sprintf("/billing/pay/return?attempt=%d", a.ID)); back.status != http.StatusSeeOther {
			t.Fatalf("return = %d", back.status)
		}
		profile := client.get(fmt.Sprintf("/tenants/%d/billing", w.cliA.ID)).body
		if !strings.Contains(profile, `id="payment-methods"`) || !strings.Contains(profile, "test card ending 4242") {
			t.Fatalf("the profile does not list the saved method")
		}
		var m payment.Method
		w.h.W.Where("customer_id = ?", w.cliA.ID).Take(&m)
		if r := client.post(fmt.Sprintf("/billing/methods/%d/forget", m.ID), nil); r.status != http.StatusSeeOther {
			t.Errorf("forget = %d", r.status)
		}
		if n := w.count("payment_methods", "customer_id = ?", w.cliA.ID); n != 0 {
			t.Error("the method is still saved")
		}
	})
}
