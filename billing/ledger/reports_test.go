package ledger_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"faktura/billing"
	"faktura/billing/ledger"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/tenancy"
)

// TestReports: a quarter of the operator's supplies (OSS by option to
// consumers in France, Monaco, Italy and the Azores; reverse charge to
// businesses in France and Italy; a domestic one; one outside the EU;
// credit notes on both kinds; a domestic invoice written off; one supply
// in the next quarter). The OSS
// return is the sum of the cross-border consumer documents per member
// state of consumption and rate, the EU sales list the sum of the
// reverse-charge documents per buyer VAT id, and the VAT return's
// figures are the domestic, reverse-charge, OSS and out-of-scope totals,
// with the write-off taking back its VAT.
func TestReports(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		ctx := f.ctx()
		_, err := f.bill.SaveSellerTax(ctx, operator, 1, billing.SellerTaxInput{Scheme: billing.SchemeStandard, OSSMode: billing.OSSDestination})
		f.must(err)
		it := f.client(operator, "Cliente SRL", billing.ProfileInput{Country: "IT"}) // no VAT id: a consumer
		itB := f.client(operator, "Azienda SpA", billing.ProfileInput{Country: "IT", VATID: "IT00743110157"})
		frC := f.client(operator, "Marie Martin", billing.ProfileInput{Country: "FR", PostalCode: "69001", City: "Lyon"})
		frC2 := f.client(operator, "Jean Dupont", billing.ProfileInput{Country: "FR", PostalCode: "33000", City: "Bordeaux"})
		mc := f.client(operator, "Prince Consumer", billing.ProfileInput{Country: "MC", PostalCode: "98000", City: "Monaco"})
		az := f.client(operator, "João Silva", billing.ProfileInput{Country: "PT", PostalCode: "9500-321", City: "Ponta Delgada"})

		f.at("2026-07-03")
		d := map[string]billing.Invoice{}
		d["fr1"] = f.invoice(operator, frC, "Hosting", "100.00")
		d["fr2"] = f.invoice(operator, frC2, "Hosting", "50.00")
		d["mc"] = f.invoice(operator, mc, "Hosting", "30.00")
		f.at("2026-08-14")
		d["it"] = f.invoice(operator, it, "Hosting", "80.00")
		d["az"] = f.invoice(operator, az, "Hosting", "60.00")
		d["ae1"] = f.invoice(operator, f.fr, "Reseller hosting", "200.00")
		d["ae2"] = f.invoice(operator, f.fr, "Reseller hosting", "300.00")
		d["ae3"] = f.invoice(operator, itB, "Reseller hosting", "120.00")
		d["de"] = f.invoice(operator, f.de, "Webhosting", "100.00")
		d["us"] = f.invoice(operator, f.us, "Server", "50.00")
		d["bad"] = f.invoice(operator, f.de2, "Webhosting", "40.00")
		f.at("2026-09-20")
		_, err = f.bill.CreditNote(ctx, operator, d["fr1"].ID, billing.CreditNoteInput{Lines: []billing.CreditItem{{LineID: d["fr1"].Lines[0].ID, AmountMinor: 1000}}, Reason: "outage"})
		f.must(err)
		_, err = f.bill.WriteOff(ctx, operator, d["bad"].ID, "insolvent")
		f.must(err)
		_, err = f.bill.CreditNote(ctx, operator, d["ae2"].ID, billing.CreditNoteInput{Lines: []billing.CreditItem{{LineID: d["ae2"].Lines[0].ID, AmountMinor: 5000}}, Reason: "discount"})
		f.must(err)
		f.at("2026-10-01")
		f.invoice(operator, frC, "Hosting, next quarter", "999.00")

		f.at("2026-10-05")
		oss, err := f.led.OSSReturn(ctx, operator, 1, ledger.ReportInput{Quarter: "2026-Q3"})
		f.must(err)
		want := []ledger.OSSRow{{Country: "FR", Rate: "20", Base: 17000, Tax: 3400}, {Country: "IT", Rate: "22", Base: 8000, Tax: 1760},
			{Country: "PT", Rate: "16", Base: 6000, Tax: 960}}
		if !equalRows(oss.Rows, want) || oss.Total.Base != 31000 || oss.Total.Tax != 6120 || oss.From != "2026-07-01" || oss.To != "2026-09-30" {
			t.Errorf("OSS return %+v, want %+v", oss, want)
		}
		if got := ossFromDocuments(t, f, "2026-07-01", "2026-09-30"); !equalRows(oss.Rows, got) {
			t.Errorf("OSS return %+v, documents sum to %+v", oss.Rows, got)
		}

		sales, err := f.led.SalesList(ctx, operator, 1, ledger.ReportInput{From: "2026-07", To: "2026-09"})
		f.must(err)
		if len(sales.Rows) != 2 || sales.Rows[0].VATID != "FR40303265045" || sales.Rows[0].Base != 45000 || sales.Rows[0].Country != "FR" ||
			sales.Rows[1].VATID != "IT00743110157" || sales.Rows[1].Base != 12000 || sales.Total != 57000 {
			t.Errorf("EU sales list %+v", sales)
		}

		vat, err := f.led.VATReturn(ctx, operator, 1, ledger.ReportInput{From: "2026-07", To: "2026-09"})
		f.must(err)
		if len(vat.Domestic) != 1 || vat.Domestic[0] != (ledger.RateTotal{Rate: "19", Base: 14000, Tax: 2660}) || vat.TaxTotal != 1900 ||
			len(vat.BadDebts) != 1 || vat.BadDebts[0] != (ledger.RateTotal{Rate: "19", Base: -4000, Tax: -760}) ||
			vat.OSS.Base != 31000 || vat.OSS.Tax != 6120 || vat.OutsideScope != 5000 || vat.Exempt != 0 ||
			len(vat.ReverseCharge) != 2 || vat.ReverseCharge[0] != (ledger.CountryTotal{Country: "FR", Base: 45000}) || vat.Documents != 13 {
			t.Errorf("VAT return %+v", vat)
		}
		var b strings.Builder
		f.must(oss.WriteCSV(&b))
		if b.String() != "member_state,rate,base,vat,currency\nFR,20,170.00,34.00,EUR\nIT,22,80.00,17.60,EUR\nPT,16,60.00,9.60,EUR\n" {
			t.Errorf("OSS CSV:\n%s", b.String())
		}

		// Bad periods are field errors.
		for _, c := range []struct {
			name  string
			in    ledger.ReportInput
			field string
		}{
			{"quarter 5", ledger.ReportInput{Quarter: "2026-Q5"}, "quarter"},
			{"quarter as a month", ledger.ReportInput{Quarter: "2026-07"}, "quarter"},
			{"month 13", ledger.ReportInput{From: "2026-13"}, "from"},
			{"to before from", ledger.ReportInput{From: "2026-09", To: "2026-07"}, "to"},
			{"currency", ledger.ReportInput{From: "2026-09", Currency: "EURO"}, "currency"},
		} {
			if _, err := f.led.VATReturn(ctx, operator, 1, c.in); fieldErr(err, c.field) == "" {
				t.Errorf("%s: %v, want a problem with %s", c.name, err, c.field)
			}
		}
		if _, err := f.led.OSSReturn(ctx, operator, 1, ledger.ReportInput{From: "2026-07"}); fieldErr(err, "quarter") == "" {
			t.Errorf("OSS return without a quarter: %v", err)
		}
		// A client keeps no books.
		if _, err := f.led.VATReturn(ctx, f.de, f.de.TenantID, ledger.ReportInput{From: "2026-07"}); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("a client's VAT return: %v", err)
		}
	})
}

