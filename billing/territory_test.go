package billing_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"faktura/billing"
	"faktura/panel/core/settings"
)

// TestTerritories: a special territory is found by its postcode, its
// own country code or its region, however the address spells the
// country; each row names the article it follows.
func TestTerritories(t *testing.T) {
	day := mustDay(t, "2026-12-01")
	cases := []struct {
		article                           string
		country, postcode, region, seller string
		cat                               billing.Category
		rate                              string
		note                              string
	}{
		{"Art. 6(1)(b): Canary Islands by postcode", "ES", "35001", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(1)(b): Tenerife", "ES", "38003", "", "FR", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(1)(b): Canary Islands by region", "ES", "", "Canarias", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(1)(b): Canary Islands for a Spanish seller", "ES", "35001", "", "ES", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(2)(f): Ceuta", "ES", "51001", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(2)(f): Melilla", "ES", "52001", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 58: Madrid is Spain", "ES", "28001", "", "DE", billing.CategoryStandard, "21", ""},
		{"Art. 6(1)(d): Åland by postcode", "FI", "22100", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(1)(d): Åland as AX", "AX", "AX-22100", "", "SE", billing.CategoryOutside, "0", "territory"},
		{"Art. 58: Helsinki is Finland", "FI", "00100", "", "DE", billing.CategoryStandard, "25.5", ""},
		{"Art. 6(2)(d): Büsingen", "DE", "78266", "", "FR", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(2)(d): Büsingen for a German seller", "DE", "78266", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(2)(d): Heligoland", "DE", "27498", "", "DK", billing.CategoryOutside, "0", "territory"},
		{"Art. 58: Berlin is Germany", "DE", "10115", "", "FR", billing.CategoryStandard, "19", ""},
		{"Art. 6(2)(e): Livigno", "IT", "23041", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(2)(e): Campione d'Italia", "IT", "22061", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(1)(a): Mount Athos", "GR", "63086", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 58: Athens is Greece", "GR", "105 57", "", "DE", billing.CategoryStandard, "24", ""},
		{"Art. 6(1)(c): Réunion for a German seller", "FR", "97400", "", "DE", billing.CategoryOutside, "0", "territory"},
		{"Art. 6(1)(c): Guadeloupe as GP for an Italian seller", "GP", "97110", "", "IT", billing.CategoryOutside, "0", "territory"},
		{"CGI art. 296: Réunion for a French seller, 8.5 %", "FR", "97400", "", "FR", billing.CategoryStandard, "8.5", ""},
		{"CGI art. 296: Martinique as MQ for a French seller", "MQ", "97200", "", "FR", billing.CategoryStandard, "8.5", ""},
		{"CGI art. 294: French Guiana for a French seller", "FR", "97300", "", "FR", billing.CategoryOutside, "0", "territory_national"},
		{"CGI art. 294: Mayotte for a French seller", "YT", "97600", "", "FR", billing.CategoryOutside, "0", "territory_national"},
		{"Art. 7(1): Monaco is treated as France", "MC", "98000", "", "FR", billing.CategoryStandard, "20", ""},
		{"Art. 7(1): Monaco for a German seller is France (OSS)", "MC", "98000", "", "DE", billing.CategoryStandard, "20", ""},
		{"Art. 7(1): the Isle of Man is the United Kingdom", "IM", "IM1 1AA", "", "DE", billing.CategoryOutside, "0", "outside_eu_consumer"},
		{"Art. 7(1): Akrotiri is Cyprus", "GB", "", "Akrotiri", "DE", billing.CategoryStandard, "19", ""},
		{"CIVA art. 18(3): the Azores at 16 %", "PT", "9500-321", "", "DE", billing.CategoryStandard, "16", ""},
		{"CIVA art. 18(3): Madeira at 22 %", "PT", "9000-018", "", "DE", billing.CategoryStandard, "22", ""},
		{"CIVA art. 18(3): the Azores for a Portuguese seller", "PT", "9500-321", "", "PT", billing.CategoryStandard, "16", ""},
		{"Art. 58: Lisbon is Portugal at 23 %", "PT", "1000-001", "", "DE", billing.CategoryStandard, "23", ""},
	}
	for _, c := range cases {
		d, err := billing.DecideTax(billing.TaxSeller{Country: c.seller, Destination: true}, billing.TaxBuyer{Country: c.country, PostalCode: c.postcode, Region: c.region}, day, billing.FallbackLastValid)
		if err != nil {
			t.Errorf("%s: %v", c.article, err)
			continue
		}
		if d.Category != c.cat || d.Rate.String() != c.rate || d.Note != c.note {
			t.Errorf("%s: %s %s%% note %q, want %s %s%% note %q", c.article, d.Category, d.Rate, d.Note, c.cat, c.rate, c.note)
		}
	}
	// The Azores' rate changed on 1 July 2021 (18 % before).
	d, err := billing.DecideTax(billing.TaxSeller{Country: "DE", Destination: true}, billing.TaxBuyer{Country: "PT", PostalCode: "9500-321"}, mustDay(t, "2021-06-30"), billing.FallbackLastValid)
	if err != nil || d.Rate.String() != "18" {
		t.Errorf("the Azores on 30 June 2021: %s, %v; want 18 %%", d.Rate, err)
	}
}

// TestTaxableCustomer: who is a taxable customer for services. Each row
// names its article.
func TestTaxableCustomer(t *testing.T) {
	day := mustDay(t, "2026-12-01")
	cases := []struct {
		article string
		buyer   billing.TaxBuyer
		cat     billing.Category
		note    string
	}{
		{"Art. 44/196: a VIES-valid id in another member state", billing.TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: billing.VATValid}, billing.CategoryReverseCharge, "reverse_charge"},
		{"Art. 44/196: a Greek id with the prefix EL", billing.TaxBuyer{Country: "GR", VATID: "EL094014201", VAT: billing.VATValid}, billing.CategoryReverseCharge, "reverse_charge"},
		{"Art. 58: an id VIES rejected is a consumer", billing.TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: billing.VATInvalid}, billing.CategoryStandard, ""},
		{"Art. 58: an id never confirmed is a consumer", billing.TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: billing.VATUnchecked}, billing.CategoryStandard, ""},
		{"Art. 44/58: a Northern Ireland (XI) number is for goods only: outside the EU for services", billing.TaxBuyer{Country: "XI", VATID: "XI123456789", VAT: billing.VATValid}, billing.CategoryOutside, "outside_eu"},
		{"Art. 44: a GB business is outside the EU", billing.TaxBuyer{Country: "GB", VATID: "GB123456789"}, billing.CategoryOutside, "outside_eu"},
		{"Art. 58: a GB consumer is outside the EU", billing.TaxBuyer{Country: "GB"}, billing.CategoryOutside, "outside_eu_consumer"},
		{"Art. 44: a Swiss company with a registration is a business", billing.TaxBuyer{Country: "CH", Registration: "CHE-123.456.789"}, billing.CategoryOutside, "outside_eu"},
		{"Art. 13/44: a public body identified for VAT is a taxable customer", billing.TaxBuyer{Country: "IT", VATID: "IT00743110157", VAT: billing.VATValid}, billing.CategoryReverseCharge, "reverse_charge"},
		{"Art. 58: a public body without a communicated id is a consumer", billing.TaxBuyer{Country: "IT"}, billing.CategoryStandard, ""},
	}
	for _, c := range cases {
		d, err := billing.DecideTax(billing.TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, c.buyer, day, billing.FallbackConsumer)
		if err != nil {
			t.Errorf("%s: %v", c.article, err)
			continue
		}
		if d.Category != c.cat || d.Note != c.note {
			t.Errorf("%s: %s note %q, want %s note %q", c.article, d.Category, d.Note, c.cat, c.note)
		}
	}
}

