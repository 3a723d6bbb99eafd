package billing_test

import (
	"context"
	"testing"

	"faktura/billing"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/settings"
)

// TestReconcileInterleaving forces the interleaving that billed a period
// twice: reconcile reads the resources and the contracts; right then a
// second writer (another process) creates an account, opens its contract
// and bills it; the first reconcile's transaction then fails with a
// conflict and runs again. It must read the resources again in the same
// retried unit, close nothing, and count its report once; the new
// account's period is billed once, then and after the next runs.
func TestReconcileInterleaving(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		eins := f.client("Kunde Eins", "DE")
		f.liveAccount(eins, operator, "basic", "eins")
		zwei := f.client("Kunde Zwei", "DE")
		other := billing.New(f.h, f.clock, audit.New(f.h, f.clock), settings.NewStore(f.h, f.clock), billing.Options{RunChunk: 7, Log: quiet()})

		runs := 0
		f.s.SetHook(func(stage string) error {
			if stage != "reconcile.read" {
				return nil
			}
			if runs++; runs == 1 {
				return db.ErrRetry // as MariaDB's 1213 or a Galera certification failure would
			}
			return nil
		})
		f.h.OnRetry(func(int, error) {
			f.liveAccount(zwei, operator, "big", "zwei")
			sum, err := other.InvoiceRun(ctx, mustDay(t, "2026-11-02"))
			if err != nil || sum.Invoices != 2 {
				t.Errorf("the other process's run = %+v, %v; want the two accounts invoiced", sum, err)
			}
		})
		rep, err := f.s.Reconcile(ctx, f.inventory(), true)
		f.h.OnRetry(nil)
		f.s.SetHook(nil)
		if err != nil {
			t.Fatal(err)
		}
		if runs != 2 {
			t.Fatalf("the reconcile transaction ran %d times, want 2", runs)
		}
		if rep.Resources != 2 || rep.Contracts != 2 || rep.Opened != 0 || rep.Closed != 0 || len(rep.Drift) != 0 {
			t.Fatalf("report after the retry = %+v; want both accounts seen with their contracts, nothing opened or closed", rep)
		}
		for _, c := range append(f.contracts(eins), f.contracts(zwei)...) {
			if c.Status != billing.ContractActive {
				t.Fatalf("contract %d of live account %s is %s", c.ID, c.SubjectName, c.Status)
			}
		}
		for _, day := range []string{"2026-11-02", "2026-11-03", "2026-12-01"} {
			if _, err := f.s.Reconcile(ctx, f.inventory(), true); err != nil {
				t.Fatal(err)
			}
			f.run(day)
		}
		if n := f.billedOnce(); n != 4 {
			t.Fatalf("%d (subject, period) pairs billed, want 4: two accounts, November and December", n)
		}
	})
}

// TestSubjectPeriodOnce: a contract closed and opened again for the same
// live resource goes on where its billed periods end (no trial, no second
// setup fee), and the database itself refuses a second bill of a
// subject's period.
func TestSubjectPeriodOnce(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		c := f.client("Kunde", "DE")
		f.liveAccount(c, operator, "basic", "kunde")
		f.run("2026-11-02") // Nov 2 - Dec 2 plus the setup fee
		first := f.contracts(c)[0]
		if _, err := f.s.TerminateContract(f.ctx(), operator, first.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Set(nov2.AddDate(0, 0, 3))
		rep, err := f.s.Reconcile(ctx, f.inventory(), true)
		if err != nil || rep.Opened != 1 {
			t.Fatalf("reconcile = %+v, %v; want the live account's contract opened again", rep, err)
		}
		var again billing.Contract
		for _, k := range f.contracts(c) {
			if k.Status == billing.ContractActive {
				again = k
			}
		}
		if again.NextDue != "2026-12-02" || again.AnchorDay != 2 || again.SetupMinor != 0 {
			t.Fatalf("reopened contract: next due %s, anchor %d, setup %d; want 2026-12-02, 2, 0", again.NextDue, again.AnchorDay, again.SetupMinor)
		}
		for _, day := range []string{"2026-11-05", "2026-11-20", "2026-12-01"} {
			f.run(day)
		}
		if n := f.billedOnce(); n != 2 {
			t.Fatalf("%d periods billed, want November and December once each", n)
		}
		// The key the database enforces: the same subject and period again.
		err = f.h.W.Create(&billing.BilledPeriod{SubjectKey: "1:account:1", PeriodStart: "2026-11-02", PeriodEnd: "2026-12-02",
			ContractID: again.ID, CreatedAt: nov2}).Error
		if !db.IsUniqueViolation(err) {
			t.Fatalf("a second bill of account 1's November period: %v, want a unique violation", err)
		}
		var invoices int64
		f.h.W.Table("invoices").Where("kind = ?", billing.DocInvoice).Count(&invoices)
		if invoices != 2 {
			t.Fatalf("%d invoices, want 2", invoices)
		}
	})
}

// TestFullCreditFreesPeriod: a period credited in full is no longer
// billed, so a contract opened again for the resource on that period's
// first day bills it again (once).
func TestFullCreditFreesPeriod(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.set(billing.TerminationCredit.Name, settings.LevelPanel, "", "true")
		c := f.client("Kunde", "DE")
		f.liveAccount(c, operator, "big", "kunde")
		f.run("2026-11-02")
		first := f.contracts(c)[0]
		if _, err := f.s.TerminateContract(f.ctx(), operator, first.ID); err != nil {
			t.Fatal(err)
		}
		var credits int64
		f.h.W.Table("invoices").Where("kind = ?", billing.DocCreditNote).Count(&credits)
		if credits != 1 {
			t.Fatalf("%d credit notes, want the full one of the termination on the period's first day", credits)
		}
		if _, err := f.s.Reconcile(ctx, f.inventory(), true); err != nil {
			t.Fatal(err)
		}
		sum := f.run("2026-11-02")
		if sum.Invoices != 1 || sum.Periods != 1 {
			t.Fatalf("run after the full credit = %+v; want November billed again", sum)
		}
		var live int64
		f.h.W.Table("billed_periods").Count(&live)
		if live != 1 {
			t.Fatalf("%d billed periods recorded, want 1 (the credited one was released)", live)
		}
	})
}

// TestDeletedDraftFreesPeriod: a draft the run left (auto-finalize off)
// holds its periods; deleting it releases them, so the next run bills
// them again, once.
func TestDeletedDraftFreesPeriod(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		f.set(billing.AutoFinalize.Name, settings.LevelPanel, "", "false")
		c := f.client("Kunde", "DE")
		f.liveAccount(c, operator, "big", "kunde")
		if sum := f.run("2026-11-02"); sum.Drafts != 1 {
			t.Fatalf("run = %+v; want one draft", sum)
		}
		draft := f.invoices(c, billing.InvoiceFilter{})[0]
		if err := f.s.DeleteDraft(f.ctx(), operator, draft.ID); err != nil {
			t.Fatal(err)
		}
		var held int64
		f.h.W.Table("billed_periods").Count(&held)
		if held != 0 {
			t.Fatalf("%d billed periods after the draft was deleted, want 0", held)
		}
		if sum := f.run("2026-11-02"); sum.Invoices != 1 || sum.Periods != 1 || sum.Failed != 0 {
			t.Fatalf("run after the deletion = %+v; want November billed again", sum)
		}
		f.billedOnce()
	})
}
