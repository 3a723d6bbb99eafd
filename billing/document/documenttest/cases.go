// Package documenttest holds sample documents (a domestic invoice, a
// reverse-charge invoice, a credit note and a consolidated invoice with
// two subprojects) made as billing stores them, for the golden files of
// every renderer.
package documenttest

import (
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/panel/core"
)

var (
	seller = billing.Party{TenantID: 1, Name: "Hosting Operator GmbH", Address1: "Hauptstr. 1", PostalCode: "10115", City: "Berlin", Country: "DE",
		Email: "billing@operator.test", VATID: "DE136695976", RegistrationID: "HRB 12345 B", TaxNumber: "27/123/45678", Phone: "+49 30 1234567",
		IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX"}
	// reseller sells under its own name to its own clients.
	reseller = billing.Party{TenantID: 2, Name: "Hébergement Rivage SARL", Address1: "3 quai des Chartrons", PostalCode: "33000", City: "Bordeaux",
		Country: "FR", Email: "factures@rivage.test", VATID: "FR40303265045", RegistrationID: "303 265 045 00017", Phone: "+33 5 56 00 00 00",
		IBAN: "FR1420041010050500013M02606", BIC: "PSSTFRPPBOR"}
	resellerClient = billing.Party{TenantID: 7, Name: "Camille Martin", Address1: "8 rue Sainte-Catherine", PostalCode: "33000", City: "Bordeaux",
		Country: "FR", Email: "camille@martin.test"}
	publicBuyer = billing.Party{TenantID: 8, Name: "Stadt Musterhausen", Address1: "Rathausplatz 1", PostalCode: "12345", City: "Musterhausen",
		Country: "DE", Email: "rechnung@musterhausen.test", BuyerReference: "04011000-1234512345-06", EInvoice: billing.EInvoiceXRechnung,
		EndpointID: "0204:04011000-1234512345-06"}
	association = billing.Party{TenantID: 9, Name: "Sportverein Blau-Weiß e.V.", Address1: "Am Sportplatz 3", PostalCode: "50667", City: "Köln",
		Country: "DE", Email: "kasse@blauweiss.test"}
	usBuyer = billing.Party{TenantID: 10, Name: "Example Hosting Inc.", Address1: "500 Market Street", PostalCode: "94105", City: "San Francisco",
		Region: "CA", Country: "US", Email: "ap@example.test"}
	domesticBuyer = billing.Party{TenantID: 4, Name: "Kunde GmbH", Address1: "Lindenweg 7", Address2: "Hinterhaus", PostalCode: "80331", City: "München",
		Country: "DE", Email: "buchhaltung@kunde.test", EndpointID: "0088:7300010000001"}
	frenchBuyer = billing.Party{TenantID: 5, Name: "Société Exemple SARL", Address1: "12 rue de la Paix", PostalCode: "75002", City: "Paris", Country: "FR",
		VATID: "FR40303265045", VATStatus: billing.VATValid, VATRequestID: "WAPIAAAAW1234567", EndpointID: "0009:30326504500017", EInvoice: billing.EInvoicePeppol,
		OrderReference: "BC-2026-118"}
)

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }

func summary(dec billing.TaxDecision, sellerCountry, lang string, lines ...billing.TaxLine) string {
	return mustJSON(billing.TaxSummary{Decision: dec, Note: billing.TaxNote(dec, sellerCountry, lang), Lines: lines})
}

var standard = billing.TaxDecision{Category: billing.CategoryStandard, Rate: decimal.NewFromInt(19), Basis: billing.BasisDomestic}

func line(id int64, section, desc, qty, unit string, net int64, cat billing.Category, rate, from, to string) billing.Line {
	return billing.Line{ID: id, Position: int(id % 100), Section: section, Kind: billing.LineRecurring, Description: desc, Quantity: qty, UnitPrice: unit,
		NetMinor: net, TaxCategory: cat, TaxRate: rate, PeriodStart: from, PeriodEnd: to}
}