// TestTaxAddressBadInput: a postcode that does not match its country's
// format, and a VAT id whose prefix is not the buyer's country (EL for
// Greece aside), are field errors naming the field.
func TestTaxAddressBadInput(t *testing.T) {
	cases := []struct {
		in    billing.ProfileInput
		field string
		want  string
	}{
		{billing.ProfileInput{LegalName: "A", Country: "DE", PostalCode: "1234"}, "postal_code", "does not match the postcode format of DE (e.g. 10115)"},
		{billing.ProfileInput{LegalName: "A", Country: "PT", PostalCode: "9500"}, "postal_code", "format of PT"},
		{billing.ProfileInput{LegalName: "A", Country: "NL", PostalCode: "AB 1234"}, "postal_code", "format of NL"},
		{billing.ProfileInput{LegalName: "A", Country: "FR", PostalCode: "7500"}, "postal_code", "format of FR"},
		{billing.ProfileInput{LegalName: "A", Country: "MC", PostalCode: "75001"}, "postal_code", "format of MC"},
		{billing.ProfileInput{LegalName: "A", Country: "FR", VATID: "DE136695976"}, "vat_id", "starts with DE but the country is FR"},
		{billing.ProfileInput{LegalName: "A", Country: "GR", VATID: "GR094014201"}, "vat_id", "Greek VAT ids use the prefix EL"},
		{billing.ProfileInput{LegalName: "A", Country: "IT", VATID: "XI123456789"}, "vat_id", "starts with XI but the country is IT"},
	}
	for _, c := range cases {
		err := c.in.Validate()
		if !isField(err, c.field) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %s: %s", c.in, err, c.field, c.want)
		}
	}
	good := []billing.ProfileInput{
		{LegalName: "A", Country: "PT", PostalCode: "9500-321"},
		{LegalName: "A", Country: "NL", PostalCode: "1012 ab"},
		{LegalName: "A", Country: "GR", PostalCode: "63086", VATID: "EL094014201"},
		{LegalName: "A", Country: "AX", PostalCode: "AX-22100"},
		{LegalName: "A", Country: "GB", PostalCode: "BT1 1AA", VATID: "XI123456789"},
		{LegalName: "A", Country: "CH", PostalCode: "8001"},
		{LegalName: "A", Country: "BR", PostalCode: "01310-100"},
	}
	for _, in := range good {
		if err := in.Validate(); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

// TestLegalNotesFollowTheSeller: the legal note is written by the rules
// of the seller's country (Art. 219a), with the English text added when
// the buyer reads another language; every AE and O decision carries its
// VATEX code.
func TestLegalNotesFollowTheSeller(t *testing.T) {
	day := mustDay(t, "2026-12-01")
	rc := func(seller string) billing.TaxDecision {
		d, err := billing.DecideTax(billing.TaxSeller{Country: seller}, billing.TaxBuyer{Country: "NL", VATID: "NL123456789B01", VAT: billing.VATValid}, day, billing.FallbackConsumer)
		if err != nil || d.VATEX != "VATEX-EU-AE" {
			t.Fatalf("%s: %+v %v", seller, d, err)
		}
		return d
	}
	cases := []struct {
		seller, buyerLang, prefix string
		english                   bool
	}{
		{"FR", "fr", "Autoliquidation", false},
		{"FR", "de", "Autoliquidation", true},
		{"DE", "en", "Steuerschuldnerschaft des Leistungsempfängers", true},
		{"DE", "de", "Steuerschuldnerschaft des Leistungsempfängers", false},
		{"IT", "it", "Inversione contabile", false},
		{"IT", "fr", "Inversione contabile", true},
		{"DK", "da", "Omvendt betalingspligt", false},
		{"DK", "en", "Omvendt betalingspligt", true},
		{"BE", "fr", "Reverse charge", false}, // English where the seller's language is not one of ours
	}
	for _, c := range cases {
		note := billing.TaxNote(rc(c.seller), c.seller, c.buyerLang)
		if !strings.HasPrefix(note, c.prefix) || strings.Contains(note, " / Reverse charge") != c.english {
			t.Errorf("%s seller, %s buyer: %q", c.seller, c.buyerLang, note)
		}
	}
	out, err := billing.DecideTax(billing.TaxSeller{Country: "DE"}, billing.TaxBuyer{Country: "US"}, day, billing.FallbackConsumer)
	if err != nil || out.VATEX != "VATEX-EU-O" || !strings.Contains(billing.TaxNote(out, "DE", "en"), "Article 58") {
		t.Errorf("outside the EU: %+v %v", out, err)
	}
}

// TestNoMixedOutsideScope: a document whose lines mix category O with
// another category is refused at finalization with a field error (EN
// 16931 BR-O-11), and stays a draft.
func TestNoMixedOutsideScope(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		f.set(billing.ApprovalManualLines.Name, settings.LevelPanel, "", "false")
		inv, err := f.s.CreateInvoice(f.ctx(), operator, billing.InvoiceInput{CustomerID: f.de.TenantID, Currency: "EUR",
			Lines: []billing.LineInput{{Description: "Hosting", Quantity: "1", UnitPrice: "10"}, {Description: "Fee", Quantity: "1", UnitPrice: "5"}}})
		if err != nil {
			t.Fatal(err)
		}
		// Something wrote an O line beside an S one.
		if err := f.h.W.Exec("UPDATE invoice_lines SET tax_category = 'O', tax_rate = '0' WHERE invoice_id = ? AND description = 'Fee'", inv.ID).Error; err != nil {
			t.Fatal(err)
		}
		_, err = f.s.Finalize(f.ctx(), operator, inv.ID)
		if !isField(err, "lines") || !strings.Contains(err.Error(), "BR-O-11") {
			t.Fatalf("finalize mixed: %v", err)
		}
		var st string
		f.h.W.Table("invoices").Select("status").Where("id = ?", inv.ID).Scan(&st)
		if st != string(billing.InvoiceStatusDraft) {
			t.Fatalf("the mixed document is %s", st)
		}
	})
}

