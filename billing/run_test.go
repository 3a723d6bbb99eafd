package billing_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"faktura/billing"
	"faktura/panel/core/automation"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

// Nov 2, 2026, 09:00 UTC (10:00 in Berlin).
var nov2 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func TestEventsOpenContracts(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		acc := f.account(f.de, operator, "basic", "kunde")
		f.publish(provisioning.DomainAdded{AccountRef: acc, DomainID: 101, Name: "kunde.de"},
			provisioning.DomainAdded{AccountRef: acc, DomainID: 102, Name: "kunde.com"},
			provisioning.SubdomainAdded{AccountRef: acc, SubdomainID: 103, DomainID: 101, Name: "blog.kunde.de"})
		f.account(f.rclient, f.reseller, "basic", "rclient")
		f.publish(provisioning.ResellerCreated{ResellerRef: provisioning.ResellerRef{ResellerID: f.reseller.TenantID, AccountID: 9, Package: "rpro"}})
		// The same facts again, under new event ids (a replayed outbox):
		// open contracts make them no-ops.
		f.publish(provisioning.AccountCreated{AccountRef: acc, Package: "basic"}, provisioning.DomainAdded{AccountRef: acc, DomainID: 102, Name: "kunde.com"})
		// Every event delivered a second time.
		f.h.W.Exec("UPDATE outbox_events SET status = 'pending', next_attempt_at = ?", nov2.Add(-time.Hour))
		f.deliver()

		type row struct {
			seller, customer int64
			kind, name       string
			unit             int64
			included         bool
		}
		var got []row
		for _, c := range f.contracts(operator) {
			got = append([]row{{c.SellerID, c.CustomerID, c.SubjectKind, c.SubjectName, c.UnitMinor, c.Included}}, got...)
		}
		want := []row{
			{1, f.de.TenantID, "account", "kunde", 1000, false},
			{1, f.de.TenantID, "domain", "kunde.de", 150, true}, // first domain: included
			{1, f.de.TenantID, "domain", "kunde.com", 200, false},
			{f.reseller.TenantID, f.rclient.TenantID, "account", "rclient", 1500, false}, // retail
			{1, f.reseller.TenantID, "account", "rclient", 1000, false},                  // wholesale
			{1, f.reseller.TenantID, "reseller", "Reseller R", 5000, false},
		}
		if len(got) != len(want) {
			t.Fatalf("contracts = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("contract %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		c := f.contracts(f.de)[2]
		if c.StartDate != "2026-11-02" || c.NextDue != "2026-11-02" || c.AnchorDay != 2 || c.Cycle != billing.CycleMonthly || c.SetupMinor != 500 ||
			c.Subproject != "account:"+itoa(int(acc.AccountID)) {
			t.Errorf("hosting contract = %+v", c)
		}
		// R's client sees its own contract only, not the wholesale one.
		if cs := f.contracts(f.rclient); len(cs) != 1 || cs[0].SellerID != f.reseller.TenantID {
			t.Errorf("R's client sees %+v", cs)
		}
	})
}

func TestInvoiceRun(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		runFirstDay(t, f)
		runLaterDays(t, f)
	})
}

