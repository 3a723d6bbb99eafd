package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"faktura/billing"
	"faktura/billing/ledger"
	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\nwant " + a + "\ngot  " + b
		}
	}
	return ""
}

func fieldErr(err error, name string) string {
	var v *core.ValidationError
	if errors.As(err, &v) {
		return v.Fields[name]
	}
	return ""
}

// TestMonthExports: one month of the operator's books (S, AE and O
// invoices, a credit note, a payment, a partial payment, an overpayment
// refunded, a late fee, a write-off) exported as a DATEV batch, a CSV
// journal and a FEC, each equal to its golden file; the FEC passes the
// French test tool's checks; the month closes, after which its export is
// the same file every time and nothing posts into it.
func TestMonthExports(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		docs := f.month()
		f.at("2026-11-02")
		ctx := f.ctx()
		oct := ledger.ExportInput{Format: "datev", From: "2026-10", To: "2026-10"}

		// No chart yet: the export names what is missing.
		_, err := f.led.Export(ctx, operator, 1, oct)
		msg := fieldErr(err, "chart")
		for _, want := range []string{"receivable", "revenue|domestic:19", "revenue|reverse_charge:0", "revenue|outside_eu:0", "vat|domestic:19",
			"cash|manual:bank_transfer", "customer_credit", "bad_debt|domestic:19", "revenue|damages:0"} {
			if !strings.Contains(msg, want) {
				t.Errorf("export without a chart: %q does not name %s", msg, want)
			}
		}
		// A custom chart with one account: the rest is named.
		_, err = f.led.SaveBook(ctx, operator, 1, ledger.BookInput{Chart: "custom", Accounts: []ledger.OwnAccount{{MatchKey: "receivable", Account: "1400"}}})
		f.must(err)
		_, err = f.led.Export(ctx, operator, 1, ledger.ExportInput{Format: "csv", From: "2026-10"})
		if msg := fieldErr(err, "accounts"); !strings.Contains(msg, "revenue|domestic:19") || strings.Contains(msg, "receivable") {
			t.Errorf("custom chart missing accounts: %q", msg)
		}
		// SKR 03 without DATEV's numbers: the options are named.
		_, err = f.led.SaveBook(ctx, operator, 1, ledger.BookInput{Chart: "skr03"})
		f.must(err)
		if _, err = f.led.Export(ctx, operator, 1, oct); fieldErr(err, "options.datev.consultant") == "" || fieldErr(err, "options.datev.client") == "" {
			t.Errorf("DATEV export without consultant and client numbers: %v", err)
		}
		_, err = f.led.SaveBook(ctx, operator, 1, ledger.BookInput{Chart: "skr03",
			Options: map[string]map[string]string{"datev": {"consultant": "1001", "client": "42"}}})
		f.must(err)

		datev, err := f.led.Export(ctx, operator, 1, oct)
		f.must(err)
		if datev.Name != "EXTF_Buchungsstapel_20261001_20261031.csv" || datev.Record.Closed || datev.Record.Entries != 11 {
			t.Errorf("DATEV export %s, %+v", datev.Name, datev.Record)
		}
		golden(t, "datev_2026-10.csv", datev.Body)
		checkDATEV(t, datev.Body, docs)
		csv, err := f.led.Export(ctx, operator, 1, ledger.ExportInput{Format: "csv", From: "2026-10"})
		f.must(err)
		golden(t, "journal_2026-10.csv", csv.Body)

		// The same books with the French chart, as a FEC.
		_, err = f.led.SaveBook(ctx, operator, 1, ledger.BookInput{Chart: "pcg"})
		f.must(err)
		fec, err := f.led.Export(ctx, operator, 1, ledger.ExportInput{Format: "fec", From: "2026-10"})
		f.must(err)
		golden(t, "fec_2026-10.txt", fec.Body)
		checkFEC(t, fec.Body)

		// Close October.
		if _, err := f.led.Close(ctx, operator, 1, "2026-11"); fieldErr(err, "month") == "" {
			t.Errorf("closing a month not yet over: %v", err)
		}
		book, err := f.led.Close(ctx, operator, 1, "2026-10")
		f.must(err)
		if book.ClosedThrough != "2026-10" || !book.Months[0].Closed {
			t.Fatalf("books after closing: %+v", book)
		}
		if _, err := f.led.Close(ctx, operator, 1, "2026-10"); !errors.Is(err, core.ErrPrecondition) || !strings.Contains(err.Error(), "closed already") {
			t.Errorf("closing October twice: %v", err)
		}
		// A closed month exports the same bytes every time, whatever the
		// chart says now.
		first, err := f.led.Export(ctx, operator, 1, ledger.ExportInput{Format: "fec", From: "2026-10"})
		f.must(err)
		checkFEC(t, first.Body)
		_, err = f.led.SaveBook(ctx, operator, 1, ledger.BookInput{Chart: "generic"})
		f.must(err)
		f.clock.Set(f.clock.Now().Add(26 * 3600e9))
		again, err := f.led.Export(ctx, operator, 1, ledger.ExportInput{Format: "fec", From: "2026-10"})
		f.must(err)
		if !first.Record.Closed || again.Record.SHA256 != first.Record.SHA256 || again.SameAs != first.Record.ID || again.DiffersFrom != 0 {
			t.Errorf("re-export of the closed month: %+v same as %d differs from %d; first %+v", again.Record, again.SameAs, again.DiffersFrom, first.Record)
		}
		if !bytes.Contains(first.Body, []byte("411000")) || bytes.Contains(first.Body, []byte("\t1100\t")) {
			t.Error("the closed month's FEC should keep the PCG accounts it closed with")
		}

		// Nothing posts into October any more.
		var entries int64
		h.W.Table("journal_entries").Where("period = ?", "2026-10").Count(&entries)
		draftOct := f.draftOn("2026-10-31", "Nachberechnung Oktober", "10.00")
		f.at("2026-11-03")
		if _, err := f.bill.Finalize(ctx, operator, draftOct.ID); !errors.Is(err, core.ErrPrecondition) || !strings.Contains(err.Error(), "books are closed") {
			t.Errorf("finalizing a draft dated in the closed month: %v", err)
		}
		err = h.WithTx(ctx, func(ctx context.Context) error {
			return f.bill.Post(ctx, billing.JournalEntry{SellerID: 1, Journal: billing.JournalSales, Kind: billing.EntryInvoice, DocNumber: "X-1",
				EntryDate: "2026-10-15", Currency: "EUR", Lines: []billing.JournalLine{billing.Debit(billing.RoleReceivable, 100), billing.Credit(billing.RoleRevenue, 100)}})
		})
		if !errors.Is(err, core.ErrPrecondition) || !strings.Contains(err.Error(), "closed accounting period") {
			t.Errorf("posting a document into the closed month: %v", err)
		}
		// A payment received on 30 October, recorded in November, is a
		// late correction: booked on 1 November.
		p := f.paid(f.de, "45.20", "2026-10-30", "Rest", map[int64]string{docs["s"].ID: "45.20"})
		var late billing.JournalEntry
		f.must(h.W.Where("source_key = ?", "payment:"+strconv.FormatInt(p.ID, 10)).Take(&late).Error)
		if late.Period != "2026-11" || late.EntryDate != "2026-11-01" {
			t.Errorf("late payment booked on %s in %s, want 2026-11-01", late.EntryDate, late.Period)
		}
		var after int64
		h.W.Table("journal_entries").Where("period = ?", "2026-10").Count(&after)
		if after != entries {
			t.Errorf("October has %d entries after closing, had %d", after, entries)
		}
		// The database refuses a change to a posted entry.
		if err := h.W.Exec("UPDATE journal_lines SET debit_minor = debit_minor + 1 WHERE id = (SELECT MIN(id) FROM journal_lines)").Error; err == nil ||
			!strings.Contains(err.Error(), "append-only") {
			t.Errorf("changing a journal line: %v", err)
		}
		if err := h.W.Exec("DELETE FROM journal_entries").Error; err == nil {
			t.Error("deleting journal entries succeeded")
		}
		var audited int64
		h.W.Table("audit_log").Where("action = ?", "ledger.close").Count(&audited)
		if audited != 1 {
			t.Errorf("%d ledger.close audit entries, want 1", audited)
		}
	})
}