// issued is a finalized document: its net is the sum of its lines, its
// VAT tax (one category and rate, from dec), its parties the seller and
// buyer, finalized at 09:00 UTC on its issue day.
func issued(kind string, id int64, number, lang, issue, due string, buyer billing.Party, dec billing.TaxDecision, rate string, tax int64, lines ...billing.Line) billing.Invoice {
	return issuedBy(seller, kind, id, number, lang, issue, due, buyer, dec, rate, tax, lines...)
}

// issuedBy is issued for another seller.
func issuedBy(seller billing.Party, kind string, id int64, number, lang, issue, due string, buyer billing.Party, dec billing.TaxDecision, rate string, tax int64, lines ...billing.Line) billing.Invoice {
	var net int64
	for _, l := range lines {
		net += l.NetMinor
	}
	day, _ := time.Parse(time.DateOnly, issue)
	return billing.Invoice{ID: id, SellerID: seller.TenantID, CustomerID: buyer.TenantID, Kind: kind, Status: billing.InvoiceStatusFinalized,
		Number: ptr(number), Currency: "EUR", Language: lang, IssueDate: issue, DueDate: due, NetMinor: net, TaxMinor: tax, TotalMinor: net + tax,
		Seller: mustJSON(seller), Buyer: mustJSON(buyer), FinalizedAt: ptr(day.Add(9 * time.Hour)),
		Taxes: summary(dec, seller.Country, lang, billing.TaxLine{Category: dec.Category, Rate: rate, Base: net, Tax: tax}), Lines: lines}
}

// domestic: a German client, 19 %, a large amount (thousands grouped), a
// fractional quantity, a sub-cent unit price and a price with one decimal.
func domestic(lang string) billing.Invoice {
	inv := issued(billing.DocInvoice, 11, "INV-2026-000011", lang, "2026-11-02", "2026-11-16", domesticBuyer, standard, "19", 234908,
		line(101, "", "Basic hosting", "1", "9.9", 990, billing.CategoryStandard, "19", "2026-11-01", "2026-12-01"),
		line(102, "", "Setup fee", "1", "5", 500, billing.CategoryStandard, "19", "", ""),
		line(103, "", "Extra storage (GB)", "2.5", "1.2345", 309, billing.CategoryStandard, "19", "2026-11-01", "2026-12-01"),
		line(104, "", "Dedicated server, 12 months", "12", "1028.8", 1234560, billing.CategoryStandard, "19", "2026-11-01", "2027-11-01"))
	inv.PeriodStart, inv.PeriodEnd, inv.PaidMinor = "2026-11-01", "2026-12-01", 100000
	return inv
}

// reverseCharge: a French business with a VAT id VIES confirmed: AE at
// 0 %, the legal note in the buyer's language.
func reverseCharge(lang string) billing.Invoice {
	dec := billing.TaxDecision{Category: billing.CategoryReverseCharge, Rate: decimal.Zero, Basis: billing.BasisReverseCharge, Note: "reverse_charge", VATEX: billing.VATEXReverseCharge}
	inv := issued(billing.DocInvoice, 12, "INV-2026-000012", lang, "2026-11-02", "2026-11-16", frenchBuyer, dec, "0", 0,
		line(201, "", "Reseller Pro", "1", "49.9", 4990, billing.CategoryReverseCharge, "0", "2026-11-01", "2026-12-01"),
		line(202, "", "Extra domain", "5", "2", 1000, billing.CategoryReverseCharge, "0", "2026-11-01", "2026-12-01"))
	inv.PeriodStart, inv.PeriodEnd = "2026-11-01", "2026-12-01"
	return inv
}

// creditNote corrects part of the domestic invoice.
func creditNote(lang string) billing.Invoice {
	l := line(301, "", "Basic hosting", "1", "9.9", 990, billing.CategoryStandard, "19", "2026-11-01", "2026-12-01")
	l.CreditsLine = ptr(int64(101))
	inv := issued(billing.DocCreditNote, 13, "CN-2026-000001", lang, "2026-11-20", "2026-11-20", domesticBuyer, standard, "19", 188, l)
	inv.CreditsID, inv.Reason = ptr(int64(11)), "Service outage in November"
	inv.PeriodStart, inv.PeriodEnd = "2026-11-01", "2026-12-01"
	return inv
}

