package billing_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"faktura/billing"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
)

// BenchmarkInvoiceRun creates FAKTURA_BENCH_CONTRACTS contracts (default
// 100,000) on MariaDB, runs the invoice step (one finalized, numbered
// invoice with its line per contract), then inserts the same invoice and
// line rows into copies of the tables with plain multi-row INSERTs of
// 1,000 rows, and reports both rates and their ratio:
//
//	go test ./billing -run '^$' -bench InvoiceRun -benchtime 1x
func BenchmarkInvoiceRun(b *testing.B) {
	if os.Getenv(dbtest.EnvDSN) == "" {
		b.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("FAKTURA_BENCH_CONTRACTS")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		h := dbtest.Open(b, dbtest.MariaDB, sets)
		clock, s := benchService(h)
		seedContracts(b, h, clock.Now(), n)
		start := time.Now()
		sum, err := s.InvoiceRun(context.Background(), mustDayB(b, "2026-11-02"))
		run := time.Since(start)
		if err != nil || sum.Invoices != n || sum.Finalized != n {
			b.Fatalf("run = %+v, %v", sum, err)
		}
		raw := rawInsert(b, h)
		runRate := float64(n) / run.Seconds()
		rawRate := float64(n) / raw.Seconds()
		b.ReportMetric(runRate, "invoices/s")
		b.ReportMetric(rawRate, "raw-invoices/s")
		b.ReportMetric(100*runRate/rawRate, "%-of-raw")
		b.Logf("%d contracts: invoice step %v (%.0f invoices/s); raw INSERT of the same rows %v (%.0f/s); ratio %.0f%%",
			n, run.Round(time.Millisecond), runRate, raw.Round(time.Millisecond), rawRate, 100*runRate/rawRate)
	}
}

func mustDayB(b *testing.B, s string) billing.Date {
	d, err := billing.ParseDay("day", s)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func benchService(h *db.Handle) (*fixedClock, *billing.Service) {
	c := &fixedClock{nov2}
	return c, billing.New(h, c, audit.New(h, c), settings.NewStore(h, c), billing.Options{Log: quiet()})
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

// seedContracts inserts the operator's profile and product, 1,000 German
// clients with profiles, and n monthly contracts due on Nov 2, each its
// own subproject.
func seedContracts(b *testing.B, h *db.Handle, now time.Time, n int) {
	g := h.W.Session(&gorm.Session{CreateBatchSize: 1000})
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(g.Create(&billing.Profile{TenantID: 1, TenantPath: "/1/", LegalName: "Operator GmbH", Country: "DE", VATID: "DE136695976", CreatedAt: now, UpdatedAt: now}).Error)
	p := billing.Product{SellerID: 1, Code: "basic", Name: "Basic hosting", Kind: billing.KindHosting, MatchCode: "basic", Active: true, CreatedAt: now, UpdatedAt: now}
	must(g.Create(&p).Error)
	const customers = 1000
	var tenants []map[string]any
	for i := range customers {
		tenants = append(tenants, map[string]any{"id": i + 2, "kind": "client", "parent_id": 1, "path": fmt.Sprintf("/1/%d/", i+2),
			"name": fmt.Sprintf("Client %d", i), "email": "", "country": "DE", "language": "en", "status": "active", "created_at": now, "updated_at": now})
	}
	must(g.Table("tenants").Create(tenants).Error)
	var profiles []billing.Profile
	for i := range customers {
		profiles = append(profiles, billing.Profile{TenantID: int64(i + 2), TenantPath: fmt.Sprintf("/1/%d/", i+2), LegalName: fmt.Sprintf("Client %d GmbH", i),
			Country: "DE", City: "Berlin", CreatedAt: now, UpdatedAt: now})
	}
	must(g.Create(&profiles).Error)
	cs := make([]billing.Contract, n)
	for i := range cs {
		cust := int64(i%customers + 2)
		cs[i] = billing.Contract{SellerID: 1, CustomerID: cust, CustomerPath: fmt.Sprintf("/1/%d/", cust), Subproject: fmt.Sprintf("account:%d", i+1),
			SubprojectName: fmt.Sprintf("user%d", i), SubjectKind: billing.SubjectAccount, SubjectID: int64(i + 1), SubjectName: fmt.Sprintf("user%d", i),
			ProductID: p.ID, Currency: "EUR", Cycle: billing.CycleMonthly, UnitMinor: 1000, AnchorDay: 2, StartDate: "2026-11-02", NextDue: "2026-11-02",
			Status: billing.ContractActive, CreatedAt: now, UpdatedAt: now}
	}
	must(g.Create(&cs).Error)
}

// rawInsert copies the run's invoice and line rows into trigger-less
// copies of the tables with multi-row INSERTs of 1,000 rows per
// statement and transaction, and returns how long that took.
func rawInsert(b *testing.B, h *db.Handle) time.Duration {
	sqlDB := h.SQL()
	for _, st := range []string{"CREATE TABLE raw_invoices LIKE invoices", "CREATE TABLE raw_invoice_lines LIKE invoice_lines"} {
		if _, err := sqlDB.Exec(st); err != nil {
			b.Fatal(err)
		}
	}
	invCols := []string{"id", "seller_id", "customer_id", "customer_path", "kind", "subproject", "status", "number", "seq", "currency", "language",
		"issue_date", "due_date", "period_start", "period_end", "net_minor", "tax_minor", "total_minor", "taxes", "seller", "buyer", "created_by",
		"finalized_at", "created_at", "updated_at"}
	lineCols := []string{"id", "invoice_id", "position", "contract_id", "section", "kind", "description", "quantity", "unit_price", "net_minor",
		"tax_category", "tax_rate", "period_start", "period_end", "billing_key", "created_at"}
	invRows := readRows(b, h, "invoices", invCols)
	lineRows := readRows(b, h, "invoice_lines", lineCols)
	start := time.Now()
	insertRows(b, h, "raw_invoices", invCols, invRows)
	insertRows(b, h, "raw_invoice_lines", lineCols, lineRows)
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
			b.Fatal(err)
		}
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
