package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/settings"
	"faktura/provisioning"
)

func TestFinalizedInvoiceIsFrozen(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		inv := frozenRefusesChanges(t, f)
		frozenTakesCreditNotes(t, f, inv)
	})
}

// frozenRefusesChanges: the service and the database refuse every change
// to a finalized invoice but its payment status; it returns the invoice.
func frozenRefusesChanges(t *testing.T, f *fixture) billing.Invoice {
	f.account(f.de, operator, "basic", "kunde")
	f.run("2026-11-02")
	inv := f.invoices(f.de, billing.InvoiceFilter{})[0]
	ctx := f.ctx()

	// Through the service: every change path refuses with ErrFrozen.
	if _, err := f.s.AddLine(ctx, operator, inv.ID, billing.LineInput{Description: "extra", Quantity: "1", UnitPrice: "5"}); !errors.Is(err, billing.ErrFrozen) {
		t.Errorf("AddLine on a finalized invoice: %v, want ErrFrozen", err)
	}
	if err := f.s.DeleteDraft(ctx, operator, inv.ID); !errors.Is(err, billing.ErrFrozen) {
		t.Errorf("DeleteDraft on a finalized invoice: %v, want ErrFrozen", err)
	}
	if _, err := f.s.Finalize(ctx, operator, inv.ID); !errors.Is(err, billing.ErrFrozen) {
		t.Errorf("Finalize again: %v, want ErrFrozen", err)
	}
	// Straight SQL: the database refuses too.
	for _, sql := range []string{
		"UPDATE invoices SET total_minor = 1 WHERE id = ?",
		"UPDATE invoices SET number = 'X-1' WHERE id = ?",
		"UPDATE invoices SET buyer = '{}' WHERE id = ?",
		"UPDATE invoices SET due_date = '2030-01-01' WHERE id = ?",
		"DELETE FROM invoices WHERE id = ?",
		"UPDATE invoice_lines SET net_minor = 1 WHERE invoice_id = ?",
		"DELETE FROM invoice_lines WHERE invoice_id = ?",
	} {
		if err := f.h.W.Exec(sql, inv.ID).Error; err == nil || !strings.Contains(err.Error(), "invoice is finalized") {
			t.Errorf("%s: err = %v, want the trigger's refusal", sql, err)
		}
	}
	err := f.h.W.Exec(`INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity, unit_price, net_minor, tax_category, tax_rate, created_at)
		VALUES (?, 9, 'manual', 'sneaked', '1', '1', 100, 'S', '19', ?)`, inv.ID, f.clock.Now().Add(1e9)).Error
	if err == nil || !strings.Contains(err.Error(), "invoice is finalized") {
		t.Errorf("a line added later: err = %v, want the trigger's refusal", err)
	}
	after := f.invoices(f.de, billing.InvoiceFilter{})[0]
	if after.TotalMinor != inv.TotalMinor || *after.Number != *inv.Number || len(after.Lines) != len(inv.Lines) {
		t.Fatalf("finalized invoice changed: %+v", after)
	}
	// Payment state may still move (the trigger allows status).
	if err := f.h.W.Exec("UPDATE invoices SET status = 'overdue' WHERE id = ?", inv.ID).Error; err != nil {
		t.Errorf("status change refused: %v", err)
	}
	return inv
}

