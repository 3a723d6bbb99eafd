package payment_test

import (
	"testing"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

func manual(customer tenancy.Scope, amount string, allocs ...payment.AllocationInput) payment.ManualInput {
	return payment.ManualInput{CustomerID: customer.TenantID, Method: "bank_transfer", Amount: amount, Currency: "EUR",
		ReceivedOn: "2026-11-21", Reference: "SEPA 4711", Allocations: allocs}
}

func alloc(inv billing.Invoice, amount string) payment.AllocationInput {
	return payment.AllocationInput{InvoiceID: inv.ID, Amount: amount}
}

// TestOverpaymentBecomesCredit: 30.00 on a 20.00 invoice pays it (once:
// one InvoicePaid) and leaves 10.00 credit, which pays the next invoice
// when billing.apply_credit is on, and stays when it is off.
func TestOverpaymentBecomesCredit(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		first := f.invoice(operator, f.c, "20.00", "EUR")
		p, err := f.pay.RecordManual(f.ctx(), operator, manual(f.c, "30.00", alloc(first, "20.00")))
		f.must(err)
		if p.Status != payment.StatusSucceeded || p.UnallocatedMinor != 1000 || len(p.Allocations) != 1 {
			t.Fatalf("payment = %+v", p)
		}
		if inv := f.load(first.ID); inv.Status != billing.InvoiceStatusPaid || inv.PaidMinor != 2000 {
			t.Errorf("first invoice %s, paid %d", inv.Status, inv.PaidMinor)
		}
		if n := f.credit(operator, f.c, "EUR"); n != 1000 {
			t.Errorf("credit = %d, want 1000", n)
		}
		if n := f.count("outbox_events", "name = ? AND aggregate = ?", "billing.invoice_paid", "invoice:"+itoa(first.ID)); n != 1 {
			t.Errorf("InvoicePaid published %d times", n)
		}
		// The next invoice takes the credit when it is finalized.
		second := f.invoice(operator, f.c, "15.00", "EUR")
		f.deliver()
		if inv := f.load(second.ID); inv.Status != billing.InvoiceStatusPartiallyPaid || inv.PaidMinor != 1000 {
			t.Errorf("second invoice %s, paid %d; want 10.00 from credit", inv.Status, inv.PaidMinor)
		}
		if n := f.credit(operator, f.c, "EUR"); n != 0 {
			t.Errorf("credit after applying = %d", n)
		}
		f.deliver() // a redelivery applies nothing twice
		if inv := f.load(second.ID); inv.PaidMinor != 1000 {
			t.Errorf("second invoice paid %d after redelivery", inv.PaidMinor)
		}

		// With the setting off for the customer, credit waits.
		f.must(settings.Set(f.ctx(), f.st, payment.ApplyCredit, settings.LevelCustomer, itoa(f.other.TenantID), false))
		inv := f.invoice(operator, f.other, "20.00", "EUR")
		_, err = f.pay.RecordManual(f.ctx(), operator, manual(f.other, "25.00"))
		f.must(err)
		later := f.invoice(operator, f.other, "5.00", "EUR")
		f.deliver()
		if a, b := f.load(inv.ID), f.load(later.ID); a.PaidMinor != 0 || b.PaidMinor != 0 || f.credit(operator, f.other, "EUR") != 2500 {
			t.Errorf("with apply_credit off: paid %d and %d, credit %d", a.PaidMinor, b.PaidMinor, f.credit(operator, f.other, "EUR"))
		}
		// By hand, staff apply it: all that the invoice needs.
		got, err := f.pay.ApplyCredit(f.ctx(), operator, inv.ID, "")
		f.must(err)
		if got.Status != billing.InvoiceStatusPaid || f.credit(operator, f.other, "EUR") != 500 {
			t.Errorf("applied by hand: %s, credit %d", got.Status, f.credit(operator, f.other, "EUR"))
		}
		if _, err := f.pay.ApplyCredit(f.ctx(), operator, later.ID, "6.00"); !field(err, "amount") {
			t.Errorf("applying more than the credit: %v", err)
		}
	})
}

