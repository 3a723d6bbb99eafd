package payment_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/payment"
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
)

var sets = []db.MigrationSet{schema.Set, provisioning.Migrations, billing.Migrations}

var operator = tenancy.Scope{TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}

// fixture: the operator sells to client C (outside the EU, so totals
// carry no VAT: a 20.00 invoice is 20.00) and to reseller R, which sells
// to its own client RC; manual invoices finalize without approval.
type fixture struct {
	t     testing.TB
	h     *db.Handle
	clock *core.FrozenClock
	bus   *outbox.Bus
	disp  *outbox.Dispatcher
	st    *settings.Store
	bill  *billing.Service
	pay   *payment.Service
	c, r  tenancy.Scope
	rc    tenancy.Scope
	other tenancy.Scope // another client of the operator
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t testing.TB, h *db.Handle) *fixture {
	t.Helper()
	f := &fixture{t: t, h: h, clock: core.NewFrozenClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))}
	f.bus = outbox.NewBus(h, f.clock)
	f.st = settings.NewStore(h, f.clock)
	log := audit.New(h, f.clock)
	f.bill = billing.New(h, f.clock, log, f.st, billing.Options{Log: quiet(), Bus: f.bus})
	f.pay = payment.New(h, f.clock, log, f.st, f.bill)
	f.bill.UseOverpayments(f.pay)
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	f.must(err)
	f.pay.UseSecrets(box)
	f.must(f.bill.Bind(f.bus))
	f.must(f.pay.Bind(f.bus))
	f.bus.Start()
	f.disp = outbox.NewDispatcher(f.bus, "test", outbox.Options{}, quiet())
	f.must(settings.Set(f.ctx(), f.st, billing.ApprovalManualLines, settings.LevelPanel, "", false))
	f.profile(operator, billing.ProfileInput{LegalName: "Hosting Operator GmbH", Country: "DE", VATID: "DE136695976", Timezone: "Europe/Berlin"})
	f.c = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindClient, operator, "Client C")
	f.profile(f.c, billing.ProfileInput{LegalName: "Client C Inc.", Country: "US"})
	f.other = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindClient, operator, "Client O")
	f.profile(f.other, billing.ProfileInput{LegalName: "Client O Inc.", Country: "US"})
	f.r = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindReseller, operator, "Reseller R")
	f.profile(f.r, billing.ProfileInput{LegalName: "Reseller R Ltd", Country: "DE", TaxNumber: "27/123/45678", Timezone: "Europe/Berlin"})
	f.rc = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindClient, f.r, "Client RC")
	f.profile(f.rc, billing.ProfileInput{LegalName: "Client RC Inc.", Country: "US"})
	t.Cleanup(f.checkInvariants)
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 7, Label: "staff@op.test"})
}

func (f *fixture) profile(s tenancy.Scope, in billing.ProfileInput) {
	f.t.Helper()
	if _, err := f.bill.SaveProfile(f.ctx(), operator, s.TenantID, in); err != nil {
		f.t.Fatal(err)
	}
}

// invoice finalizes a one-line invoice of amount ("20.00") from seller to
// customer.
func (f *fixture) invoice(seller, customer tenancy.Scope, amount, cur string) billing.Invoice {
	f.t.Helper()
	inv, err := f.bill.CreateInvoice(f.ctx(), seller, billing.InvoiceInput{CustomerID: customer.TenantID, Currency: cur,
		Lines: []billing.LineInput{{Description: "Work", Quantity: "1", UnitPrice: amount}}})
	f.must(err)
	inv, err = f.bill.Finalize(f.ctx(), seller, inv.ID)
	f.must(err)
	if inv.Status != billing.InvoiceStatusFinalized {
		f.t.Fatalf("invoice %d is %s, want finalized", inv.ID, inv.Status)
	}
	return inv
}

// deliver runs the outbox until it is empty.
func (f *fixture) deliver() {
	f.t.Helper()
	for range 100 {
		n, err := f.disp.RunOnce(context.Background())
		f.must(err)
		if n == 0 {
			return
		}
	}
	f.t.Fatal("the outbox did not drain")
}

func (f *fixture) load(id int64) billing.Invoice {
	f.t.Helper()
	inv, err := f.bill.Invoice(f.ctx(), operator, id)
	f.must(err)
	return inv
}