// draftOn makes a draft dated day (the clock set there, then left).
func (f *fixture) draftOn(day, desc, amount string) billing.Invoice {
	f.t.Helper()
	now := f.clock.Now()
	f.at(day)
	inv, err := f.bill.CreateInvoice(f.ctx(), operator, billing.InvoiceInput{CustomerID: f.de.TenantID, Currency: "EUR",
		Lines: []billing.LineInput{{Description: desc, Quantity: "1", UnitPrice: amount}}})
	f.must(err)
	f.clock.Set(now)
	return inv
}

// checkFEC applies the checks of the French administration's test tool
// (Test Compta Demat) that a file's shape decides: 18 columns named and
// ordered as article A47 A-1 gives them, dates as yyyyMMdd, amounts with
// a decimal comma, debit = credit per entry (EcritureNum of a journal),
// entry numbers continuous from 1 per journal, and no line both debit and
// credit.
func checkFEC(t *testing.T, body []byte) {
	t.Helper()
	text, err := charmap.ISO8859_15.NewDecoder().Bytes(body)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\r\n"), "\r\n")
	want := "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise"
	if lines[0] != want {
		t.Fatalf("FEC header %q", lines[0])
	}
	type key struct{ journal, num string }
	sums := map[key]int64{}
	nums := map[string][]int{}
	for i, l := range lines[1:] {
		c := strings.Split(l, "\t")
		if len(c) != 18 {
			t.Fatalf("FEC line %d has %d columns: %q", i+2, len(c), l)
		}
		for _, col := range []int{3, 9, 15} {
			if !isDate(c[col]) {
				t.Errorf("FEC line %d: %s %q is not yyyyMMdd", i+2, strings.Split(want, "\t")[col], c[col])
			}
		}
		if c[0] == "" || c[2] == "" || c[4] == "" || c[5] == "" || c[8] == "" || c[10] == "" {
			t.Errorf("FEC line %d leaves a mandatory column empty: %q", i+2, l)
		}
		if (c[6] == "") != (c[7] == "") {
			t.Errorf("FEC line %d: CompAuxNum and CompAuxLib go together: %q", i+2, l)
		}
		d, cr := amountOf(t, c[11]), amountOf(t, c[12])
		if d != 0 && cr != 0 || d < 0 || cr < 0 {
			t.Errorf("FEC line %d: debit %s, credit %s", i+2, c[11], c[12])
		}
		k := key{c[0], c[2]}
		sums[k] += d - cr
		n, err := strconv.Atoi(c[2])
		if err != nil {
			t.Errorf("FEC line %d: EcritureNum %q", i+2, c[2])
		}
		if s := nums[c[0]]; len(s) == 0 || s[len(s)-1] != n {
			nums[c[0]] = append(s, n)
		}
	}
	for k, s := range sums {
		if s != 0 {
			t.Errorf("FEC entry %s %s: debit - credit = %d", k.journal, k.num, s)
		}
	}
	for j, s := range nums {
		for i, n := range s {
			if n != i+1 {
				t.Errorf("FEC journal %s: entry numbers %v are not continuous from 1", j, s)
				break
			}
		}
	}
	if len(nums) != 3 {
		t.Errorf("FEC journals %v, want VT, BQ and OD", nums)
	}
}

func isDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	_, err := strconv.Atoi(s)
	return err == nil && s[4:6] >= "01" && s[4:6] <= "12" && s[6:] >= "01" && s[6:] <= "31"
}

// amountOf reads "119,00" as minor units.
func amountOf(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, ok := strings.Cut(s, ",")
	if !ok || len(frac) != 2 {
		t.Errorf("amount %q: want a decimal comma and two decimals", s)
		return 0
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		t.Errorf("amount %q: %v", s, err)
	}
	return n
}

// checkDATEV: the header record names the format, version, consultant,
// client, fiscal year and period; every row has the format's 125 fields;
// the documents' rows carry their numbers in Belegfeld 1 and add up to
// their totals; rows balance per document as the journal does.
func checkDATEV(t *testing.T, body []byte, docs map[string]billing.Invoice) {
	t.Helper()
	text, err := charmap.Windows1252.NewDecoder().Bytes(body)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\r\n"), "\r\n")
	head := strings.Split(lines[0], ";")
	if len(head) != 31 || head[0] != `"EXTF"` || head[1] != "700" || head[2] != "21" || head[3] != `"Buchungsstapel"` || head[4] != "13" ||
		head[10] != "1001" || head[11] != "42" || head[12] != "20260101" || head[13] != "4" || head[14] != "20261001" || head[15] != "20261031" ||
		head[21] != `"EUR"` || head[26] != `"03"` {
		t.Errorf("DATEV header %q", lines[0])
	}
	if n := len(strings.Split(lines[1], ";")); n != 125 {
		t.Errorf("DATEV column header has %d fields, want 125", n)
	}
	byDoc := map[string]int64{}
	for i, l := range lines[2:] {
		c := strings.Split(l, ";")
		if len(c) != 125 {
			t.Fatalf("DATEV row %d has %d fields", i+1, len(c))
		}
		if c[1] != `"S"` && c[1] != `"H"` || len(c[9]) != 4 {
			t.Errorf("DATEV row %d: side %s, date %s", i+1, c[1], c[9])
		}
		if c[0] == "" || strings.Contains(c[0], ".") {
			t.Errorf("DATEV row %d: amount %q", i+1, c[0])
		}
		if c[6] == "" || c[7] == "" {
			t.Errorf("DATEV row %d: account %q, contra %q", i+1, c[6], c[7])
		}
		byDoc[strings.Trim(c[10], `"`)]++
	}
	for name, d := range docs {
		if byDoc[*d.Number] == 0 {
			t.Errorf("no DATEV row carries %s's number %s in Belegfeld 1", name, *d.Number)
		}
	}
}