// TestVIESHold: with billing.vies_unconfirmed = hold, an invoice to a
// buyer whose VAT id VIES never confirmed (VIES down) waits; once VIES
// confirms the id, the daily VIES step decides its tax anew (reverse
// charge) and finalizes it. With the default, the invoice is billed as a
// consumer's and flagged for a correcting credit note.
func TestVIESHold(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		f.vies.Down("IT", "MS_UNAVAILABLE")
		held := f.client("Cliente in attesa", "IT")
		f.profile(held, billing.ProfileInput{LegalName: "Cliente SRL", Country: "IT", VATID: "IT00743110157"})
		f.set(billing.VIESUnconfirmed.Name, settings.LevelCustomer, strconv.FormatInt(held.TenantID, 10), billing.VIESHold)
		billed := f.client("Cliente fatturato", "IT")
		f.profile(billed, billing.ProfileInput{LegalName: "Altro SRL", Country: "IT", VATID: "IT00743110157"})
		f.account(held, operator, "basic", "attesa")
		f.account(billed, operator, "basic", "fatturato")
		f.run("2026-11-02")
		h := f.invoices(held, billing.InvoiceFilter{})[0]
		if h.Status != billing.InvoiceStatusAwaitingApproval || h.HoldReason != billing.HoldVIES || h.Number != nil {
			t.Fatalf("held: %s %q", h.Status, h.HoldReason)
		}
		b := f.invoices(billed, billing.InvoiceFilter{})[0]
		if b.Status != billing.InvoiceStatusFinalized || b.Flags != billing.FlagVATUnverified || !strings.Contains(b.Taxes, `"S"`) || b.TaxMinor == 0 {
			t.Fatalf("billed as a consumer: %s flags %q taxes %s", b.Status, b.Flags, b.Taxes)
		}
		// Still down: the step keeps it waiting.
		if c, err := (billing.VIESStep{S: f.s}).Run(context.Background(), mustDay(t, "2026-11-03")); err != nil || c["held_decided"] != 0 {
			t.Fatalf("VIES still down: %v %v", c, err)
		}
		f.vies.Down("IT", "")
		c, err := (billing.VIESStep{S: f.s}).Run(context.Background(), mustDay(t, "2026-11-04"))
		if err != nil || c["held_decided"] != 1 {
			t.Fatalf("VIES back: %v %v", c, err)
		}
		h = f.invoices(held, billing.InvoiceFilter{})[0]
		if h.Status != billing.InvoiceStatusFinalized || h.Number == nil || h.TaxMinor != 0 || !strings.Contains(h.Taxes, `"AE"`) || h.Flags != "" {
			t.Fatalf("after VIES confirmed: %s %v tax %d flags %q taxes %s", h.Status, h.Number, h.TaxMinor, h.Flags, h.Taxes)
		}
		var cats []string
		f.h.W.Table("invoice_lines").Where("invoice_id = ?", h.ID).Distinct("tax_category").Pluck("tax_category", &cats)
		if len(cats) != 1 || cats[0] != "AE" {
			t.Fatalf("lines taxed %v", cats)
		}
		f.checkInvariants()
	})
}

