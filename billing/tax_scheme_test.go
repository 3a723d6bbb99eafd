package billing_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/tenancy"
)

// TestSellerSchemes: the seller's scheme and its Art. 59c position decide
// supplies taxed where it is established; each row names its article.
func TestSellerSchemes(t *testing.T) {
	day := mustDay(t, "2026-12-01")
	sb := func(c string) billing.TaxSeller {
		return billing.TaxSeller{Country: c, Scheme: billing.SchemeSmallBusiness}
	}
	cases := []struct {
		article string
		seller  billing.TaxSeller
		buyer   billing.TaxBuyer
		cat     billing.Category
		rate    string
		basis   string
		vatex   string
		note    string // in the seller's language (Art. 219a)
	}{
		{"§ 19 UStG: a German small business to a German consumer", sb("DE"), billing.TaxBuyer{Country: "DE"},
			"E", "0", billing.BasisSmallBusiness, "", "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet"},
		{"§ 19 UStG: a German small business to a German business", sb("DE"), billing.TaxBuyer{Country: "DE", VATID: "DE811907980", VAT: billing.VATValid},
			"E", "0", billing.BasisSmallBusiness, "", "§ 19 UStG"},
		{"art. 293 B CGI: a French franchise to a French consumer", sb("FR"), billing.TaxBuyer{Country: "FR"},
			"E", "0", billing.BasisSmallBusiness, "VATEX-FR-FRANCHISE", "TVA non applicable, art. 293 B du CGI."},
		{"L. 190/2014 art. 1 c. 54-89: the Italian regime forfettario", sb("IT"), billing.TaxBuyer{Country: "IT", PostalCode: "20121"},
			"E", "0", billing.BasisSmallBusiness, "", "Legge n. 190/2014 (regime forfettario)"},
		{"momsloven § 48: a Danish small business", sb("DK"), billing.TaxBuyer{Country: "DK"},
			"E", "0", billing.BasisSmallBusiness, "", "momslovens § 48"},
		{"Art. 196: a small business to a business in another member state: reverse charge", sb("DE"), billing.TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: billing.VATValid},
			"AE", "0", billing.BasisReverseCharge, billing.VATEXReverseCharge, "Steuerschuldnerschaft des Leistungsempfängers"},
		{"Art. 59c(1): a small business under the threshold to a consumer in another member state: its own exemption", sb("FR"), billing.TaxBuyer{Country: "DE"},
			"E", "0", billing.BasisUnderThreshold, "VATEX-FR-FRANCHISE", "art. 293 B du CGI"},
		{"Art. 58: a small business past the threshold: the consumer's country's rate", billing.TaxSeller{Country: "FR", Scheme: billing.SchemeSmallBusiness, Destination: true}, billing.TaxBuyer{Country: "DE"},
			"S", "19", billing.BasisOSS, "", ""},
		{"Art. 44: a small business to a business outside the EU", sb("IT"), billing.TaxBuyer{Country: "CH", VATID: "CHE-123.456.789"},
			"O", "0", billing.BasisOutsideEU, billing.VATEXOutside, "art. 44"},
		{"Art. 59c(1): a standard seller under the threshold: its own rate", billing.TaxSeller{Country: "DE"}, billing.TaxBuyer{Country: "FR"},
			"S", "19", billing.BasisUnderThreshold, "", ""},
		{"Art. 59c(1): under the threshold, to the Azores: the seller's rate, not the region's", billing.TaxSeller{Country: "DE"}, billing.TaxBuyer{Country: "PT", PostalCode: "9500-321"},
			"S", "19", billing.BasisUnderThreshold, "", ""},
		{"Art. 58 and 59c(3): opted in, the consumer's country's rate from the first supply", billing.TaxSeller{Country: "DE", Destination: true}, billing.TaxBuyer{Country: "FR"},
			"S", "20", billing.BasisOSS, "", ""},
		{"Art. 59c: the threshold is for supplies to other member states; a domestic supply is domestic", billing.TaxSeller{Country: "DE"}, billing.TaxBuyer{Country: "DE"},
			"S", "19", billing.BasisDomestic, "", ""},
	}
	for _, c := range cases {
		d, err := billing.DecideTax(c.seller, c.buyer, day, billing.FallbackConsumer)
		if err != nil {
			t.Errorf("%s: %v", c.article, err)
			continue
		}
		if d.Category != c.cat || d.Rate.String() != c.rate || d.Basis != c.basis || d.VATEX != c.vatex {
			t.Errorf("%s: %s %s%% %s %q; want %s %s%% %s %q", c.article, d.Category, d.Rate, d.Basis, d.VATEX, c.cat, c.rate, c.basis, c.vatex)
		}
		note := billing.TaxNote(d, c.seller.Country, "xx")
		if (c.note == "") != (note == "") || !strings.Contains(note, c.note) {
			t.Errorf("%s: note %q, want one with %q", c.article, note, c.note)
		}
	}
	if _, err := billing.DecideTax(sb("AT"), billing.TaxBuyer{Country: "AT"}, day, billing.FallbackConsumer); !isField(err, "seller.tax_scheme") {
		t.Errorf("a small-business scheme Faktura does not know: %v", err)
	}
}

