package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"faktura/billing"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
	"faktura/provisioning"
)

// BenchmarkDailyRun measures the billing part of the daily run on
// MariaDB with FAKTURA_BENCH_CONTRACTS hosting accounts and their
// contracts (default 100,000; 1,000 customers), and prints:
//
//   - reconcile: the comparison of every live account with every open
//     contract (nothing to repair), in contracts per second;
//
//   - invoice: the invoice step (one finalized, numbered invoice with its
//     line per contract), in invoices per second, beside raw multi-row
//     INSERTs of the same invoice and line rows (the baseline, measured in
//     the same run) and their ratio;
//
//   - the whole run (reconcile, then invoicing) in one process and in two
//     processes at once on the same database (each a separate OS process
//     with FAKTURA_BENCH_WORKERS workers, default 1), and the speed-up,
//     beside the speed-up of the raw INSERTs with two writers instead of
//     one (the database's own scaling on this machine).
//
//     go test ./billing -run '^$' -bench DailyRun -benchtime 1x
func BenchmarkDailyRun(b *testing.B) {
	if os.Getenv(dbtest.EnvDSN) == "" {
		b.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	n := envInt("FAKTURA_BENCH_CONTRACTS", 100_000)
	workers := envInt("FAKTURA_BENCH_WORKERS", 1)
	for range b.N {
		h := dbtest.Open(b, dbtest.MariaDB, sets)
		clock, s := benchService(h, 4)
		seedContracts(b, h, clock.Now(), n)
		inv := provisioning.New(h, clock, nil, audit.New(h, clock), provisioning.Options{})

		start := time.Now()
		rep, err := s.Reconcile(context.Background(), inv, true)
		rec := time.Since(start)
		if err != nil || rep.Resources != n || rep.Contracts != n || rep.Opened+rep.Closed != 0 {
			b.Fatalf("reconcile = %+v, %v", rep, err)
		}
		start = time.Now()
		sum, err := s.InvoiceRun(context.Background(), mustDayB(b, "2026-11-02"))
		run := time.Since(start)
		if err != nil || sum.Invoices != n || sum.Finalized != n {
			b.Fatalf("run = %+v, %v", sum, err)
		}
		raw := rawInsert(b, h, 1)
		raw2 := rawInsert(b, h, 2)
		recRate, runRate, rawRate := float64(n)/rec.Seconds(), float64(n)/run.Seconds(), float64(n)/raw.Seconds()

		one := wholeRun(b, n, 1, workers)
		two := wholeRun(b, n, 2, workers)
		b.ReportMetric(recRate, "reconciled/s")
		b.ReportMetric(runRate, "invoices/s")
		b.ReportMetric(rawRate, "raw-invoices/s")
		b.ReportMetric(100*runRate/rawRate, "%-of-raw")
		b.ReportMetric(one.Seconds()/two.Seconds(), "x-2-processes")
		b.ReportMetric(raw.Seconds()/raw2.Seconds(), "x-2-raw-writers")
		b.Logf("%d contracts of 1,000 customers on MariaDB:", n)
		b.Logf("  reconcile     %8v  %8.0f contracts/s  (%.1fx the invoice step's rate)", rec.Round(time.Millisecond), recRate, recRate/runRate)
		b.Logf("  invoice step  %8v  %8.0f invoices/s (4 workers, %d retried transactions)", run.Round(time.Millisecond), runRate, sum.Retries)
		b.Logf("  raw INSERT    %8v  %8.0f rows/s     (invoice step at %.0f%% of raw)", raw.Round(time.Millisecond), rawRate, 100*runRate/rawRate)
		b.Logf("  whole run, 1 process    %8v (%d worker each)", one.Round(time.Millisecond), workers)
		b.Logf("  whole run, 2 processes  %8v: %.2fx faster", two.Round(time.Millisecond), one.Seconds()/two.Seconds())
		b.Logf("  raw INSERT, 2 writers   %8v: %.2fx faster than 1 writer (the database's own ceiling here)", raw2.Round(time.Millisecond), raw.Seconds()/raw2.Seconds())
	}
}

// BenchmarkCrossBorderRun measures the invoice step for consumers in
// another member state (France, from a German seller: the Art. 59c tally
// decides each invoice, and the crossing one under a lock on the seller)
// against the same run for domestic consumers, in the same run.
func BenchmarkCrossBorderRun(b *testing.B) {
	if os.Getenv(dbtest.EnvDSN) == "" {
		b.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	n := envInt("FAKTURA_BENCH_CONTRACTS", 20_000)
	for range b.N {
		rate := map[string]float64{}
		for _, country := range []string{"DE", "FR"} {
			h := dbtest.Open(b, dbtest.MariaDB, sets)
			_, s := benchService(h, 4)
			seedContractsIn(b, h, nov2, n, country)
			start := time.Now()
			sum, err := s.InvoiceRun(context.Background(), mustDayB(b, "2026-11-02"))
			took := time.Since(start)
			if err != nil || sum.Invoices != n || sum.Finalized != n {
				b.Fatalf("%s run = %+v, %v", country, sum, err)
			}
			var bases []struct {
				TaxBasis string
				N        int
			}
			h.W.Raw(`SELECT tax_basis, COUNT(*) AS n FROM invoices GROUP BY tax_basis ORDER BY tax_basis`).Scan(&bases)
			rate[country] = float64(n) / took.Seconds()
			b.Logf("  %s consumers: %8v  %8.0f invoices/s  %+v", country, took.Round(time.Millisecond), rate[country], bases)
		}
		b.ReportMetric(rate["DE"], "domestic-invoices/s")
		b.ReportMetric(rate["FR"], "cross-border-invoices/s")
		b.ReportMetric(100*rate["FR"]/rate["DE"], "%-of-domestic")
	}
}

const benchChildEnv = "FAKTURA_BENCH_CHILD"

// wholeRun seeds a fresh database, then starts procs OS processes that
// each run reconcile and the invoice step on it, and returns the time
// from their start until the last finished; it checks that every
// contract was invoiced once.
func wholeRun(b *testing.B, n, procs, workers int) time.Duration {
	opts := dbtest.Options(b, dbtest.MariaDB)
	h := dbtest.OpenWith(b, opts, sets)
	seedContracts(b, h, nov2, n)
	cmds := make([]*exec.Cmd, procs)
	outs := make([]strings.Builder, procs)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestBenchChild$")
		cmds[i].Env = append(os.Environ(), benchChildEnv+"="+strconv.Itoa(workers)+"|"+opts.DSN)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
	}
	start := time.Now()
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			b.Fatalf("process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	took := time.Since(start)
	var invoices, lines int64
	h.W.Table("invoices").Where("status = ?", billing.InvoiceStatusFinalized).Count(&invoices)
	h.W.Table("billed_periods").Count(&lines)
	if invoices != int64(n) || lines != int64(n) {
		b.Fatalf("%d processes made %d finalized invoices billing %d periods, want %d", procs, invoices, lines, n)
	}
	var each []string
	for i := range outs {
		each = append(each, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(outs[i].String()), "PASS")))
	}
	b.Logf("  %d process(es): %s", procs, strings.Join(each, " "))
	return took
}

