package dunning_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/archive"
	"faktura/billing/document/pdf"
	"faktura/billing/dunning"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/mail"
	"faktura/panel/core/mail/mailtest"
	"faktura/panel/core/outbox"
	"faktura/panel/core/schema"
	"faktura/panel/core/secret"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/provisioning"
	_ "faktura/provisioning/noop"
	"faktura/themes"
)

var sets = []db.MigrationSet{schema.Set, identity.Migrations, provisioning.Migrations, billing.Migrations}

var operator = tenancy.Scope{TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fixture: the operator (DE) sells hosting to client C (DE, a business
// with a VAT id, German) and to reseller R (FR), which sells to its
// client RC (FR, a consumer); accounts live on a noop server.
type fixture struct {
	t       testing.TB
	h       *db.Handle
	clock   *core.FrozenClock
	bus     *outbox.Bus
	disp    *outbox.Dispatcher
	st      *settings.Store
	bill    *billing.Service
	pay     *payment.Service
	hosting *provisioning.Service
	dun     *dunning.Service
	mailbox *mail.Outbox
	mailer  *mail.Worker
	smtp    *mailtest.Server
	server  provisioning.Server
	pkg     provisioning.Package
	c       tenancy.Scope
	r       tenancy.Scope
	rc      tenancy.Scope
	label   string
}

// setup is what a test may change of the fixture's services.
type setup struct {
	dunning      dunning.Options
	provisioning provisioning.Options
}

func newFixture(t testing.TB, h *db.Handle, opts ...func(*setup)) *fixture {
	t.Helper()
	f := &fixture{t: t, h: h, clock: core.NewFrozenClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))}
	f.bus = outbox.NewBus(h, f.clock)
	f.st = settings.NewStore(h, f.clock)
	a := audit.New(h, f.clock)
	var su setup
	for _, fn := range opts {
		fn(&su)
	}
	f.hosting = provisioning.New(h, f.clock, f.bus, a, su.provisioning)
	f.bill = billing.New(h, f.clock, a, f.st, billing.Options{Log: quiet(), Bus: f.bus})
	f.must(f.bill.Bind(f.bus))
	f.pay = payment.New(h, f.clock, a, f.st, f.bill)
	f.bill.UseOverpayments(f.pay)
	f.must(f.pay.Bind(f.bus))
	th, err := themes.Load("")
	f.must(err)
	r, err := pdf.New("/usr/share/fonts/truetype/dejavu", th, pdf.DefaultLayout)
	f.must(err)
	arc := archive.New(h, f.clock, f.bill, r, archive.Options{Log: quiet()})
	f.must(arc.Bind(f.bus))
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	f.must(err)
	f.smtp = mailtest.Start(t)
	f.mailbox = mail.NewOutbox(h, f.clock, f.smtp.Sender("billing@op.test"), box, "panel.test")
	arc.UseMail(f.mailbox, th, "https://panel.test")
	f.mailer = f.mailbox.NewWorker("test", quiet())
	o := su.dunning
	o.Enforcer, o.Mail, o.Tpl, o.BaseURL, o.AttachPDF, o.Log, o.Batch = f.hosting, f.mailbox, th, "https://panel.test", true, quiet(), cmp.Or(o.Batch, 3)
	f.dun = dunning.New(h, f.clock, a, f.st, f.bill, f.bus, o)
	f.must(f.dun.Bind(f.bus))
	f.bus.Start()
	f.disp = outbox.NewDispatcher(f.bus, "test", outbox.Options{}, quiet())

	ctx := f.ctx()
	f.label = "dun" + strconv.FormatInt(time.Now().UnixNano(), 36)
	f.server, err = f.hosting.CreateServer(ctx, provisioning.ServerInput{Name: "web-1", Driver: "noop", Settings: []byte(`{"label":"` + f.label + `"}`)})
	f.must(err)
	f.pkg, err = f.hosting.CreatePackage(ctx, operator, provisioning.PackageInput{Code: "std", Name: "Standard", DiskMB: 1000, TrafficMB: 1000})
	f.must(err)
	f.profile(operator, billing.ProfileInput{LegalName: "Hosting Operator GmbH", Country: "DE", VATID: "DE136695976", Timezone: "UTC",
		Address1: "Hauptstr. 1", PostalCode: "10115", City: "Berlin", Email: "billing@op.test"})
	f.c = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindClient, operator, "Kunde C")
	f.profile(f.c, billing.ProfileInput{LegalName: "Kunde C GmbH", Country: "DE", Language: "de", Email: "buchhaltung@kunde.test",
		Address1: "Lindenweg 7", PostalCode: "80331", City: "München", RegistrationID: "HRB 12345"})
	f.r = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindReseller, operator, "Reseller R")
	f.profile(f.r, billing.ProfileInput{LegalName: "Rivage SARL", Country: "FR", VATID: "FR40303265045", RegistrationID: "30326504500017",
		Timezone: "UTC", Email: "factures@rivage.test", Language: "fr"})
	f.rc = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindClient, f.r, "Client RC")
	f.profile(f.rc, billing.ProfileInput{LegalName: "Camille Martin", Country: "FR", Language: "fr", Email: "camille@martin.test"})
	yearly := func(amount string) []billing.PriceInput {
		return []billing.PriceInput{{Currency: "EUR", Cycle: billing.CycleAnnual, Amount: amount}}
	}
	_, err = f.bill.CreateProduct(ctx, operator, billing.ProductInput{Code: "std", Name: "Standard hosting", Kind: billing.KindHosting, MatchCode: "std", Prices: yearly("120.00")})
	f.must(err)
	_, err = f.bill.CreateProduct(ctx, operator, billing.ProductInput{Code: "rpro", Name: "Reseller Pro", Kind: billing.KindReseller, MatchCode: "rpro", Prices: yearly("600.00")})
	f.must(err)
	_, err = f.bill.CreateProduct(ctx, f.r, billing.ProductInput{Code: "r-std", Name: "Rivage Standard", Kind: billing.KindHosting, MatchCode: "std", Prices: yearly("60.00")})
	f.must(err)
	f.set(billing.DefaultCycle.Name, settings.LevelPanel, "", "annual")
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 7, Label: "billing@op.test"})
}