// ossFromDocuments sums the OSS documents issued from..to by the
// buyer's country of consumption and rate, straight from the invoices.
func ossFromDocuments(t *testing.T, f *fixture, from, to string) []ledger.OSSRow {
	t.Helper()
	var invs []billing.Invoice
	f.must(f.h.W.Where("seller_id = 1 AND tax_basis = ? AND issue_date BETWEEN ? AND ?", billing.BasisOSS, from, to).Order("id").Find(&invs).Error)
	by := map[[2]string]*ledger.OSSRow{}
	var order [][2]string
	for _, inv := range invs {
		var sum billing.TaxSummary
		var buyer billing.Party
		f.must(json.Unmarshal([]byte(inv.Taxes), &sum))
		f.must(json.Unmarshal([]byte(inv.Buyer), &buyer))
		country := buyer.Country
		if country == "MC" {
			country = "FR" // Art. 7: Monaco is treated as France
		}
		sign := int64(1)
		if inv.Kind == billing.DocCreditNote {
			sign = -1
		}
		for _, l := range sum.Lines {
			k := [2]string{country, strings.TrimSuffix(strings.TrimSuffix(l.Rate, ".00"), ".0")}
			if by[k] == nil {
				by[k] = &ledger.OSSRow{Country: k[0], Rate: k[1]}
				order = append(order, k)
			}
			by[k].Base += sign * l.Base
			by[k].Tax += sign * l.Tax
		}
	}
	out := make([]ledger.OSSRow, 0, len(order))
	for _, k := range order {
		out = append(out, *by[k])
	}
	return out
}