func (f *fixture) credit(seller, customer tenancy.Scope, cur string) int64 {
	var n int64
	f.h.W.Table("credit_balances").Where("seller_id = ? AND customer_id = ? AND currency = ?", seller.TenantID, customer.TenantID, cur).
		Select("COALESCE(SUM(balance_minor), 0)").Scan(&n)
	return n
}

func (f *fixture) count(table, where string, args ...any) int64 {
	var n int64
	f.must(f.h.W.Table(table).Where(where, args...).Count(&n).Error)
	return n
}

// checkInvariants: per seller, customer and currency, allocations plus
// credit equal succeeded payments less refunds; per payment, allocations
// never exceed what is not refunded; per invoice, paid equals its
// allocations, never more than its total less credit notes, and it is
// paid exactly when nothing is open.
func (f *fixture) checkInvariants() {
	t := f.t
	type sums struct{ Held, Allocated, Credit int64 }
	byKey := map[[3]any]*sums{}
	get := func(s, c int64, cur string) *sums {
		k := [3]any{s, c, cur}
		if byKey[k] == nil {
			byKey[k] = &sums{}
		}
		return byKey[k]
	}
	var ps []payment.Payment
	f.must(f.h.W.Find(&ps).Error)
	alloc := map[int64]int64{}
	var as []payment.Allocation
	f.must(f.h.W.Find(&as).Error)
	for _, a := range as {
		alloc[a.PaymentID] += a.AmountMinor
		if a.AmountMinor <= 0 {
			t.Errorf("allocation %d holds %d", a.ID, a.AmountMinor)
		}
	}
	for _, p := range ps {
		if p.Status == payment.StatusPending || p.Status == payment.StatusFailed {
			if alloc[p.ID] != 0 {
				t.Errorf("payment %d is %s with %d allocated", p.ID, p.Status, alloc[p.ID])
			}
			continue
		}
		if alloc[p.ID] > p.AmountMinor-p.RefundedMinor {
			t.Errorf("payment %d: %d allocated of %d less %d refunded", p.ID, alloc[p.ID], p.AmountMinor, p.RefundedMinor)
		}
		s := get(p.SellerID, p.CustomerID, p.Currency)
		s.Held += p.AmountMinor - p.RefundedMinor
		s.Allocated += alloc[p.ID]
	}
	var bs []payment.Balance
	f.must(f.h.W.Find(&bs).Error)
	for _, b := range bs {
		get(b.SellerID, b.CustomerID, b.Currency).Credit += b.BalanceMinor
	}
	for k, s := range byKey {
		if s.Allocated+s.Credit != s.Held {
			t.Errorf("seller %v customer %v %v: allocated %d + credit %d != payments less refunds %d", k[0], k[1], k[2], s.Allocated, s.Credit, s.Held)
		}
	}
	byInvoice := map[int64]int64{}
	for _, a := range as {
		byInvoice[a.InvoiceID] += a.AmountMinor
	}
	var invs []billing.Invoice
	f.must(f.h.W.Where("kind = ?", billing.DocInvoice).Find(&invs).Error)
	for _, inv := range invs {
		if inv.PaidMinor != byInvoice[inv.ID] {
			t.Errorf("invoice %d: paid %d, allocations %d", inv.ID, inv.PaidMinor, byInvoice[inv.ID])
		}
		if inv.PaidMinor > inv.TotalMinor-inv.CreditedMinor || inv.PaidMinor < 0 {
			t.Errorf("invoice %d: paid %d of %d less %d credited", inv.ID, inv.PaidMinor, inv.TotalMinor, inv.CreditedMinor)
		}
		settled := inv.FinalizedAt != nil && inv.OpenMinor() == 0 && inv.Status != billing.InvoiceStatusCancelled && inv.Status != billing.InvoiceStatusUncollectible
		if settled != (inv.Status == billing.InvoiceStatusPaid) {
			t.Errorf("invoice %d is %s with %d open", inv.ID, inv.Status, inv.OpenMinor())
		}
	}
	if err := f.bill.CheckJournal(context.Background()); err != nil {
		t.Error(err)
	}
}

func field(err error, name string) bool {
	var ve *core.ValidationError
	return errors.As(err, &ve) && ve.Fields[name] != ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func corePage() core.Page { return core.Page{Limit: 200} }