// TestRefundReopens: a refund of a paid invoice's payment takes its
// credit first, then its allocation, and reopens the invoice.
func TestRefundReopens(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		inv := f.invoice(operator, f.c, "20.00", "EUR")
		p, err := f.pay.RecordManual(f.ctx(), operator, manual(f.c, "25.00", alloc(inv, "20.00")))
		f.must(err)
		p, err = f.pay.Refund(f.ctx(), operator, p.ID, payment.RefundInput{Amount: "8.00", Reason: "overpaid by mistake"})
		f.must(err)
		if p.Status != payment.StatusPartlyRefunds || p.RefundedMinor != 800 || f.credit(operator, f.c, "EUR") != 0 {
			t.Errorf("after 8.00 back: %s refunded %d credit %d", p.Status, p.RefundedMinor, f.credit(operator, f.c, "EUR"))
		}
		if got := f.load(inv.ID); got.Status != billing.InvoiceStatusPartiallyPaid || got.PaidMinor != 1700 {
			t.Errorf("invoice after a partial refund: %s paid %d", got.Status, got.PaidMinor)
		}
		if _, err := f.pay.Refund(f.ctx(), operator, p.ID, payment.RefundInput{Amount: "17.01", Reason: "too much"}); !field(err, "amount") {
			t.Errorf("refund above what is left: %v", err)
		}
		if _, err := f.pay.Refund(f.ctx(), operator, p.ID, payment.RefundInput{Reason: " "}); !field(err, "reason") {
			t.Errorf("refund without a reason: %v", err)
		}
		p, err = f.pay.Refund(f.ctx(), operator, p.ID, payment.RefundInput{Reason: "contract cancelled"})
		f.must(err)
		if got := f.load(inv.ID); p.Status != payment.StatusRefunded || got.Status != billing.InvoiceStatusFinalized || got.PaidMinor != 0 {
			t.Errorf("after the full refund: payment %s, invoice %s paid %d", p.Status, got.Status, got.PaidMinor)
		}
		if _, err := f.pay.Refund(f.ctx(), operator, p.ID, payment.RefundInput{Reason: "again"}); !field(err, "payment") {
			t.Errorf("refund of a refunded payment: %v", err)
		}
		if n := f.count("payment_refunds", "payment_id = ?", p.ID); n != 2 {
			t.Errorf("%d refunds recorded, want 2", n)
		}
	})
}

// TestUnallocateMovesToCredit: an allocation taken back becomes credit,
// which then pays another invoice.
func TestUnallocateMovesToCredit(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.must(settings.Set(f.ctx(), f.st, payment.ApplyCredit, settings.LevelPanel, "", false))
		a, b := f.invoice(operator, f.c, "20.00", "EUR"), f.invoice(operator, f.c, "12.00", "EUR")
		p, err := f.pay.RecordManual(f.ctx(), operator, manual(f.c, "20.00", alloc(a, "20.00")))
		f.must(err)
		p, err = f.pay.Unallocate(f.ctx(), operator, p.ID, a.ID, "12.00")
		f.must(err)
		if got := f.load(a.ID); got.Status != billing.InvoiceStatusPartiallyPaid || p.UnallocatedMinor != 1200 {
			t.Errorf("after unallocating: invoice %s, payment free %d", got.Status, p.UnallocatedMinor)
		}
		if _, err := f.pay.ApplyCredit(f.ctx(), operator, b.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := f.load(b.ID); got.Status != billing.InvoiceStatusPaid {
			t.Errorf("the moved money did not pay invoice b: %s", got.Status)
		}
		if _, err := f.pay.Unallocate(f.ctx(), operator, p.ID, a.ID, "9.00"); !field(err, "amount") {
			t.Errorf("unallocating more than allocated: %v", err)
		}
	})
}

// TestBadPayments: each bad input is a problem with its field, and
// nothing is written.
func TestBadPayments(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		inv := f.invoice(operator, f.c, "20.00", "EUR")
		usd := f.invoice(operator, f.c, "20.00", "USD")
		others := f.invoice(operator, f.other, "20.00", "EUR")
		rcInv := f.invoice(f.r, f.rc, "20.00", "EUR")
		with := func(mod func(*payment.ManualInput)) payment.ManualInput {
			in := manual(f.c, "20.00", alloc(inv, "20.00"))
			mod(&in)
			return in
		}
		cases := []struct {
			name  string
			scope tenancy.Scope
			in    payment.ManualInput
			field string
		}{
			{"unknown method", operator, with(func(in *payment.ManualInput) { in.Method = "barter" }), "method"},
			{"unknown currency", operator, with(func(in *payment.ManualInput) { in.Currency = "EURO" }), "currency"},
			{"zero", operator, with(func(in *payment.ManualInput) { in.Amount, in.Allocations = "0", nil }), "amount"},
			{"negative", operator, with(func(in *payment.ManualInput) { in.Amount, in.Allocations = "-5.00", nil }), "amount"},
			{"three decimals", operator, with(func(in *payment.ManualInput) { in.Amount = "20.001" }), "amount"},
			{"future", operator, with(func(in *payment.ManualInput) { in.ReceivedOn = "2026-12-24" }), "received_on"},
			{"no date", operator, with(func(in *payment.ManualInput) { in.ReceivedOn = "" }), "received_on"},
			{"allocations above the payment", operator, with(func(in *payment.ManualInput) { in.Amount = "10.00" }), "allocations"},
			{"allocation above the open amount", operator, with(func(in *payment.ManualInput) { in.Amount, in.Allocations[0].Amount = "30.00", "20.01" }), "amount"},
			{"one invoice twice", operator, with(func(in *payment.ManualInput) {
				in.Amount, in.Allocations = "30.00", []payment.AllocationInput{alloc(inv, "10.00"), alloc(inv, "10.00")}
			}), "allocations.1.invoice_id"},
			{"invoice in another currency", operator, with(func(in *payment.ManualInput) { in.Allocations[0].InvoiceID = usd.ID }), "currency"},
			{"another customer's invoice", operator, with(func(in *payment.ManualInput) { in.Allocations[0].InvoiceID = others.ID }), "invoice_id"},
			{"another seller's invoice", operator, with(func(in *payment.ManualInput) { in.Allocations[0].InvoiceID = rcInv.ID }), "invoice_id"},
			{"not the seller's customer", operator, with(func(in *payment.ManualInput) { in.CustomerID = f.rc.TenantID; in.Allocations = nil }), "customer_id"},
			{"a reseller recording for the operator's client", f.r, with(func(in *payment.ManualInput) { in.Allocations = nil }), "customer_id"},
		}
		for _, tc := range cases {
			if _, err := f.pay.RecordManual(f.ctx(), tc.scope, tc.in); !field(err, tc.field) {
				t.Errorf("%s: error = %v, want a problem with %s", tc.name, err, tc.field)
			}
		}
		if n := f.count("payments", "1 = 1") + f.count("payment_allocations", "1 = 1") + f.count("credit_balances", "1 = 1"); n != 0 {
			t.Errorf("bad input wrote %d rows", n)
		}
		if got := f.load(inv.ID); got.PaidMinor != 0 || got.Status != billing.InvoiceStatusFinalized {
			t.Errorf("bad input changed the invoice: %s paid %d", got.Status, got.PaidMinor)
		}
	})
}

