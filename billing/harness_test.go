package billing_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/viestest"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/outbox"
	"faktura/panel/core/schema"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

var sets = []db.MigrationSet{schema.Set, provisioning.Migrations, billing.Migrations}

var operator = tenancy.Scope{TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}

// fixture is a billing service on a fresh database with a frozen clock:
// the operator (DE, Berlin) with a catalog, reseller R (DE) with its own
// retail catalog and a client, and direct clients in several countries.
type fixture struct {
	t        *testing.T
	h        *db.Handle
	clock    *core.FrozenClock
	bus      *outbox.Bus
	disp     *outbox.Dispatcher
	st       *settings.Store
	s        *billing.Service
	reseller tenancy.Scope
	rclient  tenancy.Scope // R's client
	de       tenancy.Scope // the operator's client in Germany
	products map[string]billing.Product
	seq      int64
	vies     *viestest.Server
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t *testing.T, h *db.Handle, at time.Time) *fixture {
	t.Helper()
	f := &fixture{t: t, h: h, clock: core.NewFrozenClock(at), products: map[string]billing.Product{}}
	f.bus = outbox.NewBus(h, f.clock)
	f.st = settings.NewStore(h, f.clock)
	f.vies = viestest.New(map[string]viestest.Trader{"FR40303265045": {Name: "RESELLER R SARL", Address: "1 rue de Paris"},
		"IT00743110157": {Name: "CLIENTE SRL", Address: "Via Roma 1"}})
	t.Cleanup(f.vies.Close)
	f.s = billing.New(h, f.clock, audit.New(h, f.clock), f.st, billing.Options{RunChunk: 7, Log: quiet(), Bus: f.bus,
		VIES: &billing.VIESClient{BaseURL: f.vies.URL, Timeout: 2 * time.Second, Attempts: 1}})
	if err := f.s.Bind(f.bus); err != nil {
		t.Fatal(err)
	}
	f.bus.Start()
	f.disp = outbox.NewDispatcher(f.bus, "test", outbox.Options{}, quiet())
	f.profile(operator, billing.ProfileInput{LegalName: "Hosting Operator GmbH", Country: "DE", VATID: "DE136695976", Timezone: "Europe/Berlin",
		Address1: "Hauptstr. 1", PostalCode: "10115", City: "Berlin"})
	f.reseller = f.tenant(tenancy.KindReseller, operator, "Reseller R")
	f.profile(f.reseller, billing.ProfileInput{LegalName: "Reseller R SARL", Country: "FR", VATID: "FR40303265045", RegistrationID: "303265045", Timezone: "Europe/Paris", InvoicePrefix: "R-"})
	f.rclient = f.tenant(tenancy.KindClient, f.reseller, "Client of R")
	f.profile(f.rclient, billing.ProfileInput{LegalName: "Client of R", Country: "FR"})
	f.de = f.tenant(tenancy.KindClient, operator, "Kunde DE")
	f.profile(f.de, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE"})
	f.product(operator, billing.ProductInput{Code: "basic", Name: "Basic hosting", Kind: billing.KindHosting, MatchCode: "basic",
		Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 1000, 500), price("EUR", billing.CycleAnnual, 10000, 0)}})
	f.product(operator, billing.ProductInput{Code: "big", Name: "Big hosting", Kind: billing.KindHosting, MatchCode: "big",
		Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 3000, 0), price("EUR", billing.CycleAnnual, 30000, 0)}})
	f.product(operator, billing.ProductInput{Code: "domain", Name: "Extra domain", Kind: billing.KindDomain, Included: 1,
		Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 200, 0)}})
	f.product(operator, billing.ProductInput{Code: "domain-de", Name: ".de domain", Kind: billing.KindDomain, MatchCode: "de", Included: 1,
		Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 150, 0)}})
	f.product(operator, billing.ProductInput{Code: "rpro", Name: "Reseller Pro", Kind: billing.KindReseller, MatchCode: "rpro",
		Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 5000, 0)}})
	f.product(f.reseller, billing.ProductInput{Code: "r-basic", Name: "R Basic", Kind: billing.KindHosting, MatchCode: "basic",
		Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 1500, 0)}})
	return f
}

func price(cur string, c billing.Cycle, amount, setup int64) billing.PriceInput {
	return billing.PriceInput{Currency: cur, Cycle: c, AmountMinor: &amount, SetupMinor: &setup}
}

func (f *fixture) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 7, Label: "billing@op.test"})
}