// runFirstDay: the first run bills every open contract once, per
// subproject and seller, and the number filter matches literally.
func runFirstDay(t *testing.T, f *fixture) {
	acc := f.account(f.de, operator, "basic", "kunde")
	f.publish(provisioning.DomainAdded{AccountRef: acc, DomainID: 101, Name: "kunde.de"},
		provisioning.DomainAdded{AccountRef: acc, DomainID: 102, Name: "kunde.com"})
	f.account(f.rclient, f.reseller, "basic", "rclient")
	f.publish(provisioning.ResellerCreated{ResellerRef: provisioning.ResellerRef{ResellerID: f.reseller.TenantID, AccountID: 9, Package: "rpro"}})

	sum := f.run("2026-11-02")
	if sum.Invoices != 4 || sum.Finalized != 4 || sum.Contracts != 5 || sum.Periods != 5 {
		t.Fatalf("first run = %+v, want 4 invoices for 5 contracts", sum)
	}
	de := f.invoices(f.de, billing.InvoiceFilter{})
	if len(de) != 1 {
		t.Fatalf("Kunde has %d invoices, want 1", len(de))
	}
	inv := de[0]
	if *inv.Number != "INV-2026-000003" || inv.Status != billing.InvoiceStatusFinalized || inv.IssueDate != "2026-11-02" ||
		inv.DueDate != "2026-11-16" || inv.PeriodStart != "2026-11-02" || inv.PeriodEnd != "2026-12-02" {
		t.Errorf("Kunde's invoice = %s %s issued %s due %s period %s..%s", *inv.Number, inv.Status, inv.IssueDate, inv.DueDate, inv.PeriodStart, inv.PeriodEnd)
	}
	// Setup 5.00 + hosting 10.00 + extra domain 2.00, German VAT 19%.
	if inv.NetMinor != 1700 || inv.TaxMinor != 323 || inv.TotalMinor != 2023 || len(inv.Lines) != 3 {
		t.Errorf("Kunde's invoice: net %d tax %d total %d, %d lines; want 1700, 323, 2023, 3 lines", inv.NetMinor, inv.TaxMinor, inv.TotalMinor, len(inv.Lines))
	}
	if !strings.Contains(inv.Seller, "Hosting Operator GmbH") || !strings.Contains(inv.Buyer, "Kunde GmbH") {
		t.Errorf("snapshots: seller %s buyer %s", inv.Seller, inv.Buyer)
	}
	// R sells to its French client in its own series, with French VAT.
	rc := f.invoices(f.rclient, billing.InvoiceFilter{})
	if len(rc) != 1 || *rc[0].Number != "R-2026-000001" || rc[0].NetMinor != 1500 || rc[0].TaxMinor != 300 {
		t.Errorf("R's client invoices = %+v", rc)
	}
	// The operator bills R wholesale, per subproject, reverse charge
	// (R's VAT id is VIES-valid).
	wr := f.invoices(f.reseller, billing.InvoiceFilter{SellerID: 1})
	if len(wr) != 2 {
		t.Fatalf("R has %d invoices from the operator, want 2 (account, reseller package)", len(wr))
	}
	for _, w := range wr {
		if w.TaxMinor != 0 || !strings.Contains(w.Taxes, `"category":"AE"`) || !strings.Contains(w.Taxes, "Reverse charge") ||
			!strings.Contains(w.Buyer, "FR40303265045") || !strings.Contains(w.Seller, "DE136695976") {
			t.Errorf("wholesale invoice %s: tax %d taxes %s", *w.Number, w.TaxMinor, w.Taxes)
		}
	}
	if got := []int64{wr[0].NetMinor, wr[1].NetMinor}; got[0] != 1500 || got[1] != 5000 {
		t.Errorf("wholesale nets = %v, want 15.00 (hosting and its setup at wholesale prices) and 50.00", got)
	}

	// The number filter matches literally: "_" is not a wildcard.
	if got := f.invoices(operator, billing.InvoiceFilter{Number: "000003"}); len(got) != 1 || got[0].ID != inv.ID {
		t.Errorf("number filter 000003 = %d invoices, want Kunde's", len(got))
	}
	if got := f.invoices(operator, billing.InvoiceFilter{Number: "2026-00000_"}); len(got) != 0 {
		t.Errorf("number filter with '_' matched %d invoices, want none", len(got))
	}
}

// runLaterDays: re-runs, lead times through the settings chain, a
// consolidated invoice, and missed runs caught up.
func runLaterDays(t *testing.T, f *fixture) {
	// The same day again: nothing new.
	if again := f.run("2026-11-02"); again.Invoices != 0 || again.Contracts != 0 {
		t.Fatalf("re-run = %+v, want nothing", again)
	}
	// Nov 17: Dec 2 is 15 days away, outside the 14-day lead time.
	if early := f.run("2026-11-17"); early.Invoices != 0 {
		t.Fatalf("Nov 17 = %+v, want nothing", early)
	}
	// Lead time through the chain: the hosting contract of Kunde waits
	// for 3 days, the panel says 14, R's client customer-level 30.
	hosting := f.contracts(f.de)[2]
	f.set(billing.LeadDays.Name, settings.LevelContract, itoa(int(hosting.ID)), "3")
	f.set(billing.LeadDays.Name, settings.LevelCustomer, itoa(int(f.rclient.TenantID)), "30")
	f.set(billing.Grouping.Name, settings.LevelCustomer, itoa(int(f.reseller.TenantID)), billing.GroupCustomer)
	sum := f.run("2026-11-18")
	if sum.Invoices != 3 || sum.Contracts != 4 {
		t.Fatalf("Nov 18 = %+v, want 3 invoices: Kunde's domain, R's client, R consolidated", sum)
	}
	if rc := f.invoices(f.rclient, billing.InvoiceFilter{}); len(rc) != 2 || rc[1].PeriodStart != "2026-12-02" {
		t.Errorf("R's client second invoice = %+v", rc)
	}
	wr := f.invoices(f.reseller, billing.InvoiceFilter{SellerID: 1})
	last := wr[len(wr)-1]
	if len(wr) != 3 || last.Subproject != "" || len(last.Lines) != 2 || last.NetMinor != 6000 || last.Lines[0].Section == "" {
		t.Errorf("R's consolidated invoice = %+v", last)
	}
	if sum := f.run("2026-11-29"); sum.Invoices != 1 || sum.Contracts != 1 {
		t.Fatalf("Nov 29 = %+v, want Kunde's hosting (3-day lead)", sum)
	}
	// Missed runs are caught up: every period up to each contract's
	// horizon. Feb 1: Kunde's two contracts and R's two wholesale ones
	// get Jan 2 and Feb 2, R's client (30-day lead) Mar 2 too.
	if sum := f.run("2027-02-01"); sum.Periods != 11 || sum.Contracts != 5 {
		t.Fatalf("catch-up = %+v, want 11 periods over 5 contracts", sum)
	}
}