// TestBenchChild is a process of wholeRun: it runs reconcile and the
// invoice step on the database it is given and prints what it did.
func TestBenchChild(t *testing.T) {
	env := os.Getenv(benchChildEnv)
	if env == "" {
		t.Skip("a process of BenchmarkDailyRun")
	}
	w, dsn, _ := strings.Cut(env, "|")
	workers, _ := strconv.Atoi(w)
	h := openDSN(t, dsn)
	clock, s := benchService(h, workers)
	inv := provisioning.New(h, clock, nil, audit.New(h, clock), provisioning.Options{})
	start := time.Now()
	rep, shared, err := s.ReconcileDay(context.Background(), inv, mustDay(t, "2026-11-02"))
	if err != nil {
		t.Fatal(err)
	}
	rec := time.Since(start)
	sum, err := s.InvoiceRun(context.Background(), mustDay(t, "2026-11-02"))
	if err != nil || sum.Failed > 0 {
		t.Fatalf("run = %+v, %v", sum, err)
	}
	out, _ := json.Marshal(map[string]any{"reconcile_ms": rec.Milliseconds(), "resources": rep.Resources, "reconciled_by_other": shared, "invoices": sum.Invoices,
		"skipped": sum.Skipped, "retries": sum.Retries, "run_ms": time.Since(start).Milliseconds() - rec.Milliseconds()})
	fmt.Println(string(out))
}