// consolidated: one invoice for a customer billed per customer, with the
// lines of two subprojects in their sections.
func consolidated(lang string) billing.Invoice {
	return issued(billing.DocInvoice, 14, "INV-2026-000014", lang, "2026-12-01", "2026-12-15", domesticBuyer, standard, "19", 884,
		line(401, "kunde.de", "Basic hosting", "1", "10", 1000, billing.CategoryStandard, "19", "2026-12-01", "2027-01-01"),
		line(402, "kunde.de", "Extra domain kunde.com", "1", "2", 200, billing.CategoryStandard, "19", "2026-12-01", "2027-01-01"),
		line(403, "shop.kunde.de", "Big hosting", "1", "30", 3000, billing.CategoryStandard, "19", "2026-12-01", "2027-01-01"),
		line(404, "shop.kunde.de", ".de domain", "3", "1.5", 450, billing.CategoryStandard, "19", "2026-12-01", "2027-01-01"))
}

// publicAuthority: a German town that wants XRechnung, its Leitweg-ID as
// the buyer reference.
func publicAuthority(lang string) billing.Invoice {
	inv := issued(billing.DocInvoice, 15, "INV-2026-000015", lang, "2026-12-01", "2026-12-31", publicBuyer, standard, "19", 1140,
		line(501, "", "Managed hosting, town website", "1", "60", 6000, billing.CategoryStandard, "19", "2026-12-01", "2027-01-01"))
	inv.PeriodStart, inv.PeriodEnd = "2026-12-01", "2027-01-01"
	return inv
}

// exempt: a customer its seller marked exempt, with the legal reason.
func exempt(lang string) billing.Invoice {
	dec := billing.TaxDecision{Category: billing.CategoryExempt, Rate: decimal.Zero, Basis: billing.BasisExempt, Note: "exempt",
		Reason: "§ 4 Nr. 22 UStG", VATEX: "VATEX-EU-132-1I"}
	return issued(billing.DocInvoice, 16, "INV-2026-000016", lang, "2026-12-01", "2026-12-15", association, dec, "0", 0,
		line(601, "", "Basic hosting", "1", "10", 1000, billing.CategoryExempt, "0", "2026-12-01", "2027-01-01"))
}

// outside: a business outside the EU: outside the scope of EU VAT (O),
// and so no VAT id of either party on the e-invoice.
func outside(lang string) billing.Invoice {
	dec := billing.TaxDecision{Category: billing.CategoryOutside, Rate: decimal.Zero, Basis: billing.BasisOutsideEU, Note: "outside_eu", VATEX: billing.VATEXOutside}
	return issued(billing.DocInvoice, 17, "INV-2026-000017", lang, "2026-12-01", "2026-12-15", usBuyer, dec, "0", 0,
		line(701, "", "Reseller Pro", "1", "49.9", 4990, billing.CategoryOutside, "0", "2026-12-01", "2027-01-01"),
		line(702, "", "Extra domain", "2", "2", 400, billing.CategoryOutside, "0", "2026-12-01", "2027-01-01"))
}

// resellers: a French reseller's invoice to its own consumer client,
// French VAT at 20 %.
func resellers(lang string) billing.Invoice {
	dec := billing.TaxDecision{Category: billing.CategoryStandard, Rate: decimal.NewFromInt(20), Basis: billing.BasisDomestic}
	inv := issuedBy(reseller, billing.DocInvoice, 18, "R-2026-000003", lang, "2026-12-01", "2026-12-31", resellerClient, dec, "20", 300,
		line(801, "camille-martin.fr", "Hébergement Essentiel", "1", "12", 1200, billing.CategoryStandard, "20", "2026-12-01", "2027-01-01"),
		line(802, "camille-martin.fr", "Nom de domaine .fr", "1", "3", 300, billing.CategoryStandard, "20", "2026-12-01", "2027-01-01"))
	inv.PeriodStart, inv.PeriodEnd = "2026-12-01", "2027-01-01"
	return inv
}