// TestExemptionCode: a customer's exemption carries its VATEX code into
// the decision; a code that is not an exemption's is a field error.
func TestExemptionCode(t *testing.T) {
	d, err := billing.DecideTax(billing.TaxSeller{Country: "DE"}, billing.TaxBuyer{Country: "DE", Exempt: true, ExemptReason: "§ 4 Nr. 22 UStG", ExemptCode: "VATEX-EU-132-1I"},
		mustDay(t, "2026-12-01"), billing.FallbackConsumer)
	if err != nil || d.Category != billing.CategoryExempt || d.VATEX != "VATEX-EU-132-1I" {
		t.Fatalf("%+v %v", d, err)
	}
	for _, code := range []string{"VATEX-EU-AE", "VATEX-EU-O", "EXEMPT", "VATEX-DE-19"} {
		in := billing.ProfileInput{LegalName: "Verein", Country: "DE", TaxExempt: true, TaxExemptReason: "§ 4 Nr. 22 UStG", TaxExemptCode: code}
		if err := in.Validate(); !isField(err, "tax_exempt_code") {
			t.Errorf("%s: %v", code, err)
		}
	}
	for _, code := range []string{"VATEX-EU-132-1I", "vatex-eu-151-1a", "VATEX-EU-309", "VATEX-FR-FRANCHISE", "VATEX-EU-79-C"} {
		in := billing.ProfileInput{LegalName: "Verein", Country: "DE", TaxExempt: true, TaxExemptReason: "x", TaxExemptCode: code}
		if err := in.Validate(); err != nil {
			t.Errorf("%s: %v", code, err)
		}
	}
}