// TestChargeableDay: the day whose rate applies to a line (Art. 63-66);
// each row names its article.
func TestChargeableDay(t *testing.T) {
	issue := mustDay(t, "2021-01-05")
	paid := mustDay(t, "2020-12-28")
	late := mustDay(t, "2021-01-10")
	cases := []struct {
		article    string
		start, end string
		paid       *billing.Date
		want       string
	}{
		{"Art. 64(1): a period billed in arrears is supplied on its last day", "2020-11-20", "2020-12-20", nil, "2020-12-19"},
		{"Art. 64(1): a period ending on the invoice date is billed in arrears", "2020-12-05", "2021-01-05", nil, "2021-01-04"},
		{"Art. 66(b): a period billed in advance: the invoice date", "2021-01-05", "2021-02-05", nil, "2021-01-05"},
		{"Art. 66(b): a period under way: the invoice date", "2020-12-20", "2021-01-20", nil, "2021-01-05"},
		{"Art. 66(b): a line without a period (setup): the invoice date", "", "", nil, "2021-01-05"},
		{"Art. 65: an advance payment received before the invoice: the day it was received", "2021-01-05", "2021-02-05", &paid, "2020-12-28"},
		{"Art. 65: a payment after the invoice changes nothing", "2021-01-05", "2021-02-05", &late, "2021-01-05"},
		{"Art. 64(1) before Art. 65: a period already supplied is not paid in advance", "2020-11-20", "2020-12-20", &paid, "2020-12-19"},
	}
	for _, c := range cases {
		if got := billing.ChargeableDay(issue, c.start, c.end, c.paid); got.String() != c.want {
			t.Errorf("%s: %s, want %s", c.article, got, c.want)
		}
	}
	// The rate of that day: Germany's 16 % ran from 1 July to 31 December 2020.
	for _, c := range []struct{ day, want string }{{"2020-12-19", "16"}, {"2021-01-05", "19"}, {"2020-12-28", "16"}, {"2020-06-30", "19"}} {
		d, err := billing.DecideTax(billing.TaxSeller{Country: "DE"}, billing.TaxBuyer{Country: "DE"}, mustDay(t, c.day), billing.FallbackConsumer)
		if err != nil || d.Rate.String() != c.want {
			t.Errorf("Germany on %s: %s %v, want %s %%", c.day, d.Rate, err, c.want)
		}
	}
}

// eachFixtureAt is eachFixture with the clock at another day.
func eachFixtureAt(t *testing.T, at time.Time, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) { fn(t, newFixture(t, h, at)) })
}

func (f *fixture) lineRates(inv billing.Invoice) []string {
	var out []string
	for _, l := range inv.Lines {
		out = append(out, l.Kind+":"+string(l.TaxCategory)+l.TaxRate)
	}
	return out
}

