package ledger_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"faktura/billing"
	"faktura/billing/ledger"
	"faktura/panel/core/db/dbtest"
)

// BenchmarkDATEVExport measures the DATEV export of a month with n
// invoices (default 100,000; FAKTURA_BENCH_INVOICES sets it), each booked
// as the run books it: receivable, revenue and VAT, and a third of them
// paid. The export reads the journal, resolves the accounts from SKR 03,
// numbers the entries and writes the EXTF file; beside it, in the same
// run, the raw baseline writes the same rows (already strings) with
// encoding/csv alone. It prints rows/s of both and the ratio. SQLite
// always; MariaDB with FAKTURA_TEST_MYSQL_DSN (./test.sh --bench).
func BenchmarkDATEVExport(b *testing.B) {
	backends := []dbtest.Backend{dbtest.SQLite}
	if os.Getenv(dbtest.EnvDSN) != "" {
		backends = append(backends, dbtest.MariaDB)
	}
	n := 100_000
	if v, err := fmt.Sscan(os.Getenv("FAKTURA_BENCH_INVOICES"), &n); v != 1 || err != nil {
		n = 100_000
	}
	for _, backend := range backends {
		b.Run(string(backend), func(b *testing.B) {
			h := dbtest.Open(b, backend, sets)
			f := newFixture(b, h)
			f.seeded = true // the journal alone, without the documents it mirrors
			seedJournal(b, f, n)
			ctx := f.ctx()
			_, err := f.led.SaveBook(ctx, operator, 1, ledger.BookInput{Chart: "skr03", Options: map[string]map[string]string{"datev": {"consultant": "1001", "client": "1"}}})
			f.must(err)
			f.at("2026-11-02")
			in := ledger.ExportInput{Format: "datev", From: "2026-10"}
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				file, err := f.led.Export(ctx, operator, 1, in)
				if err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				b.StopTimer()
				rows := parseRows(b, file.Body)
				if len(rows) != n+(n+2)/3 {
					b.Fatalf("%d rows for %d invoices", len(rows), n)
				}
				base := csvBaseline(b, rows)
				write := writeOnly(b, f, in)
				b.StartTimer()
				r := float64(len(rows))
				b.ReportMetric(r/took.Seconds(), "rows/s")
				b.ReportMetric(r/write.Seconds(), "write-rows/s")
				b.ReportMetric(r/base.Seconds(), "csv-rows/s")
				b.ReportMetric(base.Seconds()/write.Seconds(), "write-ratio-to-csv")
				fmt.Printf("DATEV export %s: %d invoices, %d rows. Whole export (read, resolve, number, write, record): %v = %.0f rows/s. "+
					"Writing the file alone: %v = %.0f rows/s. encoding/csv alone, same rows: %v = %.0f rows/s. Ratio writing/csv %.2f, whole/csv %.3f\n",
					backend, n, len(rows), took.Round(time.Millisecond), r/took.Seconds(), write.Round(time.Millisecond), r/write.Seconds(),
					base.Round(time.Millisecond), r/base.Seconds(), base.Seconds()/write.Seconds(), base.Seconds()/took.Seconds())
			}
		})
	}
}

// seedJournal writes n invoice entries of October 2026 (119.00 to one of
// 50 customers) and a payment for every third, as the run and the
// payment module write them, in batches.
func seedJournal(b *testing.B, f *fixture, n int) {
	b.Helper()
	const batch = 2000
	for start := 0; start < n; start += batch {
		var es []billing.JournalEntry
		for i := start; i < min(n, start+batch); i++ {
			day := fmt.Sprintf("2026-10-%02d", 1+i%31)
			num := fmt.Sprintf("INV-2026-%07d", i+1)
			cust := int64(2 + i%4)
			e := billing.JournalEntry{SellerID: 1, Journal: billing.JournalSales, Kind: billing.EntryInvoice, SourceKey: billing.SourceKey("doc", int64(i+1)),
				DocNumber: num, DocDate: day, EntryDate: day, Currency: "EUR", CustomerID: cust, CustomerName: "Kunde GmbH",
				BuyerCountry: "DE", CostCentre: fmt.Sprintf("account:%d", i%50), Text: billing.EntryText(num, "Kunde GmbH"),
				Lines: []billing.JournalLine{billing.Debit(billing.RoleReceivable, 11900).For(num),
					billing.Credit(billing.RoleRevenue, 10000).Key("S:19:domestic"), billing.Credit(billing.RoleVAT, 1900).Key("S:19:domestic")}}
			es = append(es, e)
			if i%3 == 0 {
				es = append(es, billing.JournalEntry{SellerID: 1, Journal: billing.JournalBank, Kind: billing.EntryPayment, SourceKey: billing.SourceKey("payment", int64(i+1)),
					DocNumber: num, EntryDate: day, Currency: "EUR", CustomerID: cust, CustomerName: "Kunde GmbH", Text: billing.EntryText("Payment", num),
					Lines: []billing.JournalLine{billing.Debit(billing.RoleCash, 11900).Via("manual:bank_transfer"), billing.Credit(billing.RoleReceivable, 11900).For(num)}})
			}
		}
		f.must(f.h.WithTx(context.Background(), func(ctx context.Context) error { return f.bill.Post(ctx, es...) }))
	}
}

// parseRows reads a DATEV file's booking rows back as fields.
func parseRows(b *testing.B, body []byte) [][]string {
	b.Helper()
	text, err := charmap.Windows1252.NewDecoder().Bytes(body)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\r\n"), "\r\n")[2:]
	rows := make([][]string, len(lines))
	for i, l := range lines {
		rows[i] = strings.Split(l, ";")
		for j, c := range rows[i] {
			rows[i][j] = strings.Trim(c, `"`)
		}
	}
	return rows
}

// writeOnly times the DATEV plugin writing the batch (read beforehand)
// into a buffer: the formatting and encoding, without the database.
func writeOnly(b *testing.B, f *fixture, in ledger.ExportInput) time.Duration {
	b.Helper()
	format, batch, err := f.led.Batch(f.ctx(), operator, 1, &in)
	f.must(err)
	ex, err := format.New(batch.Options)
	f.must(err)
	var buf bytes.Buffer
	buf.Grow(len(batch.Entries) * 300)
	start := time.Now()
	f.must(ex.Write(&buf, batch))
	return time.Since(start)
}

// csvBaseline writes rows with encoding/csv (semicolons, CRLF) into a
// buffer, as a raw writer of the same file would.
func csvBaseline(b *testing.B, rows [][]string) time.Duration {
	b.Helper()
	var buf bytes.Buffer
	buf.Grow(len(rows) * 200)
	start := time.Now()
	w := csv.NewWriter(&buf)
	w.Comma, w.UseCRLF = ';', true
	if err := w.WriteAll(rows); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}