func (f *fixture) profile(sc tenancy.Scope, in billing.ProfileInput) {
	f.t.Helper()
	_, err := f.bill.SaveProfile(f.ctx(), operator, sc.TenantID, in)
	f.must(err)
}

func (f *fixture) set(name string, level settings.Level, scope, value string) {
	f.t.Helper()
	k := settings.Key[string]{Name: name, Format: func(s string) string { return s }, Parse: func(s string) (string, error) { return s, nil }}
	f.must(settings.Set(context.Background(), f.st, k, level, scope, value))
}

// settle delivers events, runs provisioning jobs and sends mail until
// nothing is left.
func (f *fixture) settle() {
	f.t.Helper()
	wk := f.hosting.NewWorker("test", quiet())
	for range 50 {
		n, err := f.disp.RunOnce(context.Background())
		f.must(err)
		m, err := wk.RunOnce(context.Background())
		f.must(err)
		k, err := f.mailer.RunOnce(context.Background())
		f.must(err)
		if n+m+k == 0 {
			return
		}
	}
	f.t.Fatal("events, jobs and mails never settled")
}

// account opens an account of customer on the server, which opens its
// contract with the customer's seller.
func (f *fixture) account(customer tenancy.Scope, user string) provisioning.Account {
	f.t.Helper()
	a, err := f.hosting.CreateAccount(f.ctx(), operator, provisioning.CreateAccountInput{TenantID: customer.TenantID, PackageID: f.pkg.ID, Username: user})
	f.must(err)
	f.settle()
	return f.acct(a.ID)
}

func (f *fixture) acct(id int64) provisioning.Account {
	f.t.Helper()
	var a provisioning.Account
	f.must(f.h.W.Where("id = ?", id).Take(&a).Error)
	return a
}

// at moves the clock to day, 09:00 UTC.
func (f *fixture) at(day string) core.Date {
	f.t.Helper()
	d, err := core.ParseDate("day", day)
	f.must(err)
	f.clock.Set(d.In(time.UTC).Add(9 * time.Hour))
	return d
}