func equalRows(got, want []ledger.OSSRow) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestBookBadInput: every problem of a books change, an export request
// or a close is a field error naming the field, and changes nothing.
func TestBookBadInput(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		ctx := f.ctx()
		for _, c := range []struct {
			name   string
			in     ledger.BookInput
			fields []string
		}{
			{"unknown chart", ledger.BookInput{Chart: "skr99"}, []string{"chart"}},
			{"no role", ledger.BookInput{Chart: "skr03", Accounts: []ledger.OwnAccount{{MatchKey: "income", Account: "8400"}}}, []string{"accounts.0.key"}},
			{"bad refinement", ledger.BookInput{Chart: "skr03", Accounts: []ledger.OwnAccount{{MatchKey: "revenue|19 %", Account: "8400"}}}, []string{"accounts.0.key"}},
			{"twice", ledger.BookInput{Chart: "skr03", Accounts: []ledger.OwnAccount{{MatchKey: "cash|stripe", Account: "1361"}, {MatchKey: "cash|stripe", Account: "1362"}}}, []string{"accounts.1.key"}},
			{"bad account", ledger.BookInput{Chart: "skr03", Accounts: []ledger.OwnAccount{{MatchKey: "revenue", Account: "84 00"}}}, []string{"accounts.0.account"}},
			{"unknown format", ledger.BookInput{Chart: "skr03", Options: map[string]map[string]string{"sage": {"x": "1"}}}, []string{"options.sage"}},
			{"unknown option", ledger.BookInput{Chart: "skr03", Options: map[string]map[string]string{"datev": {"mandant": "1"}}}, []string{"options.datev.mandant"}},
			{"bad option", ledger.BookInput{Chart: "skr03", Options: map[string]map[string]string{"datev": {"consultant": "12", "client": "abc"}}},
				[]string{"options.datev.consultant", "options.datev.client"}},
		} {
			_, err := f.led.SaveBook(ctx, operator, 1, c.in)
			for _, field := range c.fields {
				if fieldErr(err, field) == "" {
					t.Errorf("%s: %v, want a problem with %s", c.name, err, field)
				}
			}
		}
		var changed int64
		h.W.Table("ledger_books").Where("chart <> ''").Count(&changed)
		if n := changed + f.count("ledger_accounts") + f.count("audit_log WHERE action = 'ledger.book.save'"); n != 0 {
			t.Errorf("refused changes left %d traces", n)
		}
		for _, c := range []struct {
			name  string
			in    ledger.ExportInput
			field string
		}{
			{"unknown format", ledger.ExportInput{Format: "sage", From: "2026-09"}, "format"},
			{"no month", ledger.ExportInput{Format: "csv"}, "from"},
			{"to before from", ledger.ExportInput{Format: "csv", From: "2026-09", To: "2026-08"}, "to"},
			{"FEC across years", ledger.ExportInput{Format: "fec", From: "2025-12", To: "2026-01"}, "to"},
			{"too long", ledger.ExportInput{Format: "csv", From: "2025-01", To: "2026-06"}, "to"},
			{"currency", ledger.ExportInput{Format: "csv", From: "2026-09", Currency: "E"}, "currency"},
		} {
			if _, err := f.led.Export(ctx, operator, 1, c.in); fieldErr(err, c.field) == "" {
				t.Errorf("export %s: %v, want a problem with %s", c.name, err, c.field)
			}
		}
		if f.count("ledger_exports") != 0 {
			t.Error("a refused export was recorded")
		}
		f.at("2026-11-02")
		for _, m := range []string{"10/2026", "2026-11", "2027-01"} {
			if _, err := f.led.Close(ctx, operator, 1, m); fieldErr(err, "month") == "" {
				t.Errorf("closing %q: %v", m, err)
			}
		}
		if _, err := f.led.Close(ctx, f.de, f.de.TenantID, "2026-10"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("a client closing books: %v", err)
		}
		if _, err := f.bill.WriteOff(ctx, operator, 999, "gone"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("writing off a missing invoice: %v", err)
		}
		f.at("2026-10-01")
		inv := f.invoice(operator, f.de, "Hosting", "10.00")
		if _, err := f.bill.WriteOff(ctx, operator, inv.ID, " "); fieldErr(err, "reason") == "" {
			t.Errorf("write-off without a reason: %v", err)
		}
		if _, err := f.bill.WriteOff(ctx, operator, inv.ID, "bankrupt"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.bill.WriteOff(ctx, operator, inv.ID, "bankrupt"); !errors.Is(err, core.ErrPrecondition) {
			t.Errorf("writing off twice: %v", err)
		}
		if _, err := f.bill.CreditNote(ctx, operator, inv.ID, billing.CreditNoteInput{Full: true, Reason: "x"}); !errors.Is(err, core.ErrPrecondition) {
			t.Errorf("crediting a written-off invoice: %v", err)
		}
		_, err := f.pay.RecordManual(ctx, operator, paymentFor(f.de, inv.ID, "11.90"))
		if err == nil || !strings.Contains(err.Error(), "written off") {
			t.Errorf("paying a written-off invoice: %v", err)
		}
	})
}

func paymentFor(c tenancy.Scope, invoiceID int64, amount string) payment.ManualInput {
	return payment.ManualInput{CustomerID: c.TenantID, Method: "bank_transfer", Amount: amount, Currency: "EUR", ReceivedOn: "2026-10-01",
		Allocations: []payment.AllocationInput{{InvoiceID: invoiceID, Amount: amount}}}
}

func (f *fixture) count(table string) int64 {
	var n int64
	f.must(f.h.W.Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error)
	return n
}
