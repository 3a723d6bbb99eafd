package billing_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"faktura/billing"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/outbox"
)

// published lists the outbox events of name, oldest first.
func published(t *testing.T, h *db.Handle, name string) []outbox.Record {
	t.Helper()
	var rows []struct {
		Aggregate string
		Payload   string
		Actor     string
	}
	if err := h.W.Table("outbox_events").Where("name = ?", name).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]outbox.Record, len(rows))
	for i, r := range rows {
		out[i] = outbox.Record{Meta: outbox.Meta{Name: name, Aggregate: r.Aggregate, Actor: r.Actor}, Payload: json.RawMessage(r.Payload)}
	}
	return out
}

func facts(t *testing.T, r outbox.Record) billing.DocumentFacts {
	t.Helper()
	var f billing.DocumentFacts
	if err := json.Unmarshal(r.Payload, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBillingEvents: finalizing (by the run and by hand), crediting and
// marking overdue each publish exactly one event in the transaction that
// makes the change, with the document's facts, ordered per invoice.
func TestBillingEvents(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		inv, manual := eventsOfFinalizing(t, f)
		eventsOfCreditAndOverdue(t, f, inv, manual)
	})
}

// eventsOfFinalizing: the run and a manual finalize (after approval)
// each publish one event; drafts and held invoices none. It returns the
// run's invoice and the manual one.
func eventsOfFinalizing(t *testing.T, f *fixture) (billing.Invoice, billing.Invoice) {
	f.account(f.de, operator, "basic", "kunde")
	f.run("2026-11-02")
	inv := f.invoices(f.de, billing.InvoiceFilter{})[0]
	evs := published(t, f.h, "billing.invoice_finalized")
	if len(evs) != 1 || evs[0].Aggregate != "invoice:"+itoa(int(inv.ID)) {
		t.Fatalf("after the run: %d finalized events %+v, want 1 for invoice %d", len(evs), evs, inv.ID)
	}
	got := facts(t, evs[0])
	want := billing.DocumentFacts{InvoiceID: inv.ID, Number: *inv.Number, Kind: billing.DocInvoice, SellerID: 1, CustomerID: f.de.TenantID,
		Subproject: inv.Subproject, Currency: "EUR", NetMinor: inv.NetMinor, TaxMinor: inv.TaxMinor, TotalMinor: inv.TotalMinor,
		IssueDate: inv.IssueDate, DueDate: inv.DueDate}
	if got != want {
		t.Errorf("payload = %+v, want %+v", got, want)
	}
	// The same day again finalizes nothing and publishes nothing.
	f.run("2026-11-02")
	if n := len(published(t, f.h, "billing.invoice_finalized")); n != 1 {
		t.Errorf("a re-run published: %d events", n)
	}

	// By hand: a draft publishes nothing; finalizing it publishes one.
	draft, err := f.s.CreateInvoice(f.ctx(), operator, billing.InvoiceInput{CustomerID: f.de.TenantID, Currency: "EUR",
		Lines: []billing.LineInput{{Description: "Setup work", Quantity: "2", UnitPrice: "40"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(published(t, f.h, "billing.invoice_finalized")); n != 1 {
		t.Errorf("a draft published: %d events", n)
	}
	if err := f.s.DeleteDraft(f.ctx(), operator, draft.ID); err != nil {
		t.Fatal(err)
	}
	manual, err := f.s.CreateInvoice(f.ctx(), operator, billing.InvoiceInput{CustomerID: f.de.TenantID, Currency: "EUR",
		Lines: []billing.LineInput{{Description: "Migration", Quantity: "1", UnitPrice: "50"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Manual lines are held for approval: not finalized, no event yet.
	if manual, err = f.s.Finalize(f.ctx(), operator, manual.ID); err != nil || manual.Status != billing.InvoiceStatusAwaitingApproval {
		t.Fatalf("finalize = %s, %v", manual.Status, err)
	}
	if n := len(published(t, f.h, "billing.invoice_finalized")); n != 1 {
		t.Errorf("a held invoice published: %d events", n)
	}
	if manual, err = f.s.Approve(f.ctx(), operator, manual.ID); err != nil {
		t.Fatal(err)
	}
	evs = published(t, f.h, "billing.invoice_finalized")
	if len(evs) != 2 || facts(t, evs[1]).InvoiceID != manual.ID || evs[1].Actor != "user:7" {
		t.Errorf("after a manual finalize: %+v", evs)
	}
	return inv, manual
}

// eventsOfCreditAndOverdue: a credit note publishes on the credited
// invoice's aggregate; going overdue publishes once, with an audit entry.
func eventsOfCreditAndOverdue(t *testing.T, f *fixture, inv, manual billing.Invoice) {
	// A credit note: one event on the credited invoice's aggregate.
	cn, err := f.s.CreditNote(f.ctx(), operator, inv.ID, billing.CreditNoteInput{Reason: "goodwill", Full: true})
	if err != nil {
		t.Fatal(err)
	}
	cevs := published(t, f.h, "billing.credit_note_finalized")
	if len(cevs) != 1 || cevs[0].Aggregate != "invoice:"+itoa(int(inv.ID)) {
		t.Fatalf("credit note events: %+v", cevs)
	}
	var cev billing.CreditNoteFinalized
	json.Unmarshal(cevs[0].Payload, &cev)
	if cev.InvoiceID != cn.ID || cev.CreditsID != inv.ID || cev.CreditsNumber != *inv.Number || cev.TotalMinor != inv.TotalMinor || cev.DueDate != "" {
		t.Errorf("credit note payload = %+v", cev)
	}

	// Overdue: the manual invoice is due in 14 days; the cancelled one
	// is not overdue. Once per invoice, with an audit entry.
	day := mustDay(t, "2026-12-01")
	if n, err := f.s.MarkOverdue(context.Background(), day); err != nil || n != 1 {
		t.Fatalf("MarkOverdue = %d, %v; want 1", n, err)
	}
	if n, err := f.s.MarkOverdue(context.Background(), day); err != nil || n != 0 {
		t.Fatalf("MarkOverdue again = %d, %v; want 0", n, err)
	}
	oevs := published(t, f.h, "billing.invoice_overdue")
	var oev billing.InvoiceOverdue
	if len(oevs) == 1 {
		json.Unmarshal(oevs[0].Payload, &oev)
	}
	if len(oevs) != 1 || oev.InvoiceID != manual.ID || oev.OpenMinor != manual.TotalMinor || oev.Day != "2026-12-01" {
		t.Fatalf("overdue events: %+v (%+v)", oevs, oev)
	}
	var audited int64
	f.h.W.Table("audit_log").Where("action = ? AND object_id = ?", "billing.invoice.overdue", itoa(int(manual.ID))).Count(&audited)
	if audited != 1 {
		t.Errorf("overdue audit entries = %d, want 1", audited)
	}
	if got := f.invoices(f.de, billing.InvoiceFilter{Status: "overdue"}); len(got) != 1 || got[0].ID != manual.ID {
		t.Errorf("overdue invoices = %+v", got)
	}
	f.deliver()
	f.checkInvariants()
}

// TestBillingEventsIssuedSeparately: where the run numbers in a second
// transaction (Galera), each invoice still publishes once, when numbered.
func TestBillingEventsIssuedSeparately(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		f.s = billing.New(f.h, f.clock, audit.New(f.h, f.clock), f.st, billing.Options{RunChunk: 2, Log: quiet(), Bus: f.bus, IssueSeparately: true})
		for i := range 5 {
			f.account(f.client("Kunde "+itoa(i), "DE"), operator, "basic", "k"+itoa(i))
		}
		sum := f.run("2026-11-02")
		if sum.Finalized != 5 {
			t.Fatalf("finalized %d, want 5", sum.Finalized)
		}
		if n := len(published(t, f.h, "billing.invoice_finalized")); n != 5 {
			t.Errorf("events = %d, want 5", n)
		}
		f.checkInvariants()
	})
}

// TestBillingEventRedelivery: a consumer that records its effect through
// the outbox applies it once, however often the event comes again.
func TestBillingEventRedelivery(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		if err := f.h.W.Exec("CREATE TABLE mails (invoice_id BIGINT NOT NULL)").Error; err != nil {
			t.Fatal(err)
		}
		bus := outbox.NewBus(f.h, f.clock)
		outbox.MustOn(bus, "test.mail", 10, func(ctx context.Context, _ outbox.Meta, ev billing.InvoiceFinalized) error {
			return f.h.Conn(ctx).Exec("INSERT INTO mails (invoice_id) VALUES (?)", ev.InvoiceID).Error
		})
		bus.Start()
		disp := outbox.NewDispatcher(bus, "consumer", outbox.Options{}, quiet())
		f.account(f.de, operator, "basic", "kunde")
		f.run("2026-11-02")
		deliver := func() {
			for {
				n, err := disp.RunOnce(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					return
				}
			}
		}
		deliver()
		// Every event again, as after a lost acknowledgement.
		f.h.W.Exec("UPDATE outbox_events SET status = 'pending', next_attempt_at = ?", nov2.Add(-time.Hour))
		deliver()
		var n int64
		f.h.W.Table("mails").Count(&n)
		if n != 1 {
			t.Errorf("mails = %d, want 1", n)
		}
	})
}