// invoice runs the invoice run on day and returns the customer's newest
// invoice.
func (f *fixture) invoice(day string, customer tenancy.Scope) billing.Invoice {
	f.t.Helper()
	d := f.at(day)
	sum, err := f.bill.InvoiceRun(context.Background(), d)
	f.must(err)
	if sum.Failed > 0 {
		f.t.Fatalf("invoice run: %v", sum.Errors)
	}
	f.settle()
	var inv billing.Invoice
	f.must(f.h.W.Where("customer_id = ? AND kind = ?", customer.TenantID, billing.DocInvoice).Order("id DESC").Take(&inv).Error)
	if inv.Number == nil {
		f.t.Fatalf("invoice %d not finalized: %s %s", inv.ID, inv.Status, inv.HoldReason)
	}
	return inv
}

// day runs the daily collections work as of day: overdue, dunning, then
// events, jobs and mail.
func (f *fixture) day(day string) dunning.Summary {
	f.t.Helper()
	d := f.at(day)
	_, err := f.bill.MarkOverdue(context.Background(), d)
	f.must(err)
	sum, err := f.dun.Run(context.Background(), d)
	f.must(err)
	if sum.Failed > 0 {
		f.t.Fatalf("dunning %s: %v", day, sum.Errors)
	}
	f.settle()
	f.checkInvariants()
	return sum
}

func (f *fixture) load(id int64) billing.Invoice {
	f.t.Helper()
	var inv billing.Invoice
	f.must(f.h.W.Where("id = ?", id).Take(&inv).Error)
	return inv
}

func (f *fixture) count(table, where string, args ...any) int64 {
	f.t.Helper()
	var n int64
	f.must(f.h.W.Table(table).Where(where, args...).Count(&n).Error)
	return n
}

// payAll records a bank transfer of what inv still owes.
func (f *fixture) payAll(seller tenancy.Scope, inv billing.Invoice, day string) {
	f.t.Helper()
	inv = f.load(inv.ID)
	open := inv.TotalMinor - inv.PaidMinor - inv.CreditedMinor
	amt := fmt.Sprintf("%d.%02d", open/100, open%100)
	_, err := f.pay.RecordManual(f.ctx(), seller, payment.ManualInput{CustomerID: inv.CustomerID, Method: "bank_transfer", Amount: amt, Currency: inv.Currency,
		ReceivedOn: day, Reference: "transfer " + *inv.Number, Allocations: []payment.AllocationInput{{InvoiceID: inv.ID, Amount: amt}}})
	f.must(err)
	f.settle()
}

// checkInvariants: every document's lines sum to its totals, every
// dunning step is recorded once, a suspension is open at most once per
// account, and a fee invoice's total is the fee its step recorded.
func (f *fixture) checkInvariants() {
	f.t.Helper()
	var bad int64
	f.must(f.h.W.Raw(`SELECT COUNT(*) FROM invoices i WHERE i.net_minor <> (SELECT COALESCE(SUM(net_minor), 0) FROM invoice_lines l WHERE l.invoice_id = i.id)
		OR i.total_minor <> i.net_minor + i.tax_minor`).Scan(&bad).Error)
	if bad > 0 {
		f.t.Errorf("%d documents whose lines do not sum to their totals", bad)
	}
	f.must(f.h.W.Raw(`SELECT COUNT(*) FROM (SELECT invoice_id, step_key FROM dunning_steps GROUP BY invoice_id, step_key HAVING COUNT(*) > 1) d`).Scan(&bad).Error)
	if bad > 0 {
		f.t.Errorf("%d steps recorded twice", bad)
	}
	f.must(f.h.W.Raw(`SELECT COUNT(*) FROM dunning_steps s JOIN invoices i ON i.id = s.fee_invoice_id WHERE i.total_minor <> s.fee_minor`).Scan(&bad).Error)
	if bad > 0 {
		f.t.Errorf("%d fee invoices whose total is not their step's fee", bad)
	}
	f.must(f.h.W.Raw(`SELECT COUNT(*) FROM dunning_suspensions WHERE (state = 'suspended') <> (open_key IS NOT NULL)`).Scan(&bad).Error)
	if bad > 0 {
		f.t.Errorf("%d suspensions whose open key disagrees with their state", bad)
	}
	if err := f.bill.CheckJournal(context.Background()); err != nil {
		f.t.Error(err)
	}
}

// events counts the outbox events named name.
func (f *fixture) events(name string) int64 { return f.count("outbox_events", "name = ?", name) }

func field(err error, name string) bool {
	var v *core.ValidationError
	if !errors.As(err, &v) {
		return false
	}
	_, ok := v.Fields[name]
	return ok
}

func detail(raw string) map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(raw), &m)
	return m
}