// kleinunternehmer is a German small business: no VAT id, its
// Steuernummer instead.
var kleinunternehmer = billing.Party{TenantID: 20, Name: "Webdesign Schmidt", Address1: "Gartenweg 4", PostalCode: "04109", City: "Leipzig", Country: "DE",
	Email: "rechnung@schmidt-web.test", TaxNumber: "231/456/78901", Phone: "+49 341 555000", IBAN: "DE89370400440532013000", EndpointID: "0088:4012345000009"}

// microEntreprise is a French small business under the franchise en
// base: its SIRET, no VAT id.
var microEntreprise = billing.Party{TenantID: 21, Name: "Julie Bernard EI", Address1: "5 rue du Port", PostalCode: "44000", City: "Nantes", Country: "FR",
	Email: "julie@bernard-web.test", RegistrationID: "73282932000074", TaxNumber: "1234567890123", Phone: "+33 2 40 00 00 00", EndpointID: "0009:73282932000074"}

// forfettario is an Italian sole trader under the regime forfettario:
// its partita IVA and codice fiscale.
var forfettario = billing.Party{TenantID: 22, Name: "Marco Bianchi", Address1: "Via Garibaldi 12", PostalCode: "10122", City: "Torino", Country: "IT",
	Email: "marco@bianchi-web.test", VATID: "IT00743110157", TaxNumber: "BNCMRC80A01L219K", Phone: "+39 011 555 0000"}

// lilleVirksomhed is a Danish small business below DKK 50,000, not
// registered for VAT: its CVR number.
var lilleVirksomhed = billing.Party{TenantID: 23, Name: "Hansen Webdesign", Address1: "Nørregade 7", PostalCode: "8000", City: "Aarhus", Country: "DK",
	Email: "mail@hansen-web.test", RegistrationID: "13585628", Phone: "+45 86 00 00 00", EndpointID: "0184:13585628"}

// italianConsumer and danishConsumer buy from them.
var (
	italianConsumer = billing.Party{TenantID: 24, Name: "Giulia Verdi", Address1: "Corso Vittorio Emanuele 3", PostalCode: "10123", City: "Torino", Country: "IT", Email: "giulia@verdi.test"}
	danishConsumer  = billing.Party{TenantID: 25, Name: "Mette Jensen", Address1: "Vestergade 2", PostalCode: "8000", City: "Aarhus", Country: "DK", Email: "mette@jensen.test"}
)

// smallBusiness: a small-business seller's invoice (category E with the
// scheme's note and, where the CEF list has one, its VATEX code).
func smallBusiness(lang string, s billing.Party, buyer billing.Party, id int64, number string) billing.Invoice {
	sb := billing.SmallBusinessScheme(s.Country)
	dec := billing.TaxDecision{Category: billing.CategoryExempt, Rate: decimal.Zero, Basis: billing.BasisSmallBusiness, Note: sb.Note, VATEX: sb.VATEX}
	inv := issuedBy(s, billing.DocInvoice, id, number, lang, "2026-12-01", "2026-12-15", buyer, dec, "0", 0,
		line(id*10+1, "", "Webhosting", "1", "8", 800, billing.CategoryExempt, "0", "2026-12-01", "2027-01-01"))
	inv.PeriodStart, inv.PeriodEnd = "2026-12-01", "2027-01-01"
	return inv
}

// rateChange: a German invoice of 5 January 2021 catching up a period
// billed in arrears, taxed at the 16 % in force on its last day, and the
// current period, billed in advance, at the 19 % of the invoice date.
func rateChange(lang string) billing.Invoice {
	dec := billing.TaxDecision{Category: billing.CategoryStandard, Rate: decimal.NewFromInt(19), Basis: billing.BasisDomestic}
	inv := issued(billing.DocInvoice, 19, "INV-2021-000004", lang, "2021-01-05", "2021-01-19", domesticBuyer, dec, "19", 0,
		line(901, "", "Basic hosting", "1", "10", 1000, billing.CategoryStandard, "16", "2020-11-20", "2020-12-20"),
		line(902, "", "Basic hosting", "1", "10", 1000, billing.CategoryStandard, "19", "2020-12-20", "2021-01-20"))
	inv.TaxMinor, inv.TotalMinor = 160+190, 2000+160+190
	inv.Taxes = summary(dec, "DE", lang, billing.TaxLine{Category: "S", Rate: "16", Base: 1000, Tax: 160}, billing.TaxLine{Category: "S", Rate: "19", Base: 1000, Tax: 190})
	inv.PeriodStart, inv.PeriodEnd = "2020-11-20", "2021-01-20"
	return inv
}