// TestRateAcrossChange: Germany's rate went from 16 % back to 19 % on
// 1 January 2021. A period billed in arrears takes its last day's rate, one
// billed in advance the invoice date's (Art. 63-66).
func TestRateAcrossChange(t *testing.T) {
	t.Run("arrears", func(t *testing.T) {
		eachFixtureAt(t, time.Date(2020, 11, 20, 9, 0, 0, 0, time.UTC), func(t *testing.T, f *fixture) {
			f.account(f.de, operator, "basic", "nachzuegler") // monthly 10.00 + 5.00 setup, from 20 November
			f.clock.Set(time.Date(2021, 1, 5, 9, 0, 0, 0, time.UTC))
			f.run("2021-01-05") // the run catches up: Nov 20 - Dec 20 ended before the invoice
			inv := f.invoices(f.de, billing.InvoiceFilter{})[0]
			got := strings.Join(f.lineRates(inv), " ")
			if got != "setup:S19 recurring:S16 recurring:S19" {
				t.Fatalf("lines %s; want the setup and the current period at 19 %%, the elapsed period at 16 %%", got)
			}
			if inv.NetMinor != 2500 || inv.TaxMinor != 160+285 {
				t.Fatalf("net %d tax %d; want 2500 and 16 %% of 10.00 + 19 %% of 15.00 = 4.45", inv.NetMinor, inv.TaxMinor)
			}
			if !strings.Contains(inv.Taxes, `"rate":"16","base_minor":1000,"tax_minor":160`) || !strings.Contains(inv.Taxes, `"rate":"19","base_minor":1500,"tax_minor":285`) {
				t.Fatalf("tax lines %s", inv.Taxes)
			}
		})
	})
	t.Run("advance", func(t *testing.T) {
		eachFixtureAt(t, time.Date(2020, 12, 10, 9, 0, 0, 0, time.UTC), func(t *testing.T, f *fixture) {
			ctx := context.Background()
			prepaid := f.client("Vorkasse GmbH", "DE")
			f.account(f.de, operator, "basic", "spaet")
			f.account(prepaid, operator, "basic", "frueh")
			f.run("2020-12-10") // Dec 10 - Jan 10, billed in advance on Dec 10 at 16 %
			late, early := f.invoices(f.de, billing.InvoiceFilter{})[0], f.invoices(prepaid, billing.InvoiceFilter{})[0]
			for _, inv := range []billing.Invoice{late, early} {
				if got := strings.Join(f.lineRates(inv), " "); got != "setup:S16 recurring:S16" {
					t.Fatalf("invoice %d: %s; want 16 %% at the invoice date", inv.ID, got)
				}
			}
			// The prepaying customer pays on 28 December, before the change:
			// taxed when received (Art. 65). The other pays nothing before.
			f.pay(early, "2020-12-28", time.Date(2020, 12, 28, 10, 0, 0, 0, time.UTC))
			day := mustDay(t, "2021-01-02")
			rcs, err := f.s.RateChanges(ctx, operator, operator.TenantID, day)
			if err != nil || len(rcs) != 1 {
				t.Fatalf("rate changes %+v, %v; want the one unpaid invoice", rcs, err)
			}
			if rc := rcs[0]; rc.InvoiceID != late.ID || rc.ChangeDay != "2021-01-01" || rc.OldRate != "16" || rc.NewRate != "19" || rc.Country != "DE" || rc.PaidMinor != 0 {
				t.Fatalf("rate change %+v", rc)
			}
			if rc, err := f.s.InvoiceRateChange(ctx, early, day); err != nil || rc != nil {
				t.Fatalf("the invoice paid before the change: %+v %v", rc, err)
			}
			if rc, err := f.s.InvoiceRateChange(ctx, late, mustDay(t, "2020-12-31")); err != nil || rc != nil {
				t.Fatalf("before the change nothing is overtaken: %+v %v", rc, err)
			}
			// The operator corrects it: a credit note, and a draft at 19 %.
			f.clock.Set(time.Date(2021, 1, 2, 9, 0, 0, 0, time.UTC))
			cn, repl, err := f.s.CorrectRate(f.ctx(), operator, late.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cn.Kind != billing.DocCreditNote || cn.TotalMinor != late.TotalMinor || *cn.CreditsID != late.ID {
				t.Fatalf("credit note %+v", cn)
			}
			repl, _ = f.s.Invoice(ctx, operator, repl.ID)
			if got := strings.Join(f.lineRates(repl), " "); repl.Status != billing.InvoiceStatusDraft || got != "setup:S19 recurring:S19" || repl.NetMinor != late.NetMinor {
				t.Fatalf("replacement %s %s net %d", repl.Status, got, repl.NetMinor)
			}
			if repl.TaxMinor != 285 || !strings.Contains(repl.Reason, "VAT rate change on 2021-01-01") {
				t.Fatalf("replacement tax %d reason %q", repl.TaxMinor, repl.Reason)
			}
			if rcs, _ := f.s.RateChanges(ctx, operator, operator.TenantID, day); len(rcs) != 0 {
				t.Fatalf("still listed after the correction: %+v", rcs)
			}
			if _, _, err := f.s.CorrectRate(f.ctx(), operator, early.ID); !errors.Is(err, core.ErrPrecondition) {
				t.Fatalf("correcting an invoice no change overtook: %v", err)
			}
			f.checkInvariants()
		})
	})
}

// pay records a payment received on day and allocated at at, as the
// payments module writes them.
func (f *fixture) pay(inv billing.Invoice, day string, at time.Time) {
	f.t.Helper()
	err := f.h.WithTx(context.Background(), func(ctx context.Context) error {
		c := f.h.Conn(ctx)
		if err := c.Exec(`INSERT INTO payments (seller_id, customer_id, customer_path, gateway, method, amount_minor, currency, status, received_on, created_by, created_at, updated_at)
			VALUES (?, ?, ?, 'manual', 'bank_transfer', ?, ?, 'succeeded', ?, 'test', ?, ?)`, inv.SellerID, inv.CustomerID, inv.CustomerPath, inv.TotalMinor, inv.Currency, day, at, at).Error; err != nil {
			return err
		}
		var id int64
		if err := c.Raw(`SELECT MAX(id) FROM payments`).Scan(&id).Error; err != nil {
			return err
		}
		if err := c.Exec(`INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			id, inv.ID, inv.TotalMinor, at, at).Error; err != nil {
			return err
		}
		if err := c.Exec(`UPDATE invoices SET paid_minor = ?, status = ? WHERE id = ?`, inv.TotalMinor, billing.InvoiceStatusPaid, inv.ID).Error; err != nil {
			return err
		}
		// As the payment module books it.
		return f.s.Post(ctx, billing.JournalEntry{SellerID: inv.SellerID, Journal: billing.JournalBank, Kind: billing.EntryPayment,
			SourceKey: billing.SourceKey("payment", id), DocNumber: *inv.Number, EntryDate: day, Currency: inv.Currency, CustomerID: inv.CustomerID,
			Lines: []billing.JournalLine{billing.Debit(billing.RoleCash, inv.TotalMinor).Via("manual:bank_transfer"),
				billing.Credit(billing.RoleReceivable, inv.TotalMinor).For(*inv.Number)}})
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// TestOSSThreshold: a German seller's supplies to consumers in other
// member states are taxed at its own rate until they pass EUR 10,000 in a
// year; the supply that passes it and every later one that year and the
// next are taxed where the consumer is (Art. 59c(1)(c)). A seller that
// opted in taxes there from the first supply.
func TestOSSThreshold(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		f.product(operator, billing.ProductInput{Code: "dedicated", Name: "Dedicated server", Kind: billing.KindHosting, MatchCode: "dedicated",
			Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 400000, 0)}})
		var buyers []tenancy.Scope
		want := []struct{ basis, cat, rate string }{
			{billing.BasisUnderThreshold, "S", "19"}, // 4,000: Germany's rate
			{billing.BasisUnderThreshold, "S", "19"}, // 8,000
			{billing.BasisOSS, "S", "20"},            // 12,000: the crossing supply, France's rate
		}
		for i, w := range want {
			day := nov2.AddDate(0, 0, i)
			f.clock.Set(day)
			b := f.client("Client "+itoa(i), "FR")
			buyers = append(buyers, b)
			f.account(b, operator, "dedicated", "ded"+itoa(i))
			f.run(day.Format(time.DateOnly))
			inv := f.invoices(b, billing.InvoiceFilter{})[0]
			if inv.TaxBasis != w.basis || !strings.Contains(inv.Taxes, `"category":"`+w.cat+`","rate":"`+w.rate+`"`) {
				t.Fatalf("supply %d: basis %q taxes %s; want %s %s %s %%", i+1, inv.TaxBasis, inv.Taxes, w.basis, w.cat, w.rate)
			}
		}
		tax, err := f.s.SellerTax(ctx, operator, operator.TenantID, mustDay(t, "2026-11-04"))
		if err != nil || tax.Tally.ThisYear != 1_200_000 || tax.Tally.LastYear != 0 || !tax.Destination || tax.Tally.Count != 3 {
			t.Fatalf("tally %+v destination %v, %v", tax.Tally, tax.Destination, err)
		}
		// The rest of the year: an Italian consumer is taxed in Italy.
		f.clock.Set(nov2.AddDate(0, 0, 5))
		it := f.client("Cliente", "IT")
		f.account(it, operator, "basic", "cliente")
		f.run("2026-11-07")
		if inv := f.invoices(it, billing.InvoiceFilter{})[0]; inv.TaxBasis != billing.BasisOSS || !strings.Contains(inv.Taxes, `"rate":"22"`) {
			t.Fatalf("after the crossing: %q %s", inv.TaxBasis, inv.Taxes)
		}
		// The next year: past the threshold last year, a new consumer is
		// taxed where it is from the first supply.
		f.clock.Set(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
		next := f.client("Client 2027", "FR")
		f.account(next, operator, "basic", "client2027")
		f.run("2027-01-04")
		if inv := f.invoices(next, billing.InvoiceFilter{})[0]; inv.TaxBasis != billing.BasisOSS || !strings.Contains(inv.Taxes, `"rate":"20"`) {
			t.Fatalf("prior-year limb: %q %s", inv.TaxBasis, inv.Taxes)
		}
		tax, _ = f.s.SellerTax(ctx, operator, operator.TenantID, mustDay(t, "2027-01-04"))
		if tax.Tally.LastYear < 1_200_000 || !tax.Destination {
			t.Fatalf("2027 tally %+v", tax.Tally)
		}
		// A credit note is deducted from the tally.
		before := tax.Tally.ThisYear
		inv := f.invoices(next, billing.InvoiceFilter{})[0]
		if _, err := f.s.CreditNote(f.ctx(), operator, inv.ID, billing.CreditNoteInput{Full: true, Reason: "cancelled"}); err != nil {
			t.Fatal(err)
		}
		tax, _ = f.s.SellerTax(ctx, operator, operator.TenantID, mustDay(t, "2027-01-04"))
		if tax.Tally.ThisYear != before-inv.NetMinor {
			t.Fatalf("after a credit note: %d, want %d", tax.Tally.ThisYear, before-inv.NetMinor)
		}

		// The opt-in: reseller R (France) taxes a German consumer in
		// Germany from its first supply; before, in France.
		before2026 := f.tenant(tenancy.KindClient, f.reseller, "Kunde vor der Option")
		f.profile(before2026, billing.ProfileInput{LegalName: "Kunde A", Country: "DE"})
		f.account(before2026, f.reseller, "basic", "kunde-a")
		f.run("2027-01-04")
		if inv := f.invoices(before2026, billing.InvoiceFilter{})[0]; inv.TaxBasis != billing.BasisUnderThreshold || !strings.Contains(inv.Taxes, `"rate":"20"`) {
			t.Fatalf("R under the threshold: %q %s", inv.TaxBasis, inv.Taxes)
		}
		if _, err := f.s.SaveSellerTax(f.ctx(), operator, f.reseller.TenantID, billing.SellerTaxInput{Scheme: billing.SchemeStandard, OSSMode: billing.OSSDestination}); err != nil {
			t.Fatal(err)
		}
		opted := f.tenant(tenancy.KindClient, f.reseller, "Kunde nach der Option")
		f.profile(opted, billing.ProfileInput{LegalName: "Kunde B", Country: "DE"})
		f.account(opted, f.reseller, "basic", "kunde-b")
		f.run("2027-01-04")
		if inv := f.invoices(opted, billing.InvoiceFilter{})[0]; inv.TaxBasis != billing.BasisOSS || !strings.Contains(inv.Taxes, `"rate":"19"`) {
			t.Fatalf("R opted in: %q %s", inv.TaxBasis, inv.Taxes)
		}
		tax, _ = f.s.SellerTax(ctx, operator, f.reseller.TenantID, mustDay(t, "2027-01-04"))
		if !tax.Tally.OptedIn || !tax.Destination || tax.OSSMode != billing.OSSDestination {
			t.Fatalf("R's tax page %+v", tax)
		}
		f.checkInvariants()
	})
}

// TestSmallBusinessSeller: a reseller under the French franchise en base
// bills its French consumer with category E, the art. 293 B note and
// VATEX-FR-FRANCHISE; a seller without a VAT id cannot issue a reverse-
// charge invoice: the run holds it.
func TestSmallBusinessSeller(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		if _, err := f.s.SaveSellerTax(f.ctx(), operator, f.reseller.TenantID, billing.SellerTaxInput{Scheme: billing.SchemeSmallBusiness, OSSMode: billing.OSSThreshold}); err != nil {
			t.Fatal(err)
		}
		f.account(f.rclient, f.reseller, "basic", "franchise")
		f.run("2026-11-02")
		inv := f.invoices(f.rclient, billing.InvoiceFilter{})[0]
		if inv.TaxMinor != 0 || inv.TaxBasis != billing.BasisSmallBusiness || !strings.Contains(inv.Taxes, `"vatex":"VATEX-FR-FRANCHISE"`) ||
			!strings.Contains(inv.Taxes, "TVA non applicable, art. 293 B du CGI.") || inv.Status != billing.InvoiceStatusFinalized {
			t.Fatalf("franchise invoice: %s tax %d basis %q %s", inv.Status, inv.TaxMinor, inv.TaxBasis, inv.Taxes)
		}

		// A reseller with no VAT id sells to a business in Italy whose id
		// VIES confirmed: the reverse-charge invoice waits for the id.
		noID := f.tenant(tenancy.KindReseller, operator, "Ohne USt-IdNr")
		f.profile(noID, billing.ProfileInput{LegalName: "Ohne USt-IdNr", Country: "DE", TaxNumber: "231/456/78901", InvoicePrefix: "O-"})
		f.product(noID, billing.ProductInput{Code: "o-basic", Name: "O Basic", Kind: billing.KindHosting, MatchCode: "basic",
			Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 900, 0)}})
		buyer := f.tenant(tenancy.KindClient, noID, "Cliente SRL")
		f.profile(buyer, billing.ProfileInput{LegalName: "Cliente SRL", Country: "IT", VATID: "IT00743110157"})
		f.account(buyer, noID, "basic", "cliente-srl")
		f.run("2026-11-02")
		held := f.invoices(buyer, billing.InvoiceFilter{})[0]
		if held.Status != billing.InvoiceStatusAwaitingApproval || held.HoldReason != billing.HoldSellerIDs || !strings.Contains(held.Taxes, `"AE"`) {
			t.Fatalf("reverse charge without the seller's VAT id: %s %q %s", held.Status, held.HoldReason, held.Taxes)
		}
		if _, err := f.s.Approve(f.ctx(), noID, held.ID); !isField(err, "seller.vat_id") {
			t.Fatalf("approving it without the seller's VAT id: %v", err)
		}
		f.checkInvariants()
	})
}

// TestSellerTaxBadInput: field errors name the field, and change nothing.
func TestSellerTaxBadInput(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		save := func(sc tenancy.Scope, scheme, mode string) func() error {
			return func() error {
				_, err := f.s.SaveSellerTax(f.ctx(), operator, sc.TenantID, billing.SellerTaxInput{Scheme: scheme, OSSMode: mode})
				return err
			}
		}
		reseller := func(name, country string, in billing.ProfileInput) tenancy.Scope {
			sc := f.tenant(tenancy.KindReseller, operator, name)
			in.LegalName, in.Country = name, country
			f.profile(sc, in)
			return sc
		}
		austrian := reseller("Wien Hosting", "AT", billing.ProfileInput{})
		american := reseller("US Hosting", "US", billing.ProfileInput{})
		// A German small business with no VAT id of its own that already
		// sells to a French business under reverse charge.
		klein := reseller("Klein Hosting", "DE", billing.ProfileInput{TaxNumber: "231/456/78901"})
		rc := f.tenant(tenancy.KindClient, klein, "Client SARL")
		f.profile(rc, billing.ProfileInput{LegalName: "Client SARL", Country: "FR", VATID: "FR40303265045"})
		bare := reseller("Ohne Nummer", "DE", billing.ProfileInput{})
		// A small business with a VAT id and such customers, which then
		// deletes the id.
		withID := reseller("Mit Nummer", "DE", billing.ProfileInput{VATID: "DE136695976"})
		rc2 := f.tenant(tenancy.KindClient, withID, "Autre SARL")
		f.profile(rc2, billing.ProfileInput{LegalName: "Autre SARL", Country: "FR", VATID: "FR40303265045"})
		if _, err := f.s.SaveSellerTax(f.ctx(), operator, withID.TenantID, billing.SellerTaxInput{Scheme: billing.SchemeSmallBusiness, OSSMode: billing.OSSThreshold}); err != nil {
			t.Fatal(err)
		}
		before := countRows(f.h, "billing_profiles", "audit_log")
		wantFieldErrors(t, []badCase{
			{"unknown scheme", "tax_scheme", save(f.reseller, "flat_rate", billing.OSSThreshold)},
			{"no small-business scheme in Austria", "tax_scheme", save(austrian, billing.SchemeSmallBusiness, billing.OSSThreshold)},
			{"unknown option", "oss_mode", save(f.reseller, billing.SchemeStandard, "sometimes")},
			{"the Art. 59c option outside the EU", "oss_mode", save(american, billing.SchemeStandard, billing.OSSDestination)},
			{"small business invoicing under reverse charge without a VAT id (Art. 214(1)(e))", "tax_scheme", save(klein, billing.SchemeSmallBusiness, billing.OSSThreshold)},
			{"small business with neither tax number nor VAT id (BR-E-02)", "tax_scheme", save(bare, billing.SchemeSmallBusiness, billing.OSSThreshold)},
			{"small business deleting the VAT id its reverse-charge invoices need", "vat_id", func() error {
				_, err := f.s.SaveProfile(f.ctx(), operator, withID.TenantID, billing.ProfileInput{LegalName: "Mit Nummer", Country: "DE"})
				return err
			}},
		})
		if after := countRows(f.h, "billing_profiles", "audit_log"); after["audit_log"] != before["audit_log"] {
			t.Fatalf("a refused change wrote the audit log: %v -> %v", before, after)
		}
		for _, sc := range []tenancy.Scope{austrian, american, klein, bare} {
			if p, _ := f.s.Profile(context.Background(), operator, sc.TenantID); p.TaxScheme == billing.SchemeSmallBusiness || p.OSSMode == billing.OSSDestination {
				t.Fatalf("tenant %d changed: %q %q", sc.TenantID, p.TaxScheme, p.OSSMode)
			}
		}
		if p, _ := f.s.Profile(context.Background(), operator, withID.TenantID); p.VATID != "DE136695976" {
			t.Fatalf("the VAT id was deleted: %q", p.VATID)
		}
		// A client is no seller; another seller's tenant is not found.
		if _, err := f.s.SellerTax(context.Background(), operator, f.de.TenantID, mustDay(t, "2026-11-02")); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("a client's tax page: %v", err)
		}
		if _, err := f.s.SaveSellerTax(f.ctx(), f.reseller, operator.TenantID, billing.SellerTaxInput{Scheme: billing.SchemeStandard, OSSMode: billing.OSSDestination}); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("a reseller setting its operator's scheme: %v", err)
		}
	})
}

// TestThresholdUnderConcurrency: four processes with three workers each
// run the invoice run at once on MariaDB for 30 consumers in France at
// EUR 4,000 each. Exactly two supplies stay under the EUR 10,000 of Art.
// 59c (8,000); the third, whichever chunk made it, crosses, and all later
// ones are taxed in France: the tally is read and extended under a lock
// on the seller, never by two chunks at once.
func TestThresholdUnderConcurrency(t *testing.T) {
	if len(dbtest.Backends(t)) < 2 {
		t.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	opts := dbtest.Options(t, dbtest.MariaDB)
	f := newFixture(t, dbtest.OpenWith(t, opts, sets), nov2)
	f.product(operator, billing.ProductInput{Code: "dedicated", Name: "Dedicated server", Kind: billing.KindHosting, MatchCode: "dedicated",
		Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 400000, 0)}})
	for i := range 30 {
		c := f.client("Consommateur "+itoa(i), "FR")
		f.liveAccount(c, operator, "dedicated", "ded"+itoa(i))
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for p := range 4 {
		h := dbtest.OpenWith(t, opts, sets)
		wg.Go(func() { _, errs[p] = dailyRun(context.Background(), h, f, 3) })
	}
	wg.Wait()
	for p, err := range errs {
		if err != nil {
			t.Fatalf("process %d: %v", p, err)
		}
	}
	var rows []struct {
		TaxBasis string
		N        int
		Net      int64
	}
	f.h.W.Raw(`SELECT tax_basis, COUNT(*) AS n, SUM(net_minor) AS net FROM invoices WHERE seller_id = ? AND finalized_at IS NOT NULL GROUP BY tax_basis ORDER BY tax_basis`,
		operator.TenantID).Scan(&rows)
	got := map[string]int{}
	for _, r := range rows {
		got[r.TaxBasis] = r.N
	}
	if len(rows) != 2 || got[billing.BasisUnderThreshold] != 2 || got[billing.BasisOSS] != 28 {
		t.Fatalf("supplies by basis %+v; want 2 under the threshold and 28 taxed in France", rows)
	}
	f.checkInvariants()
	f.billedOnce()
}
