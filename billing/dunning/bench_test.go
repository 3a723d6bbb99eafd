package dunning_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/dunning"
	"faktura/panel/core"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/tenancy"
)

// BenchmarkDunning runs the dunning step over FAKTURA_BENCH_INVOICES
// (100,000) open invoices on MariaDB, on the day after their due date
// (each gets its -7 reminder recorded as superseded and its +1 reminder
// queued as a mail), and again the same day (nothing left to do), and
// prints invoices per second beside a raw SELECT of the same rows
// measured in the same run.
//
//	./test.sh --bench   (or FAKTURA_TEST_MYSQL_DSN=... go test ./billing/dunning -run '^$' -bench Dunning -benchtime 1x)
func BenchmarkDunning(b *testing.B) {
	if len(dbtest.Backends(b)) < 2 {
		b.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("FAKTURA_BENCH_INVOICES")); err == nil && v > 0 {
		n = v
	}
	h := dbtest.Open(b, dbtest.MariaDB, sets)
	f := newFixture(b, h, func(su *setup) { su.dunning.Batch = dunning.DefaultBatch })
	f.account(f.c, "kunde")
	tpl := f.invoice("2026-12-01", f.c)
	// 200 customers share the invoices; each invoice is the template's
	// copy with a number of its own.
	first := int64(0)
	for i := range 200 {
		sc := dbtest.Tenant(b, h, f.clock.Now(), tenancy.KindClient, operator, fmt.Sprintf("Bench customer %03d", i))
		if i == 0 {
			first = sc.TenantID
		}
	}
	digits := "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
	cols := "seller_id, kind, subproject, status, currency, language, issue_date, due_date, period_start, period_end, net_minor, tax_minor, total_minor, paid_minor, credited_minor, taxes, seller, buyer, flags, hold_reason, reason, created_by, approved_by, finalized_at, created_at, updated_at"
	start := time.Now()
	for done := 0; done < n; done += 100_000 {
		count := min(100_000, n-done)
		q := fmt.Sprintf(`INSERT INTO invoices (customer_id, customer_path, number, seq, %s)
SELECT %d + MOD(x.n, 200), CONCAT('/1/', %d + MOD(x.n, 200), '/'), CONCAT('BENCH-', x.n), 1000000 + x.n, %s FROM invoices t
JOIN (SELECT a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d + %d AS n FROM %s a, %s b, %s c, %s d, %s e) x
WHERE t.id = %d AND x.n < %d`, cols, first, first, prefixed(cols), done, digits, digits, digits, digits, digits, tpl.ID, done+count)
		f.must(h.W.Exec(q).Error)
	}
	f.must(h.W.Exec("ANALYZE TABLE invoices").Error)
	b.Logf("seeded %d invoices in %s", n, time.Since(start).Round(time.Millisecond))
	day := core.Date{Year: 2026, Month: 12, Day: 16}
	f.at(day.String())
	_, err := f.bill.MarkOverdue(context.Background(), day)
	f.must(err)
	total := int64(n) + 1

	for b.Loop() {
		// The raw baseline: the same rows, the same columns, one query.
		t0 := time.Now()
		rows, err := h.W.Raw("SELECT id, seller_id, customer_id, customer_path, kind, status, currency, due_date, total_minor, paid_minor, credited_minor, flags FROM invoices WHERE kind = ? AND status IN ? AND due_date <= ? ORDER BY id",
			billing.DocInvoice, []string{"finalized", "partially_paid", "overdue"}, "2026-12-23").Rows()
		f.must(err)
		var got int64
		for rows.Next() {
			var inv billing.Invoice
			f.must(rows.Scan(&inv.ID, &inv.SellerID, &inv.CustomerID, &inv.CustomerPath, &inv.Kind, &inv.Status, &inv.Currency, &inv.DueDate,
				&inv.TotalMinor, &inv.PaidMinor, &inv.CreditedMinor, &inv.Flags))
			got++
		}
		rows.Close()
		raw := float64(got) / time.Since(t0).Seconds()

		t1 := time.Now()
		sum, err := f.dun.Run(context.Background(), day)
		f.must(err)
		run := float64(total) / time.Since(t1).Seconds()
		if sum.Invoices != total || sum.Reminders != total || sum.Failed > 0 {
			b.Fatalf("the run chased %d invoices (%d reminders, %d failed) of %d", sum.Invoices, sum.Reminders, sum.Failed, total)
		}
		t2 := time.Now()
		again, err := f.dun.Run(context.Background(), day)
		f.must(err)
		rerun := float64(total) / time.Since(t2).Seconds()
		if again.Steps != 0 {
			b.Fatalf("the second run did %d steps", again.Steps)
		}
		fmt.Printf("dunning %d open invoices on MariaDB: raw SELECT %.0f rows/s; first run (2 steps and a reminder mail each) %.0f invoices/s (%.2f%% of raw); second run (nothing due) %.0f invoices/s (%.1f%% of raw)\n",
			total, raw, run, 100*run/raw, rerun, 100*rerun/raw)
		b.ReportMetric(run, "invoices/s")
		b.ReportMetric(rerun, "rerun_invoices/s")
		b.ReportMetric(raw, "raw_rows/s")
	}
}

// prefixed names each column of cols in the template t.
func prefixed(cols string) string {
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		parts[i] = "t." + p
	}
	return strings.Join(parts, ", ")
}