// metered: a French business's invoice with the month's hosting and the
// last month's traffic above its quota, priced in graduated tiers, each
// tier a line with a fractional quantity and a sub-cent unit price.
func metered(lang string) billing.Invoice {
	dec := billing.TaxDecision{Category: billing.CategoryReverseCharge, Rate: decimal.Zero, Basis: billing.BasisReverseCharge, Note: "reverse_charge", VATEX: billing.VATEXReverseCharge}
	usage := func(id int64, desc, qty, unit string, net int64) billing.Line {
		l := line(id, "", desc, qty, unit, net, billing.CategoryReverseCharge, "0", "2026-11-01", "2026-12-01")
		l.Kind, l.Unit = billing.LineUsage, "GB"
		return l
	}
	inv := issued(billing.DocInvoice, 34, "INV-2026-000034", lang, "2026-12-01", "2026-12-15", frenchBuyer, dec, "0", 0,
		line(341, "", "Managed hosting", "1", "49", 4900, billing.CategoryReverseCharge, "0", "2026-12-01", "2027-01-01"),
		usage(342, "Traffic over 100 GB (GB 0-50)", "50", "0.015", 75),
		usage(343, "Traffic over 100 GB (GB 50-130.5)", "80.5", "0.0125", 101))
	inv.PeriodStart, inv.PeriodEnd = "2026-11-01", "2027-01-01"
	return inv
}

// Case is a golden document: the stored invoice and what it refers to.
type Case struct {
	Name    string
	Invoice billing.Invoice
	Credits *billing.Invoice
	Notes   []billing.Invoice
}

// Cases returns the sample documents in lang.
func Cases(lang string) []Case {
	dom, cn := domestic(lang), creditNote(lang)
	return []Case{
		{Name: "domestic", Invoice: dom, Notes: []billing.Invoice{cn}},
		{Name: "reverse_charge", Invoice: reverseCharge(lang)},
		{Name: "credit_note", Invoice: cn, Credits: &dom},
		{Name: "consolidated", Invoice: consolidated(lang)},
		{Name: "public_authority", Invoice: publicAuthority(lang)},
		{Name: "exempt", Invoice: exempt(lang)},
		{Name: "outside_scope", Invoice: outside(lang)},
		{Name: "reseller", Invoice: resellers(lang)},
		{Name: "small_business_de", Invoice: smallBusiness(lang, kleinunternehmer, domesticBuyer, 30, "2026-0007")},
		{Name: "small_business_fr", Invoice: smallBusiness(lang, microEntreprise, resellerClient, 31, "F-2026-012")},
		{Name: "small_business_it", Invoice: smallBusiness(lang, forfettario, italianConsumer, 32, "2026/41")},
		{Name: "small_business_dk", Invoice: smallBusiness(lang, lilleVirksomhed, danishConsumer, 33, "2026-118")},
		{Name: "rate_change", Invoice: rateChange(lang)},
		{Name: "metered", Invoice: metered(lang)},
	}
}

// Each runs fn as a subtest "<case>.<language>" for every sample document
// in every language, with its Document built.
func Each(t *testing.T, fn func(t *testing.T, c Case, d document.Document)) {
	for _, lang := range core.Languages {
		for _, c := range Cases(lang) {
			t.Run(c.Name+"."+lang, func(t *testing.T) {
				d, err := document.Build(c.Invoice, c.Credits, c.Notes)
				if err != nil {
					t.Fatal(err)
				}
				fn(t, c, d)
			})
		}
	}
}

// update is the -update flag of the tests that use Golden.
var update = flag.Bool("update", false, "rewrite the golden files")

// Golden compares got with the file at path, or writes it there under
// go test -update.
func Golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
