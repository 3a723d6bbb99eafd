package ledger_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/ledger"
	"faktura/billing/payment"
	"faktura/billing/viestest"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/outbox"
	"faktura/panel/core/schema"
	"faktura/panel/core/secret"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"

	_ "faktura/plugins/csvjournal"
	_ "faktura/plugins/datev"
	_ "faktura/plugins/fec"
)

var sets = []db.MigrationSet{schema.Set, provisioning.Migrations, billing.Migrations}

var operator = tenancy.Scope{TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}

// fixture: the operator (Germany, VAT id) sells to a German company, a
// French company with a VAT id VIES confirms, an American company and a
// second German company; the reseller (France) sells to its own client.
type fixture struct {
	t     testing.TB
	h     *db.Handle
	clock *core.FrozenClock
	st    *settings.Store
	bill  *billing.Service
	pay   *payment.Service
	led   *ledger.Service
	vies  *viestest.Server
	de    tenancy.Scope
	fr    tenancy.Scope
	us    tenancy.Scope
	de2   tenancy.Scope
	// seeded: the journal was written without documents (a benchmark),
	// so it is not compared with them.
	seeded bool
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t testing.TB, h *db.Handle) *fixture {
	t.Helper()
	f := &fixture{t: t, h: h, clock: core.NewFrozenClock(time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC))}
	bus := outbox.NewBus(h, f.clock)
	f.st = settings.NewStore(h, f.clock)
	log := audit.New(h, f.clock)
	f.vies = viestest.New(map[string]viestest.Trader{"FR40303265045": {Name: "CLIENT SARL", Address: "1 rue de Paris"},
		"DE136695976": {Name: "HOSTING OPERATOR GMBH"}, "IT00743110157": {Name: "AZIENDA SPA", Address: "Via Roma 1"}})
	t.Cleanup(f.vies.Close)
	f.bill = billing.New(h, f.clock, log, f.st, billing.Options{Log: quiet(), Bus: bus,
		VIES: &billing.VIESClient{BaseURL: f.vies.URL, Timeout: 2 * time.Second, Attempts: 1}})
	f.pay = payment.New(h, f.clock, log, f.st, f.bill)
	f.bill.UseOverpayments(f.pay)
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	f.must(err)
	f.pay.UseSecrets(box)
	f.led = ledger.New(h, f.clock, log, f.bill)
	f.must(settings.Set(f.ctx(), f.st, billing.ApprovalManualLines, settings.LevelPanel, "", false))
	f.must(settings.Set(f.ctx(), f.st, payment.ApplyCredit, settings.LevelPanel, "", false))
	f.profile(operator, billing.ProfileInput{LegalName: "Hosting Operator GmbH", Country: "DE", VATID: "DE136695976", Timezone: "Europe/Berlin",
		Address1: "Hauptstr. 1", PostalCode: "10115", City: "Berlin", RegistrationID: "HRB 12345"})
	f.de = f.client(operator, "Kunde GmbH", billing.ProfileInput{Country: "DE", Address1: "Marktplatz 2", PostalCode: "80331", City: "München"})
	f.fr = f.client(operator, "Client SARL", billing.ProfileInput{Country: "FR", VATID: "FR40303265045", Address1: "1 rue de Paris", PostalCode: "75001", City: "Paris"})
	f.us = f.client(operator, "Client Inc.", billing.ProfileInput{Country: "US", Address1: "1 Main St", PostalCode: "10001", City: "New York"})
	f.de2 = f.client(operator, "Pleite AG", billing.ProfileInput{Country: "DE", Address1: "Weg 3", PostalCode: "20095", City: "Hamburg"})
	t.Cleanup(f.checkJournal)
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 7, Label: "books@op.test"})
}

// at sets the clock to 10:00 UTC on day.
func (f *fixture) at(day string) {
	d, err := time.Parse("2006-01-02", day)
	f.must(err)
	f.clock.Set(d.Add(10 * time.Hour))
}

func (f *fixture) profile(s tenancy.Scope, in billing.ProfileInput) {
	f.t.Helper()
	_, err := f.bill.SaveProfile(f.ctx(), operator, s.TenantID, in)
	f.must(err)
}

func (f *fixture) client(parent tenancy.Scope, name string, in billing.ProfileInput) tenancy.Scope {
	f.t.Helper()
	sc := dbtest.Tenant(f.t, f.h, f.clock.Now(), tenancy.KindClient, parent, name)
	in.LegalName = name
	f.profile(sc, in)
	return sc
}