// frozenTakesCreditNotes: corrections go through credit notes, partial
// and full, only by the seller.
func frozenTakesCreditNotes(t *testing.T, f *fixture, inv billing.Invoice) {
	ctx := f.ctx()
	// A partial credit note: its own series, a reference, the same tax.
	hosting := inv.Lines[1]
	cn, err := f.s.CreditNote(ctx, operator, inv.ID, billing.CreditNoteInput{Reason: "goodwill", Lines: []billing.CreditItem{{LineID: hosting.ID, AmountMinor: 400}}})
	if err != nil {
		t.Fatal(err)
	}
	if *cn.Number != "CN-2026-000001" || cn.Kind != billing.DocCreditNote || *cn.CreditsID != inv.ID || cn.NetMinor != 400 || cn.TaxMinor != 76 || cn.Buyer != inv.Buyer {
		t.Errorf("credit note = %s kind %s credits %v net %d tax %d", *cn.Number, cn.Kind, cn.CreditsID, cn.NetMinor, cn.TaxMinor)
	}
	// Over-crediting a line is refused and writes nothing.
	_, err = f.s.CreditNote(ctx, operator, inv.ID, billing.CreditNoteInput{Reason: "too much", Lines: []billing.CreditItem{{LineID: hosting.ID, AmountMinor: 601}}})
	var v *core.ValidationError
	if !errors.As(err, &v) || v.Fields["lines.0.amount_minor"] == "" {
		t.Errorf("over-credit: %v, want a field error", err)
	}
	// The rest in full cancels the invoice.
	if _, err := f.s.CreditNote(ctx, operator, inv.ID, billing.CreditNoteInput{Reason: "cancelled order", Full: true}); err != nil {
		t.Fatal(err)
	}
	final := f.invoices(f.de, billing.InvoiceFilter{Kind: billing.DocInvoice})[0]
	if final.Status != billing.InvoiceStatusCancelled || final.CreditedMinor != final.TotalMinor {
		t.Errorf("after a full credit: %s, credited %d of %d", final.Status, final.CreditedMinor, final.TotalMinor)
	}
	cns := f.invoices(f.de, billing.InvoiceFilter{Kind: billing.DocCreditNote})
	if len(cns) != 2 || *cns[1].Number != "CN-2026-000002" || cns[0].TotalMinor+cns[1].TotalMinor != final.TotalMinor {
		t.Errorf("credit notes = %d, want two summing to the invoice", len(cns))
	}
	if _, err := f.s.CreditNote(ctx, operator, inv.ID, billing.CreditNoteInput{Reason: "again", Full: true}); err == nil {
		t.Error("a cancelled invoice took another credit note")
	}
	// The client may not credit its own invoice: it is not the seller.
	if _, err := f.s.CreditNote(ctx, f.de, inv.ID, billing.CreditNoteInput{Reason: "x", Full: true}); !errors.Is(err, core.ErrForbidden) {
		t.Errorf("client credit note: %v, want forbidden", err)
	}
	f.checkInvariants()
}

func TestApprovalRulesAndFourEyes(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		f.set(billing.FourEyes.Name, settings.LevelSeller, "1", "true")
		small, big := f.client("Small", "DE"), f.client("Big", "DE")
		f.set(billing.ApprovalThreshold.Name, settings.LevelCustomer, itoa(int(big.TenantID)), "2000")
		f.account(small, operator, "basic", "small") // 15.00 net, 17.85 gross
		f.account(big, operator, "big", "big")       // 30.00 net: over the threshold
		sum := f.run("2026-11-02")
		if sum.Finalized != 1 || sum.Held != 1 {
			t.Fatalf("run = %+v, want one finalized, one held", sum)
		}
		held := f.invoices(big, billing.InvoiceFilter{})[0]
		if held.Status != billing.InvoiceStatusAwaitingApproval || held.Number != nil || held.HoldReason != "amount" {
			t.Fatalf("big invoice = %s number %v reason %q", held.Status, held.Number, held.HoldReason)
		}
		approved, err := f.s.Approve(f.ctx(), operator, held.ID)
		if err != nil || approved.Status != billing.InvoiceStatusFinalized || *approved.Number != "INV-2026-000002" || approved.ApprovedBy != "user:7" {
			t.Fatalf("approve = %+v, %v", approved, err)
		}
		// A manual invoice, made by user 7, held for its manual lines: user
		// 7 may not approve it, user 8 may.
		inv, err := f.s.CreateInvoice(f.ctx(), operator, billing.InvoiceInput{CustomerID: small.TenantID, Currency: "EUR",
			Lines: []billing.LineInput{{Description: "Migration service", Quantity: "2.5", UnitPrice: "40.004"}}})
		if err != nil {
			t.Fatal(err)
		}
		if inv.Status != billing.InvoiceStatusDraft || inv.NetMinor != 10001 || inv.TaxMinor != 1900 || inv.DueDate != "2026-11-16" {
			t.Fatalf("manual draft = %s net %d tax %d due %s; want draft 100.01, 19.00, due in 14 days", inv.Status, inv.NetMinor, inv.TaxMinor, inv.DueDate)
		}
		if _, err := f.s.AddLine(f.ctx(), operator, inv.ID, billing.LineInput{Description: "Domain transfer", UnitPrice: "9.99"}); err != nil {
			t.Fatal(err)
		}
		inv, err = f.s.Finalize(f.ctx(), operator, inv.ID)
		if err != nil || inv.Status != billing.InvoiceStatusAwaitingApproval || inv.HoldReason != "manual_lines" {
			t.Fatalf("finalize manual = %s %q, %v", inv.Status, inv.HoldReason, err)
		}
		if _, err := f.s.Approve(f.ctx(), operator, inv.ID); !errors.Is(err, core.ErrForbidden) || !strings.Contains(err.Error(), "four-eyes") {
			t.Fatalf("self-approval: %v, want the four-eyes refusal", err)
		}
		other := audit.WithActor(context.Background(), audit.Actor{UserID: 8, Label: "second@op.test"})
		inv, err = f.s.Approve(other, operator, inv.ID)
		if err != nil || *inv.Number != "INV-2026-000003" || inv.TotalMinor != 10001+999+2090 {
			t.Fatalf("approval by another user = %+v, %v", inv, err)
		}
		f.checkInvariants()
	})
}

