package billing_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"faktura/billing"
	"faktura/panel/core/automation"
)

// TestDryRunListsWhatTheRunCreates: a dry run of the daily steps lists
// documents and changes nothing; the real run right after creates
// exactly those documents (parties, lines, amounts, taxes, status). Their
// numbers come from the same series, in the order the run's workers
// finish, so only the set of numbers is compared.
func TestDryRunListsWhatTheRunCreates(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		seedMixed(f)
		ctx := context.Background()
		r := automation.NewRunner(f.h, f.clock, "test", quiet())
		for _, st := range []automation.Step{billing.ReconcileStep{S: f.s, Inv: f.inventory()}, billing.InvoiceStep{S: f.s}, billing.OverdueStep{S: f.s}} {
			if err := r.Register(st); err != nil {
				t.Fatal(err)
			}
		}
		day := mustDay(t, "2026-11-02")
		tables := []string{"contracts", "invoices", "invoice_lines", "billed_periods", "number_series", "billing_run_claims", "automation_runs", "audit_log"}
		count := func() []int64 {
			var out []int64
			for _, tb := range tables {
				var n int64
				f.h.W.Table(tb).Count(&n)
				out = append(out, n)
			}
			return out
		}
		before := count()
		var last int64
		var dry []billing.Invoice
		sum, err := r.DryRun(ctx, day, func(ctx context.Context) error {
			var err error
			last, err = f.s.LastDocumentID(ctx)
			return err
		}, func(ctx context.Context) error {
			var err error
			dry, err = f.s.DocumentsAfter(ctx, last)
			return err
		})
		if err != nil || sum.Status != automation.RunOK || !sum.DryRun {
			t.Fatalf("dry run = %+v, %v", sum, err)
		}
		if after := count(); !slices.Equal(before, after) {
			t.Fatalf("the dry run changed rows of %v: %v -> %v", tables, before, after)
		}
		if len(dry) < 40 {
			t.Fatalf("the dry run lists %d documents", len(dry))
		}
		real, err := r.Run(ctx, day, automation.TriggerCLI)
		if err != nil || real.Status != automation.RunOK {
			t.Fatalf("real run = %+v, %v", real, err)
		}
		made, err := f.s.DocumentsAfter(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := render(made), render(dry); !slices.Equal(got, want) {
			t.Fatalf("the real run made:\n%s", diff(got, want))
		}
		if got, want := numbers(made), numbers(dry); !slices.Equal(got, want) {
			t.Fatalf("the real run took numbers %v, the dry run %v", got, want)
		}
		f.checkInvariants()
	})
}

// render is each document with its lines as one line of text, without
// id and number, sorted.
func render(docs []billing.Invoice) []string {
	var out []string
	for _, d := range docs {
		line := fmt.Sprintf("%s %d->%d %s %s sub=%s %s..%s due %s %d/%d/%d %s %s", d.Kind, d.SellerID, d.CustomerID, d.Status, d.IssueDate, d.Subproject,
			d.PeriodStart, d.PeriodEnd, d.DueDate, d.NetMinor, d.TaxMinor, d.TotalMinor, d.Taxes, d.Buyer)
		for _, l := range d.Lines {
			line += fmt.Sprintf(" [%s %s %s %d %s%s %s..%s]", l.Section, l.Kind, l.Description, l.NetMinor, l.TaxCategory, l.TaxRate, l.PeriodStart, l.PeriodEnd)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

func numbers(docs []billing.Invoice) []string {
	var out []string
	for _, d := range docs {
		if d.Number != nil {
			out = append(out, *d.Number)
		}
	}
	slices.Sort(out)
	return out
}