// tenant inserts a tenant below parent.
func (f *fixture) tenant(kind tenancy.Kind, parent tenancy.Scope, name string) tenancy.Scope {
	f.t.Helper()
	return dbtest.Tenant(f.t, f.h, f.clock.Now(), kind, parent, name)
}

func (f *fixture) client(name, country string) tenancy.Scope {
	sc := f.tenant(tenancy.KindClient, operator, name)
	f.profile(sc, billing.ProfileInput{LegalName: name, Country: country})
	return sc
}

func (f *fixture) profile(sc tenancy.Scope, in billing.ProfileInput) billing.Profile {
	f.t.Helper()
	p, err := f.s.SaveProfile(f.ctx(), operator, sc.TenantID, in)
	if err != nil {
		f.t.Fatalf("profile of %d: %v", sc.TenantID, err)
	}
	return p
}

func (f *fixture) product(seller tenancy.Scope, in billing.ProductInput) billing.Product {
	f.t.Helper()
	p, err := f.s.CreateProduct(f.ctx(), seller, in)
	if err != nil {
		f.t.Fatalf("product %s: %v", in.Code, err)
	}
	f.products[in.Code] = p
	return p
}

func (f *fixture) set(name string, level settings.Level, scope, value string) {
	f.t.Helper()
	k := settings.Key[string]{Name: name, Format: func(s string) string { return s }, Parse: func(s string) (string, error) { return s, nil }}
	if err := settings.Set(context.Background(), f.st, k, level, scope, value); err != nil {
		f.t.Fatal(err)
	}
}