func TestPackageChangeProration(t *testing.T) {
	cases := []struct {
		name    string
		upgrade string // billing.proration_upgrade
		down    string // billing.proration_downgrade
		to      string
		// Nov 2 -> Dec 2 is 30 days; the change lands on Nov 17 (Berlin),
		// 15 days left: half the difference.
		invoicesAfter int   // invoices issued by the change itself
		creditNotes   int   // credit notes issued by the change
		nextExtra     int64 // prorated amount on the Nov 18 run's invoice
		nextUnit      int64 // the new recurring price on that invoice
	}{
		{"upgrade invoiced now", billing.ProrateNow, billing.ProrateCreditNote, "big", 1, 0, 0, 3000},
		{"upgrade on the next invoice", billing.ProrateNextInvoice, billing.ProrateCreditNote, "big", 0, 0, 1000, 3000},
		{"downgrade by credit note", billing.ProrateNow, billing.ProrateCreditNote, "basic", 0, 1, 0, 1000},
		{"downgrade on the next invoice", billing.ProrateNow, billing.ProrateNextInvoice, "basic", 0, 0, -1000, 1000},
		{"downgrade without credit", billing.ProrateNow, billing.ProrateNone, "basic", 0, 0, 0, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachFixture(t, func(t *testing.T, f *fixture) {
				f.set(billing.ProrationUpgrade.Name, settings.LevelPanel, "", tc.upgrade)
				f.set(billing.ProrationDowngrade.Name, settings.LevelPanel, "", tc.down)
				from := map[string]string{"big": "basic", "basic": "big"}[tc.to]
				acc := f.account(f.de, operator, from, "kunde")
				f.run("2026-11-02")
				before := len(f.invoices(f.de, billing.InvoiceFilter{}))
				f.clock.Set(nov2.AddDate(0, 0, 15)) // Nov 17, 09:00 UTC
				f.publish(provisioning.AccountPackageChanged{AccountRef: acc, FromPackage: from, ToPackage: tc.to})
				docs := f.invoices(f.de, billing.InvoiceFilter{})
				var invs, cns []billing.Invoice
				for _, d := range docs[before:] {
					if d.Kind == billing.DocCreditNote {
						cns = append(cns, d)
					} else {
						invs = append(invs, d)
					}
				}
				if len(invs) != tc.invoicesAfter || len(cns) != tc.creditNotes {
					t.Fatalf("the change issued %d invoices and %d credit notes, want %d and %d", len(invs), len(cns), tc.invoicesAfter, tc.creditNotes)
				}
				if len(invs) == 1 && (invs[0].NetMinor != 1000 || invs[0].Lines[0].PeriodStart != "2026-11-17" || invs[0].Lines[0].PeriodEnd != "2026-12-02") {
					t.Errorf("upgrade invoice: net %d, lines %+v; want 10.00 for Nov 17 - Dec 2", invs[0].NetMinor, invs[0].Lines)
				}
				if len(cns) == 1 && (cns[0].NetMinor != 1000 || *cns[0].CreditsID != docs[0].ID) {
					t.Errorf("downgrade credit note: net %d credits %v; want 10.00 against the first invoice", cns[0].NetMinor, cns[0].CreditsID)
				}
				f.run("2026-11-18")
				next := f.invoices(f.de, billing.InvoiceFilter{Kind: billing.DocInvoice})
				last := next[len(next)-1]
				var extra, unit int64
				for _, l := range last.Lines {
					switch l.Kind {
					case billing.LineRecurring:
						unit = l.NetMinor
					case billing.LineProration, billing.LineCredit:
						extra += l.NetMinor
					}
				}
				if extra != tc.nextExtra || unit != tc.nextUnit {
					t.Errorf("next invoice: prorated %d, recurring %d; want %d and %d", extra, unit, tc.nextExtra, tc.nextUnit)
				}
				f.checkInvariants()
			})
		})
	}
}

