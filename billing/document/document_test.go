package document_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/billing/document/documenttest"
	"faktura/panel/core"
)

// TestDocumentGolden: the Document of each case, and its View in each of
// the five languages, against the golden files.
func TestDocumentGolden(t *testing.T) {
	documenttest.Each(t, func(t *testing.T, c documenttest.Case, d document.Document) {
		checkSums(t, d)
		out, err := json.MarshalIndent(struct {
			Document document.Document
			View     document.View
		}{d, d.View()}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		documenttest.Golden(t, filepath.Join("testdata", c.Name+"."+d.Language+".json"), append(out, '\n'))
	})
}

// checkSums: the lines add up to the net, the breakdown to the net and
// tax, and net plus tax is the total.
func checkSums(t *testing.T, d document.Document) {
	t.Helper()
	var lines, base, tax int64
	for _, s := range d.Sections {
		for _, l := range s.Lines {
			lines += l.NetMinor
		}
	}
	for _, tl := range d.Taxes {
		base += tl.BaseMinor
		tax += tl.TaxMinor
	}
	if lines != d.Totals.NetMinor || base != d.Totals.NetMinor || tax != d.Totals.TaxMinor || d.Totals.NetMinor+d.Totals.TaxMinor != d.Totals.TotalMinor {
		t.Errorf("sums: lines %d, base %d, tax %d; totals %+v", lines, base, tax, d.Totals)
	}
}

// TestBuild checks what Build derives: sections in line order, payment
// days, the open amount, the references, and no due date on a credit note.
func TestBuild(t *testing.T) {
	cs := documenttest.Cases("de")
	dom, _ := document.Build(cs[0].Invoice, nil, cs[0].Notes)
	if dom.PaymentDays != 14 || dom.Totals.DueMinor != 1471267-100000 || len(dom.CreditBy) != 1 || dom.CreditBy[0].Number != "CN-2026-000001" {
		t.Errorf("domestic: days %d due %d credit notes %+v", dom.PaymentDays, dom.Totals.DueMinor, dom.CreditBy)
	}
	// Stored periods end at the next period's start; documents print the
	// last day. A one-day item keeps its day.
	if dom.PeriodEnd == nil || dom.PeriodEnd.String() != "2026-11-30" || dom.Sections[0].Lines[3].PeriodEnd.String() != "2027-10-31" {
		t.Errorf("period end = %v, line 4 ends %v; want the last days 2026-11-30 and 2027-10-31", dom.PeriodEnd, dom.Sections[0].Lines[3].PeriodEnd)
	}
	once := cs[0].Invoice
	once.Lines = []billing.Line{{ID: 1, Description: "Transfer", Quantity: "1", UnitPrice: "5", NetMinor: 500, TaxCategory: billing.CategoryStandard,
		TaxRate: "19", PeriodStart: "2026-11-05", PeriodEnd: "2026-11-05"}}
	if d, err := document.Build(once, nil, nil); err != nil || d.Sections[0].Lines[0].PeriodEnd.String() != "2026-11-05" {
		t.Errorf("one-day item: %v, %v", d.Sections, err)
	}
	cn, _ := document.Build(cs[2].Invoice, cs[2].Credits, nil)
	if cn.DueDate != nil || cn.Totals.DueMinor != 0 || cn.Credits == nil || cn.Credits.Number != "INV-2026-000011" || cn.View().Due != "" {
		t.Errorf("credit note: due %v / %d, credits %+v", cn.DueDate, cn.Totals.DueMinor, cn.Credits)
	}
	con, _ := document.Build(cs[3].Invoice, nil, nil)
	if len(con.Sections) != 2 || con.Sections[0].Name != "kunde.de" || len(con.Sections[1].Lines) != 2 {
		t.Errorf("consolidated sections: %+v", con.Sections)
	}
	bad := cs[0].Invoice
	bad.Lines = append([]billing.Line(nil), bad.Lines...)
	bad.Lines[0].Quantity = "one"
	if _, err := document.Build(bad, nil, nil); err == nil {
		t.Error("a line with a quantity that is not a number built")
	}
	odd := cs[0].Invoice
	odd.Language = "xx"
	if d, _ := document.Build(odd, nil, nil); d.Language != "en" {
		t.Errorf("unknown language became %q, want en", d.Language)
	}
}

// TestLocale is the table of formats per language.
func TestLocale(t *testing.T) {
	dec := decimal.RequireFromString
	day := core.Date{Year: 2026, Month: 3, Day: 7}
	cases := []struct {
		lang                                     string
		money, negative, yen, unit, subcent, qty string
		rate, date                               string
	}{
		{"en", "1,234,567.89\u00a0EUR", "-0.05\u00a0EUR", "1,234\u00a0JPY", "9.90\u00a0EUR", "0.0125\u00a0EUR", "2.5", "5.5\u00a0%", "7 March 2026"},
		{"de", "1.234.567,89\u00a0EUR", "-0,05\u00a0EUR", "1.234\u00a0JPY", "9,90\u00a0EUR", "0,0125\u00a0EUR", "2,5", "5,5\u00a0%", "07.03.2026"},
		{"fr", "1\u202f234\u202f567,89\u00a0EUR", "-0,05\u00a0EUR", "1\u202f234\u00a0JPY", "9,90\u00a0EUR", "0,0125\u00a0EUR", "2,5", "5,5\u00a0%", "07/03/2026"},
		{"it", "1.234.567,89\u00a0EUR", "-0,05\u00a0EUR", "1.234\u00a0JPY", "9,90\u00a0EUR", "0,0125\u00a0EUR", "2,5", "5,5\u00a0%", "07/03/2026"},
		{"da", "1.234.567,89\u00a0EUR", "-0,05\u00a0EUR", "1.234\u00a0JPY", "9,90\u00a0EUR", "0,0125\u00a0EUR", "2,5", "5,5\u00a0%", "07.03.2026"},
		{"xx", "1,234,567.89\u00a0EUR", "-0.05\u00a0EUR", "1,234\u00a0JPY", "9.90\u00a0EUR", "0.0125\u00a0EUR", "2.5", "5.5\u00a0%", "7 March 2026"},
	}
	for _, c := range cases {
		l := document.LocaleFor(c.lang)
		got := []string{l.Money(123456789, "EUR"), l.Money(-5, "EUR"), l.Money(1234, "JPY"), l.UnitPrice(dec("9.9"), "EUR"),
			l.UnitPrice(dec("0.0125"), "EUR"), l.Quantity(dec("2.500")), l.Percent(dec("5.50")), l.Date(day)}
		want := []string{c.money, c.negative, c.yen, c.unit, c.subcent, c.qty, c.rate, c.date}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s #%d: %q, want %q", c.lang, i, got[i], want[i])
			}
		}
	}
	if q := document.LocaleFor("en").Quantity(dec("3")); q != "3" {
		t.Errorf("whole quantity = %q", q)
	}
}

// TestMoney: amounts as each customer language writes them.
func TestMoney(t *testing.T) {
	for _, c := range []struct {
		lang  string
		minor int64
		cur   string
		want  string
	}{
		{"en", 123456789, "EUR", "1,234,567.89\u00a0EUR"},
		{"de", 123456789, "EUR", "1.234.567,89\u00a0EUR"},
		{"fr", 123456, "EUR", "1\u202f234,56\u00a0EUR"},
		{"it", -5, "EUR", "-0,05\u00a0EUR"},
		{"da", 100000, "DKK", "1.000,00\u00a0DKK"},
		{"en", 1500, "JPY", "1,500\u00a0JPY"},
		{"en", -123456, "EUR", "-1,234.56\u00a0EUR"},
		{"xx", 99, "EUR", "0.99\u00a0EUR"},
	} {
		if got := document.LocaleFor(c.lang).Money(c.minor, c.cur); got != c.want {
			t.Errorf("Money(%s, %d, %s) = %q, want %q", c.lang, c.minor, c.cur, got, c.want)
		}
	}
}