// TestCreditNoteOnPaidInvoice: a credit note on a paid invoice moves
// what is no longer due back to the customer's credit; a full one
// cancels the invoice and all its money becomes credit.
func TestCreditNoteOnPaidInvoice(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.must(settings.Set(f.ctx(), f.st, payment.ApplyCredit, settings.LevelPanel, "", false))
		inv := f.invoice(operator, f.c, "20.00", "EUR")
		_, err := f.pay.RecordManual(f.ctx(), operator, manual(f.c, "20.00", alloc(inv, "20.00")))
		f.must(err)
		lines := f.load(inv.ID).Lines
		_, err = f.bill.CreditNote(f.ctx(), operator, inv.ID, billing.CreditNoteInput{Reason: "discount",
			Lines: []billing.CreditItem{{LineID: lines[0].ID, AmountMinor: 500}}})
		f.must(err)
		if got := f.load(inv.ID); got.Status != billing.InvoiceStatusPaid || got.PaidMinor != 1500 || f.credit(operator, f.c, "EUR") != 500 {
			t.Errorf("after a 5.00 credit note: %s paid %d, credit %d", got.Status, got.PaidMinor, f.credit(operator, f.c, "EUR"))
		}
		_, err = f.bill.CreditNote(f.ctx(), operator, inv.ID, billing.CreditNoteInput{Full: true, Reason: "cancelled"})
		f.must(err)
		if got := f.load(inv.ID); got.Status != billing.InvoiceStatusCancelled || got.PaidMinor != 0 || f.credit(operator, f.c, "EUR") != 2000 {
			t.Errorf("after the full credit note: %s paid %d, credit %d", got.Status, got.PaidMinor, f.credit(operator, f.c, "EUR"))
		}
	})
}

// TestRefundCancelsInvoice: a refund of a whole payment that undoes the
// order cancels its invoice with a credit note, and the money goes back;
// with part of the payment it is refused.
func TestRefundCancelsInvoice(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		inv := f.invoice(operator, f.c, "20.00", "EUR")
		p, err := f.pay.RecordManual(f.ctx(), operator, manual(f.c, "20.00", alloc(inv, "20.00")))
		f.must(err)
		if _, err := f.pay.Refund(f.ctx(), operator, p.ID, payment.RefundInput{Amount: "5.00", Reason: "x", CancelInvoices: true}); !field(err, "cancel_invoices") {
			t.Errorf("cancelling with a part refund: %v", err)
		}
		p, err = f.pay.Refund(f.ctx(), operator, p.ID, payment.RefundInput{Reason: "order cancelled", CancelInvoices: true})
		f.must(err)
		got := f.load(inv.ID)
		if p.Status != payment.StatusRefunded || got.Status != billing.InvoiceStatusCancelled || got.PaidMinor != 0 || f.credit(operator, f.c, "EUR") != 0 {
			t.Errorf("after the refund: payment %s, invoice %s paid %d, credit %d", p.Status, got.Status, got.PaidMinor, f.credit(operator, f.c, "EUR"))
		}
		if n := f.count("invoices", "kind = ? AND credits_id = ?", billing.DocCreditNote, inv.ID); n != 1 {
			t.Errorf("%d credit notes on the invoice, want 1", n)
		}
	})
}