func TestTerminationCredit(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		f.set(billing.TerminationCredit.Name, settings.LevelPanel, "", "true")
		acc := f.account(f.de, operator, "basic", "kunde")
		f.run("2026-11-02")
		f.clock.Set(nov2.AddDate(0, 0, 20)) // Nov 22: 10 of 30 days unused
		f.publish(provisioning.AccountTerminated{AccountRef: acc})
		cns := f.invoices(f.de, billing.InvoiceFilter{Kind: billing.DocCreditNote})
		if len(cns) != 1 || cns[0].NetMinor != 333 {
			t.Fatalf("termination credit notes = %+v, want one of 3.33", cns)
		}
		if c := f.contracts(f.de)[0]; c.Status != billing.ContractTerminated || c.EndedOn != "2026-11-22" {
			t.Fatalf("contract after termination = %s ended %s", c.Status, c.EndedOn)
		}
		if sum := f.run("2026-11-30"); sum.Invoices != 0 {
			t.Fatalf("a terminated contract was invoiced: %+v", sum)
		}
	})
}

// TestDisplay is the table of how lists show a document: a finalized
// credit note is issued, negative and has no due date; an invoice keeps
// its status, total and due date.
func TestDisplay(t *testing.T) {
	for _, c := range []struct {
		kind   string
		status billing.InvoiceStatus
		shown  string
		total  int64
		payBy  string
	}{
		{billing.DocInvoice, billing.InvoiceStatusFinalized, "finalized", 1190, "2026-11-16"},
		{billing.DocInvoice, billing.InvoiceStatusOverdue, "overdue", 1190, "2026-11-16"},
		{billing.DocInvoice, billing.InvoiceStatusDraft, "draft", 1190, "2026-11-16"},
		{billing.DocCreditNote, billing.InvoiceStatusFinalized, "issued", -1190, ""},
	} {
		inv := billing.Invoice{Kind: c.kind, Status: c.status, TotalMinor: 1190, DueDate: "2026-11-16"}
		if inv.ShownStatus() != c.shown || inv.SignedTotal() != c.total || inv.PayBy() != c.payBy {
			t.Errorf("%s %s: shown %q total %d pay by %q", c.kind, c.status, inv.ShownStatus(), inv.SignedTotal(), inv.PayBy())
		}
	}
}

// TestBalances: what the seller is owed and what a customer owes, per
// currency: open invoices less credit notes, the overdue part, and the
// documents awaiting approval; drafts, held and credited-in-full
// documents owe nothing.
func TestBalances(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		a, b := f.client("Alpha", "DE"), f.client("Beta", "DE")
		f.account(a, operator, "basic", "alpha") // 15.00 net, 17.85 gross
		f.account(b, operator, "big", "beta")    // 30.00 net, 35.70 gross
		f.run("2026-11-02")
		invA := f.invoices(a, billing.InvoiceFilter{})[0]
		if _, err := f.s.CreditNote(f.ctx(), operator, invA.ID, billing.CreditNoteInput{Reason: "goodwill",
			Lines: []billing.CreditItem{{LineID: invA.Lines[0].ID, AmountMinor: 100}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.MarkOverdue(ctx, mustDay(t, "2026-11-17")); err != nil {
			t.Fatal(err)
		}
		held, err := f.s.CreateInvoice(f.ctx(), operator, billing.InvoiceInput{CustomerID: a.TenantID, Currency: "EUR",
			Lines: []billing.LineInput{{Description: "Migration", UnitPrice: "50"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Finalize(f.ctx(), operator, held.ID); err != nil { // held: manual lines
			t.Fatal(err)
		}
		rec, awaiting, err := f.s.Receivables(ctx, operator)
		if err != nil {
			t.Fatal(err)
		}
		var eur billing.Balance
		for _, bl := range rec {
			if bl.Currency == "EUR" {
				eur = bl
			}
		}
		// Both invoices are overdue on Nov 17 (due Nov 16); Alpha's less
		// its credit note (1.00 net, 1.19 gross).
		want := invA.TotalMinor - 119 + f.invoices(b, billing.InvoiceFilter{})[0].TotalMinor
		if eur.OpenMinor != want || eur.OverdueMinor != want || eur.Open != 2 || awaiting != 1 {
			t.Errorf("receivables = %+v, awaiting %d; want %d open and overdue on 2 invoices, 1 awaiting", rec, awaiting, want)
		}
		pay, err := f.s.Payables(ctx, a)
		if err != nil || len(pay) != 1 || pay[0].OpenMinor != invA.TotalMinor-119 {
			t.Errorf("Alpha's payables = %+v, %v", pay, err)
		}
		if rec, _, _ := f.s.Receivables(ctx, a); len(rec) != 0 {
			t.Errorf("a client has receivables: %+v", rec)
		}
		f.checkInvariants()
	})
}