// invoice finalizes a one-line invoice of amount ("100.00").
func (f *fixture) invoice(seller, customer tenancy.Scope, desc, amount string) billing.Invoice {
	f.t.Helper()
	inv, err := f.bill.CreateInvoice(f.ctx(), seller, billing.InvoiceInput{CustomerID: customer.TenantID, Currency: "EUR",
		Lines: []billing.LineInput{{Description: desc, Quantity: "1", UnitPrice: amount}}})
	f.must(err)
	inv, err = f.bill.Finalize(f.ctx(), seller, inv.ID)
	f.must(err)
	if inv.Status != billing.InvoiceStatusFinalized {
		f.t.Fatalf("invoice %d is %s (%s), want finalized", inv.ID, inv.Status, inv.HoldReason)
	}
	return inv
}

// paid records a bank transfer of amount received on day, allocated as
// given (invoice id -> amount).
func (f *fixture) paid(customer tenancy.Scope, amount, day, ref string, allocs map[int64]string) payment.Payment {
	f.t.Helper()
	in := payment.ManualInput{CustomerID: customer.TenantID, Method: "bank_transfer", Amount: amount, Currency: "EUR", ReceivedOn: day, Reference: ref}
	for id, a := range allocs {
		in.Allocations = append(in.Allocations, payment.AllocationInput{InvoiceID: id, Amount: a})
	}
	p, err := f.pay.RecordManual(f.ctx(), operator, in)
	f.must(err)
	return p
}

// checkJournal: the journal balances and agrees with the documents,
// payments and credit balances.
func (f *fixture) checkJournal() {
	f.t.Helper()
	if f.seeded {
		return
	}
	if err := f.bill.CheckJournal(context.Background()); err != nil {
		f.t.Error(err)
	}
}

// month is the golden month: October 2026 at the operator, with invoices
// of each VAT category, a credit note, a payment, a partial payment, an
// overpayment refunded, a late fee and a write-off. It returns the
// documents by name.
func (f *fixture) month() map[string]billing.Invoice {
	f.t.Helper()
	docs := map[string]billing.Invoice{}
	f.at("2026-10-01")
	docs["s"] = f.invoice(operator, f.de, "Webhosting Business, Oktober", "100.00")
	f.at("2026-10-02")
	docs["ae"] = f.invoice(operator, f.fr, "Hébergement revendeur, octobre", "200.00")
	f.at("2026-10-03")
	docs["o"] = f.invoice(operator, f.us, "Managed server, October", "50.00")
	f.at("2026-10-05")
	cn, err := f.bill.CreditNote(f.ctx(), operator, docs["s"].ID, billing.CreditNoteInput{
		Lines: []billing.CreditItem{{LineID: docs["s"].Lines[0].ID, AmountMinor: 2000}}, Reason: "Ausfall 3 Tage"})
	f.must(err)
	docs["cn"] = cn
	f.at("2026-10-10")
	f.paid(f.fr, "200.00", "2026-10-10", "SEPA 4711", map[int64]string{docs["ae"].ID: "200.00"})
	f.at("2026-10-12")
	f.paid(f.de, "50.00", "2026-10-12", "Teilzahlung", map[int64]string{docs["s"].ID: "50.00"})
	f.at("2026-10-15")
	over := f.paid(f.us, "60.00", "2026-10-15", "WIRE 99", map[int64]string{docs["o"].ID: "50.00"})
	f.at("2026-10-16")
	_, err = f.pay.Refund(f.ctx(), operator, over.ID, payment.RefundInput{Amount: "10.00", Reason: "overpaid"})
	f.must(err)
	f.at("2026-10-20")
	err = f.h.WithTx(f.ctx(), func(ctx context.Context) error {
		fee, err := f.bill.IssueLateFee(ctx, docs["s"], billing.Date{Year: 2026, Month: 10, Day: 20},
			[]billing.LateFeeItem{{Description: "Mahngebühr", AmountMinor: 500}}, true)
		docs["fee"] = fee
		return err
	})
	f.must(err)
	f.at("2026-10-28")
	docs["bad"] = f.invoice(operator, f.de2, "Webhosting Starter, Oktober", "40.00")
	f.at("2026-10-30")
	_, err = f.bill.WriteOff(f.ctx(), operator, docs["bad"].ID, "insolvency proceedings opened")
	f.must(err)
	f.checkJournal()
	return docs
}
