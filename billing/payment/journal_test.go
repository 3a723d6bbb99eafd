package payment_test

import (
	"context"
	"testing"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
)

// TestBackfillJournal: a database whose documents and payments predate
// the journal (its entries removed, as before the upgrade) gets them
// booked as they stand (invoices and a credit note, a payment partly
// allocated and partly refunded, credit applied to a second invoice, a
// payment by hand in cash) and the journal agrees with the books again;
// a second run books nothing.
func TestBackfillJournal(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		ctx := f.ctx()
		first := f.invoice(operator, f.c, "20.00", "EUR")
		p, err := f.pay.RecordManual(ctx, operator, manual(f.c, "50.00", alloc(first, "20.00")))
		f.must(err)
		_, err = f.pay.Refund(ctx, operator, p.ID, payment.RefundInput{Amount: "5.00", Reason: "overpaid"})
		f.must(err)
		second := f.invoice(operator, f.c, "15.00", "EUR") // the credit pays it
		_, err = f.bill.CreditNote(ctx, operator, second.ID, billing.CreditNoteInput{Full: true, Reason: "cancelled order"})
		f.must(err)
		cash := manual(f.other, "7.00")
		cash.Method = "cash"
		_, err = f.pay.RecordManual(ctx, operator, cash)
		f.must(err)
		f.deliver()
		var before int64
		h.W.Table("journal_entries").Count(&before)

		// Back to before the journal.
		for _, tr := range []string{"journal_lines_no_delete", "journal_entries_no_delete"} {
			f.must(h.W.Exec("DROP TRIGGER " + tr).Error)
		}
		f.must(h.W.Exec("DELETE FROM journal_lines").Error)
		f.must(h.W.Exec("DELETE FROM journal_entries").Error)
		if err := f.bill.CheckJournal(context.Background()); err == nil {
			t.Fatal("the emptied journal agrees with the books")
		}

		docs, pays, err := f.pay.BackfillJournal(context.Background())
		f.must(err)
		if docs != 3 || pays != 2 {
			t.Errorf("backfill booked %d documents and %d payments, want 3 and 2", docs, pays)
		}
		if err := f.bill.CheckJournal(context.Background()); err != nil {
			t.Fatal(err)
		}
		var cashLines int64
		h.W.Table("journal_lines").Where("role = ? AND gateway = ?", billing.RoleCash, "manual:cash").Count(&cashLines)
		if cashLines != 1 {
			t.Errorf("%d cash lines through the till, want 1", cashLines)
		}
		docs, pays, err = f.pay.BackfillJournal(context.Background())
		if err != nil || docs != 0 || pays != 0 {
			t.Errorf("second backfill: %d documents, %d payments, %v", docs, pays, err)
		}
		var after int64
		h.W.Table("journal_entries").Count(&after)
		if after > before {
			t.Errorf("backfill wrote %d entries, the history had %d", after, before)
		}
	})
}