// publish writes provisioning events to the outbox, as provisioning does,
// and delivers them.
func (f *fixture) publish(evs ...outbox.Event) {
	f.t.Helper()
	err := f.h.WithTx(context.Background(), func(ctx context.Context) error {
		for _, ev := range evs {
			if _, err := f.bus.Publish(ctx, ev, "system"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.deliver()
}

func (f *fixture) deliver() {
	f.t.Helper()
	for {
		n, err := f.disp.RunOnce(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	var parked []outbox.Record
	parked, _ = f.bus.Parked(context.Background(), 10)
	var failed int64
	f.h.W.Table("outbox_events").Where("status <> ? OR attempts > 0", outbox.StatusDone).Count(&failed)
	if failed > 0 || len(parked) > 0 {
		var errs []string
		f.h.W.Table("outbox_events").Where("last_error <> ''").Pluck("last_error", &errs)
		f.t.Fatalf("%d events not delivered: %v", failed, errs)
	}
}

// account publishes AccountCreated for a new account of customer sold by
// seller.
func (f *fixture) account(customer, seller tenancy.Scope, pkg, user string) provisioning.AccountRef {
	f.seq++
	ref := provisioning.AccountRef{AccountID: f.seq, TenantID: customer.TenantID, SellerID: seller.TenantID, Username: user}
	f.publish(provisioning.AccountCreated{AccountRef: ref, Package: pkg})
	return ref
}

func (f *fixture) run(day string) billing.RunSummary {
	f.t.Helper()
	d, err := billing.ParseDay("at", day)
	if err != nil {
		f.t.Fatal(err)
	}
	sum, err := f.s.InvoiceRun(context.Background(), d)
	if err != nil {
		f.t.Fatal(err)
	}
	if sum.Failed > 0 {
		f.t.Fatalf("run %s: %d units failed: %v", day, sum.Failed, sum.Errors)
	}
	f.checkInvariants()
	return sum
}

func (f *fixture) contracts(sc tenancy.Scope) []billing.Contract {
	f.t.Helper()
	cs, err := f.s.Contracts(context.Background(), sc, billing.ContractFilter{}, core.Page{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return cs
}

func (f *fixture) invoices(sc tenancy.Scope, flt billing.InvoiceFilter) []billing.Invoice {
	f.t.Helper()
	is, err := f.s.Invoices(context.Background(), sc, flt, core.Page{Limit: 100000})
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]billing.Invoice, 0, len(is))
	for i := len(is) - 1; i >= 0; i-- { // oldest first
		full, err := f.s.Invoice(context.Background(), sc, is[i].ID)
		if err != nil {
			f.t.Fatal(err)
		}
		out = append(out, full)
	}
	return out
}

// checkInvariants: every document's lines sum to its net, net plus tax is
// the total, and numbers are gapless per series.
func (f *fixture) checkInvariants() {
	f.t.Helper()
	var bad []struct {
		ID, NetMinor, Sum int64
	}
	f.h.W.Raw(`SELECT i.id, i.net_minor, COALESCE(SUM(l.net_minor), 0) AS sum FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id
		GROUP BY i.id, i.net_minor HAVING i.net_minor <> COALESCE(SUM(l.net_minor), 0)`).Scan(&bad)
	if len(bad) > 0 {
		f.t.Fatalf("invoices whose lines do not sum to the net: %+v", bad)
	}
	var n int64
	f.h.W.Table("invoices").Where("net_minor + tax_minor <> total_minor").Count(&n)
	if n > 0 {
		f.t.Fatalf("%d invoices where net + tax <> total", n)
	}
	f.checkGapless()
	f.checkEvents()
	if err := f.s.CheckJournal(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

// checkEvents: every numbered document published exactly one finalized
// event (invoice or credit note by its kind), nothing else did, and no
// invoice went overdue twice.
func (f *fixture) checkEvents() {
	f.t.Helper()
	count := func(name string) map[int64]int {
		var payloads []string
		f.h.W.Table("outbox_events").Where("name = ?", name).Pluck("payload", &payloads)
		out := map[int64]int{}
		for _, p := range payloads {
			var ev billing.DocumentFacts
			if err := json.Unmarshal([]byte(p), &ev); err != nil {
				f.t.Fatalf("%s payload %s: %v", name, p, err)
			}
			out[ev.InvoiceID]++
		}
		return out
	}
	for kind, name := range map[string]string{billing.DocInvoice: "billing.invoice_finalized", billing.DocCreditNote: "billing.credit_note_finalized"} {
		var ids []int64
		f.h.W.Table("invoices").Where("kind = ? AND seq IS NOT NULL", kind).Pluck("id", &ids)
		got := count(name)
		for _, id := range ids {
			if got[id] != 1 {
				f.t.Fatalf("%s %d: %d %s events, want 1", kind, id, got[id], name)
			}
			delete(got, id)
		}
		if len(got) > 0 {
			f.t.Fatalf("%s events for documents not numbered: %v", name, got)
		}
	}
	for id, n := range count("billing.invoice_overdue") {
		if n != 1 {
			f.t.Fatalf("invoice %d went overdue %d times", id, n)
		}
	}
}

func (f *fixture) checkGapless() {
	f.t.Helper()
	var series []struct {
		SellerID int64
		Kind     string
		Year     int
		NextSeq  int64
	}
	f.h.W.Table("number_series").Find(&series)
	for _, s := range series {
		var seqs []int64
		f.h.W.Table("invoices").Where("seller_id = ? AND kind = ? AND seq IS NOT NULL AND issue_date LIKE ?", s.SellerID, s.Kind, itoa(s.Year)+"-%").
			Order("seq").Pluck("seq", &seqs)
		for i, q := range seqs {
			if q != int64(i+1) {
				f.t.Fatalf("series %d/%s/%d: numbers %v are not 1..%d", s.SellerID, s.Kind, s.Year, seqs, len(seqs))
			}
		}
		if s.NextSeq != int64(len(seqs))+1 {
			f.t.Fatalf("series %d/%s/%d: next is %d after %d documents", s.SellerID, s.Kind, s.Year, s.NextSeq, len(seqs))
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func newFakeVIES(t *testing.T) *viestest.Server {
	s := viestest.New(map[string]viestest.Trader{"DE136695976": {}})
	t.Cleanup(s.Close)
	return s
}

// liveAccount creates a real hosting account row (so provisioning's
// inventory lists it) and publishes its AccountCreated.
func (f *fixture) liveAccount(customer, seller tenancy.Scope, pkg, user string) provisioning.AccountRef {
	f.t.Helper()
	ref := f.accountRow(customer, seller, pkg, user)
	f.publish(provisioning.AccountCreated{AccountRef: ref, Package: pkg})
	return ref
}

// accountRow creates a real hosting account row without its event (as
// if the event were lost).
func (f *fixture) accountRow(customer, seller tenancy.Scope, pkg, user string) provisioning.AccountRef {
	f.t.Helper()
	now := f.clock.Now()
	var server int64
	f.h.W.Table("servers").Select("id").Where("name = ?", "web1").Scan(&server)
	if server == 0 {
		row := map[string]any{"name": "web1", "driver": "noop", "settings": "{}", "created_at": now, "updated_at": now}
		if err := f.h.W.Table("servers").Create(row).Error; err != nil {
			f.t.Fatal(err)
		}
		f.h.W.Table("servers").Select("id").Where("name = ?", "web1").Scan(&server)
	}
	var pack int64
	f.h.W.Table("packages").Select("id").Where("tenant_id = ? AND code = ?", seller.TenantID, pkg).Scan(&pack)
	if pack == 0 {
		row := map[string]any{"tenant_id": seller.TenantID, "code": pkg, "name": pkg, "disk_mb": 0, "traffic_mb": 0, "max_domains": 0,
			"max_subdomains": 0, "created_at": now, "updated_at": now}
		if err := f.h.W.Table("packages").Create(row).Error; err != nil {
			f.t.Fatal(err)
		}
		f.h.W.Table("packages").Select("id").Where("tenant_id = ? AND code = ?", seller.TenantID, pkg).Scan(&pack)
	}
	row := map[string]any{"tenant_id": customer.TenantID, "tenant_path": customer.Path, "seller_id": seller.TenantID, "package_id": pack,
		"server_id": server, "username": user, "username_key": user, "disk_mb": 0, "traffic_mb": 0, "state": "active", "target": "active",
		"created_at": now, "updated_at": now}
	if err := f.h.W.Table("accounts").Create(row).Error; err != nil {
		f.t.Fatal(err)
	}
	var id int64
	f.h.W.Table("accounts").Select("id").Where("username_key = ?", user).Scan(&id)
	return provisioning.AccountRef{AccountID: id, TenantID: customer.TenantID, SellerID: seller.TenantID, Username: user}
}

// liveDomain creates a real domain row of an account (a subdomain when
// parent is not 0) and, unless lost, publishes its event.
func (f *fixture) liveDomain(ref provisioning.AccountRef, path, name string, parent int64, lost bool) int64 {
	f.t.Helper()
	now := f.clock.Now()
	row := map[string]any{"account_id": ref.AccountID, "tenant_id": ref.TenantID, "tenant_path": path, "name": name, "display_name": name,
		"name_key": name, "state": "active", "target": "active", "created_at": now, "updated_at": now}
	if parent != 0 {
		row["parent_id"] = parent
	}
	if err := f.h.W.Table("domains").Create(row).Error; err != nil {
		f.t.Fatal(err)
	}
	var id int64
	f.h.W.Table("domains").Select("id").Where("name_key = ?", name).Scan(&id)
	switch {
	case lost:
	case parent != 0:
		f.publish(provisioning.SubdomainAdded{AccountRef: ref, SubdomainID: id, Name: name})
	default:
		f.publish(provisioning.DomainAdded{AccountRef: ref, DomainID: id, Name: name})
	}
	return id
}

// inventory is provisioning's real inventory of the fixture's database.
func (f *fixture) inventory() billing.Inventory {
	return provisioning.New(f.h, f.clock, f.bus, audit.New(f.h, f.clock), provisioning.Options{})
}

// billedOnce fails the test when any subject's period was invoiced on
// more than one invoice line that is not credited in full.
func (f *fixture) billedOnce() int {
	f.t.Helper()
	var rows []struct {
		SellerID, SubjectID int64
		SubjectKind         string
		PeriodStart         string
		N                   int
	}
	f.h.W.Raw(`SELECT c.seller_id, c.subject_kind, c.subject_id, l.period_start, COUNT(*) AS n
FROM invoice_lines l JOIN contracts c ON c.id = l.contract_id JOIN invoices i ON i.id = l.invoice_id
WHERE l.kind = 'recurring' AND i.kind = 'invoice' AND i.status <> 'cancelled'
GROUP BY c.seller_id, c.subject_kind, c.subject_id, l.period_start`).Scan(&rows)
	for _, r := range rows {
		if r.N != 1 {
			f.t.Fatalf("%s %d of seller %d: the period from %s is billed %d times", r.SubjectKind, r.SubjectID, r.SellerID, r.PeriodStart, r.N)
		}
	}
	return len(rows)
}

// badCase is a call that must fail with a field error on field.
type badCase struct {
	name  string
	field string
	call  func() error
}

// wantFieldErrors runs each case and fails unless it returns a field
// error on its field.
func wantFieldErrors(t *testing.T, cases []badCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var v *core.ValidationError
			if !errors.As(err, &v) || v.Fields[tc.field] == "" {
				t.Fatalf("err = %v, want a field error on %s", err, tc.field)
			}
			t.Logf("%s: %s", tc.field, v.Fields[tc.field])
		})
	}
}

// countRows counts the rows of each table.
func countRows(h *db.Handle, tables ...string) map[string]int64 {
	out := map[string]int64{}
	for _, tb := range tables {
		var n int64
		h.W.Table(tb).Count(&n)
		out[tb] = n
	}
	return out
}

// eachFixture runs fn on a fresh fixture on each database (SQLite, and
// MariaDB where configured), on Nov 2, 2026.
func eachFixture(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) { fn(t, newFixture(t, h, nov2)) })
}