func TestInvoiceRunRejectsBuyerWithoutCountry(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		nocountry := f.tenant("client", operator, "No Country")
		f.h.W.Exec("UPDATE tenants SET country = '' WHERE id = ?", nocountry.TenantID)
		f.account(nocountry, operator, "basic", "nocountry")
		f.account(f.de, operator, "basic", "kunde")
		sum, err := f.s.InvoiceRun(context.Background(), mustDay(t, "2026-11-02"))
		if err != nil || sum.Failed != 1 || sum.Invoices != 1 || !strings.Contains(strings.Join(sum.Errors, ""), "country") {
			t.Fatalf("run = %+v, %v; want Kunde invoiced and the buyer without a country failing on it", sum, err)
		}
		if n := len(f.invoices(nocountry, billing.InvoiceFilter{})); n != 0 {
			t.Fatalf("%d invoices for a buyer without a country", n)
		}
		f.checkInvariants()
	})
}

func mustDay(t *testing.T, s string) billing.Date {
	d, err := billing.ParseDay("day", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestGroupingChoice: who decides whether a customer gets one invoice per
// customer or one per subproject. billing.grouping set for the customer
// wins; then the customer's billing profile; then the setting's seller
// and panel levels.
func TestGroupingChoice(t *testing.T) {
	cases := []struct {
		name            string
		profile, seller string
		customer        string
		wantInvoices    int
	}{
		{"default: per subproject", "", "", "", 2},
		{"the profile asks per customer", billing.GroupCustomer, "", "", 1},
		{"the profile beats the seller's setting", billing.GroupCustomer, billing.GroupSubproject, "", 1},
		{"the seller's setting when the profile is silent", "", billing.GroupCustomer, "", 1},
		{"a setting for the customer beats the profile", billing.GroupCustomer, "", billing.GroupSubproject, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := dbtest.Open(t, dbtest.SQLite, sets)
			f := newFixture(t, h, nov2)
			c := f.tenant(tenancy.KindClient, operator, "Kunde")
			f.profile(c, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", InvoiceGrouping: tc.profile})
			if tc.seller != "" {
				f.set(billing.Grouping.Name, settings.LevelSeller, "1", tc.seller)
			}
			if tc.customer != "" {
				f.set(billing.Grouping.Name, settings.LevelCustomer, itoa(int(c.TenantID)), tc.customer)
			}
			f.account(c, operator, "basic", "eins")
			f.account(c, operator, "big", "zwei")
			if sum := f.run("2026-11-02"); sum.Invoices != tc.wantInvoices {
				t.Fatalf("%d invoices, want %d", sum.Invoices, tc.wantInvoices)
			}
		})
	}
}

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

// TestPaymentTerms is the table of the run's due dates: the payment terms
// (billing.payment_days through the settings chain, 14 by default) after
// issue, never before the service period starts.
func TestPaymentTerms(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		monthly, net30, onReceipt := f.client("Monthly", "DE"), f.client("Net Thirty", "DE"), f.client("On Receipt", "DE")
		f.set(billing.PaymentDays.Name, settings.LevelCustomer, itoa(int(net30.TenantID)), "30")
		f.set(billing.PaymentDays.Name, settings.LevelCustomer, itoa(int(onReceipt.TenantID)), "0")
		f.set(billing.PaymentDays.Name, settings.LevelSeller, itoa(int(f.reseller.TenantID)), "7")
		for _, c := range []tenancy.Scope{monthly, net30, onReceipt} {
			f.account(c, operator, "basic", "u"+itoa(int(c.TenantID)))
		}
		f.account(f.rclient, f.reseller, "basic", "rclient")
		f.run("2026-11-02") // the first periods start today
		f.run("2026-11-18") // the next ones start on Dec 2, within the 14-day lead time
		cases := []struct {
			name     string
			customer tenancy.Scope
			seller   int64
			due      []string // the first invoice's due date, then the second's
		}{
			{"default terms: 14 days after issue", monthly, 1, []string{"2026-11-16", "2026-12-02"}},
			{"customer's 30 days", net30, 1, []string{"2026-12-02", "2026-12-18"}},
			{"payable on receipt, but not before the period starts", onReceipt, 1, []string{"2026-11-02", "2026-12-02"}},
			{"the reseller's own terms", f.rclient, f.reseller.TenantID, []string{"2026-11-09", "2026-12-02"}},
		}
		for _, c := range cases {
			invs := f.invoices(c.customer, billing.InvoiceFilter{SellerID: c.seller})
			if len(invs) != 2 {
				t.Errorf("%s: %d invoices, want 2", c.name, len(invs))
				continue
			}
			first, second := invs[0], invs[1]
			if first.DueDate != c.due[0] || second.DueDate != c.due[1] {
				t.Errorf("%s: due %s (issued %s) and %s (issued %s, period from %s), want %v", c.name,
					first.DueDate, first.IssueDate, second.DueDate, second.IssueDate, second.PeriodStart, c.due)
			}
		}
		f.checkInvariants()
	})
}