// openDSN opens a MariaDB database another process named.
func openDSN(t *testing.T, dsn string) *db.Handle {
	h, err := db.Open(context.Background(), db.Options{Driver: db.MySQL, DSN: dsn, MaxOpenConns: 8, MaxIdleConns: 8, ConnMaxLife: time.Hour, ConnTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func mustDayB(b *testing.B, s string) billing.Date {
	d, err := billing.ParseDay("day", s)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func benchService(h *db.Handle, workers int) (*runningClock, *billing.Service) {
	c := &runningClock{base: nov2, start: time.Now()}
	return c, billing.New(h, c, audit.New(h, c), settings.NewStore(h, c), billing.Options{Log: quiet(), RunWorkers: workers})
}

// runningClock starts on Nov 2 and runs at the wall clock's pace, as
// the system clock does in production (leases and claims compare times).
type runningClock struct {
	base, start time.Time
}

func (c *runningClock) Now() time.Time { return c.base.Add(time.Since(c.start)) }

// seedContracts inserts the operator's profile, product, server and
// package, 1,000 German clients with profiles, and n live hosting
// accounts with their monthly contracts due on Nov 2, each its own
// subproject.
func seedContracts(tb testing.TB, h *db.Handle, now time.Time, n int) {
	seedContractsIn(tb, h, now, n, "DE")
}

// seedContractsIn is seedContracts with the clients in country.
func seedContractsIn(tb testing.TB, h *db.Handle, now time.Time, n int, country string) {
	g := h.W.Session(&gorm.Session{CreateBatchSize: 1000})
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(g.Create(&billing.Profile{TenantID: 1, TenantPath: "/1/", LegalName: "Operator GmbH", Country: "DE", VATID: "DE136695976", CreatedAt: now, UpdatedAt: now}).Error)
	p := billing.Product{SellerID: 1, Code: "basic", Name: "Basic hosting", Kind: billing.KindHosting, MatchCode: "basic", Active: true, CreatedAt: now, UpdatedAt: now}
	must(g.Create(&p).Error)
	must(g.Create(&billing.Price{ProductID: p.ID, Currency: "EUR", Cycle: billing.CycleMonthly, AmountMinor: 1000}).Error)
	must(g.Table("servers").Create(map[string]any{"id": 1, "name": "web1", "driver": "noop", "settings": "{}", "created_at": now, "updated_at": now}).Error)
	must(g.Table("packages").Create(map[string]any{"id": 1, "tenant_id": 1, "code": "basic", "name": "Basic", "disk_mb": 0, "traffic_mb": 0,
		"max_domains": 0, "max_subdomains": 0, "created_at": now, "updated_at": now}).Error)
	const customers = 1000
	var tenants []map[string]any
	var profiles []billing.Profile
	for i := range customers {
		id := int64(i + 2)
		path := fmt.Sprintf("/1/%d/", id)
		tenants = append(tenants, map[string]any{"id": id, "kind": "client", "parent_id": 1, "path": path,
			"name": fmt.Sprintf("Client %d", i), "email": "", "country": country, "language": "en", "status": "active", "created_at": now, "updated_at": now})
		profiles = append(profiles, billing.Profile{TenantID: id, TenantPath: path, LegalName: fmt.Sprintf("Client %d GmbH", i),
			Country: country, City: "Berlin", CreatedAt: now, UpdatedAt: now})
	}
	must(g.Table("tenants").Create(tenants).Error)
	must(g.Create(&profiles).Error)
	for lo := 0; lo < n; lo += 10_000 {
		hi := min(n, lo+10_000)
		accounts := make([]map[string]any, 0, hi-lo)
		cs := make([]billing.Contract, 0, hi-lo)
		for i := lo; i < hi; i++ {
			id, cust := int64(i+1), int64(i%customers+2)
			path, user := fmt.Sprintf("/1/%d/", cust), fmt.Sprintf("user%d", i)
			accounts = append(accounts, map[string]any{"id": id, "tenant_id": cust, "tenant_path": path, "seller_id": 1, "package_id": 1, "server_id": 1,
				"username": user, "username_key": user, "disk_mb": 0, "traffic_mb": 0, "state": "active", "target": "active", "created_at": now, "updated_at": now})
			key := fmt.Sprintf("1:account:%d", id)
			cs = append(cs, billing.Contract{SellerID: 1, CustomerID: cust, CustomerPath: path, Subproject: fmt.Sprintf("account:%d", id),
				SubprojectName: user, SubjectKind: billing.SubjectAccount, SubjectID: id, SubjectName: user, ProductID: p.ID, Currency: "EUR",
				Cycle: billing.CycleMonthly, UnitMinor: 1000, AnchorDay: 2, StartDate: "2026-11-02", NextDue: "2026-11-02",
				Status: billing.ContractActive, OpenKey: &key, CreatedAt: now, UpdatedAt: now})
		}
		must(g.Table("accounts").Create(accounts).Error)
		must(g.Create(&cs).Error)
	}
}

// rawInsert copies the run's invoice and line rows into trigger-less
// copies of the tables with multi-row INSERTs of 1,000 rows per
// statement and transaction, split among writers connections working at
// once, and returns how long that took.
func rawInsert(b *testing.B, h *db.Handle, writers int) time.Duration {
	sqlDB := h.SQL()
	suffix := strconv.Itoa(writers)
	for _, st := range []string{"CREATE TABLE raw_invoices" + suffix + " LIKE invoices", "CREATE TABLE raw_invoice_lines" + suffix + " LIKE invoice_lines"} {
		if _, err := sqlDB.Exec(st); err != nil {
			b.Fatal(err)
		}
	}
	invCols := []string{"id", "seller_id", "customer_id", "customer_path", "kind", "subproject", "status", "number", "seq", "currency", "language",
		"issue_date", "due_date", "period_start", "period_end", "net_minor", "tax_minor", "total_minor", "taxes", "seller", "buyer", "created_by",
		"finalized_at", "created_at", "updated_at"}
	lineCols := []string{"id", "invoice_id", "position", "contract_id", "section", "kind", "description", "quantity", "unit_price", "net_minor",
		"tax_category", "tax_rate", "period_start", "period_end", "created_at"}
	invRows := readRows(b, h, "invoices", invCols)
	lineRows := readRows(b, h, "invoice_lines", lineCols)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			part := func(rows [][]any) [][]any {
				per := (len(rows) + writers - 1) / writers
				return rows[min(len(rows), w*per):min(len(rows), (w+1)*per)]
			}
			insertRows(b, h, "raw_invoices"+suffix, invCols, part(invRows))
			insertRows(b, h, "raw_invoice_lines"+suffix, lineCols, part(lineRows))
		})
	}
	wg.Wait()
	return time.Since(start)
}

func readRows(b *testing.B, h *db.Handle, table string, cols []string) [][]any {
	rows, err := h.SQL().Query("SELECT " + strings.Join(cols, ", ") + " FROM " + table + " ORDER BY id")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		out = append(out, vals)
	}
	return out
}

func insertRows(b *testing.B, h *db.Handle, table string, cols []string, rows [][]any) {
	ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	for i := 0; i < len(rows); i += 1000 {
		batch := rows[i:min(i+1000, len(rows))]
		args := make([]any, 0, len(batch)*len(cols))
		for _, r := range batch {
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(ph+",", len(batch)), ",")
		tx, err := h.SQL().Begin()
		if err != nil {
			b.Error(err)
			return
		}
		if _, err := tx.Exec(q, args...); err != nil {
			b.Error(err)
			tx.Rollback()
			return
		}
		if err := tx.Commit(); err != nil {
			b.Error(err)
			return
		}
	}
}

// TestBenchSeed fills the database FAKTURA_BENCH_SEED names
// ("N|dsn") as BenchmarkDailyRun does, for trials by hand: then start
// processes of TestBenchChild on it, on one server or on several Galera
// nodes.
func TestBenchSeed(t *testing.T) {
	env := os.Getenv("FAKTURA_BENCH_SEED")
	if env == "" {
		t.Skip("fills a database for trials by hand (FAKTURA_BENCH_SEED=N|dsn)")
	}
	n, dsn, _ := strings.Cut(env, "|")
	nn, _ := strconv.Atoi(n)
	h := openDSN(t, dsn)
	if _, err := h.Migrate(context.Background(), sets, quiet()); err != nil {
		t.Fatal(err)
	}
	seedContracts(t, h, nov2, nn)
}
