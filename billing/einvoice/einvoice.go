// Package einvoice writes EN 16931 electronic invoices from a
// document.Document: UBL 2.1 Invoice and CreditNote, and UN/CEFACT CII
// D16B (also the XML a Factur-X PDF carries), for the plain EN 16931
// profile, XRechnung (German public buyers) and Peppol BIS Billing 3.0.
//
// The output depends on the document alone (no clock, no random ids), so
// rendering a finalized document again yields the same bytes. Payments
// made after finalization are not part of it: the amount due is the
// document's total, as on the day it was issued.
package einvoice

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/money"
)

// Syntax is an EN 16931 syntax.
type Syntax string

// The two syntaxes.
const (
	UBL Syntax = "ubl"
	CII Syntax = "cii"
)

// Profile is a specification an invoice follows (BT-24).
type Profile string

// The profiles.
const (
	EN16931   Profile = "en16931"
	XRechnung Profile = "xrechnung"
	Peppol    Profile = "peppol"
)

// Specification identifiers (BT-24) and the Peppol business process (BT-23).
const (
	specEN16931   = "urn:cen.eu:en16931:2017"
	specXRechnung = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
	specPeppol    = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
	processPeppol = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
)

// For returns the syntax and profile of the e-invoice a buyer asked for in
// its billing profile (billing.EInvoice*); ok is false for none.
func For(format string) (Syntax, Profile, bool) {
	switch format {
	case billing.EInvoiceUBL:
		return UBL, EN16931, true
	case billing.EInvoiceCII:
		return CII, EN16931, true
	case billing.EInvoiceXRechnung:
		return UBL, XRechnung, true
	case billing.EInvoicePeppol:
		return UBL, Peppol, true
	}
	return "", "", false
}

// Write renders d in syntax s under profile p. Drafts have no e-invoice.
func Write(d document.Document, s Syntax, p Profile) ([]byte, error) {
	f, err := factsOf(d, p)
	if err != nil {
		return nil, err
	}
	switch {
	case s == UBL:
		return f.ubl(), nil
	case s == CII && p != Peppol:
		return f.cii(), nil
	}
	return nil, core.Invalid("format", "no %s e-invoice for the %s profile", s, p)
}

// facts are the business terms of one e-invoice, worked out once for
// both syntaxes.
type facts struct {
	d        document.Document
	profile  Profile
	spec     string
	process  string
	credit   bool
	exp      int32
	outside  bool // a category O invoice: no VAT ids at all (BR-O-02)
	seller   party
	buyer    party
	buyerRef string
	orderRef string // BT-13
	notes    []string
	terms    string
	payRef   string // BT-83, the RF creditor reference
	means    string // BT-81
	lines    []line
	taxes    []tax
}

type party struct {
	billing.Party
	endpointScheme, endpointID string
	vatID                      string // BT-31 / BT-48, empty when it must not be given
	legalID, legalScheme       string // BT-30 / BT-47
	sellerID, sellerScheme     string // BT-29, only when no other id is allowed or given
}

type line struct {
	id          string
	note        string // the subproject (section) it belongs to
	name        string
	qty, price  string
	unit        string // UN/ECE Rec. 20 code
	net         string
	cat         billing.Category
	rate        string
	start, stop string
}

type tax struct {
	cat        billing.Category
	rate       string
	base, tax  string
	reason     string
	reasonCode string
}

func factsOf(d document.Document, p Profile) (*facts, error) {
	if d.IsDraft() {
		return nil, core.E(core.ErrPrecondition, "document %d is a draft: only a finalized document has an e-invoice", d.ID)
	}
	cur, err := money.ParseCurrency(d.Currency)
	if err != nil {
		return nil, fmt.Errorf("document %d: %w", d.ID, err)
	}
	f := &facts{d: d, profile: p, credit: d.IsCreditNote(), exp: cur.Exponent()}
	switch p {
	case EN16931:
		f.spec = specEN16931
	case XRechnung:
		f.spec, f.process = specXRechnung, processPeppol
	case Peppol:
		f.spec, f.process = specPeppol, processPeppol
	default:
		return nil, core.Invalid("profile", "unknown e-invoice profile %q", p)
	}
	for _, t := range d.Taxes {
		f.outside = f.outside || t.Category == billing.CategoryOutside
	}
	f.seller = partyOf(d.Seller, !f.outside)
	f.buyer = partyOf(d.Buyer, !f.outside)
	if f.outside && f.seller.legalID == "" && d.Seller.VATID != "" {
		f.seller.sellerID = d.Seller.VATID // BR-CO-26 wants an id; BR-O-02 forbids it as a VAT id
	}
	if f.seller.sellerID == "" && f.seller.legalID == "" && f.seller.vatID == "" {
		// BR-CO-26: a seller with neither a VAT id nor a registration (a
		// small business) is named by its electronic address's ISO 6523
		// identifier, or else by its tax number.
		if s, id, ok := billing.SplitEndpoint(d.Seller.EndpointID); ok && len(s) == 4 && billing.IsDigits(s) {
			f.seller.sellerID, f.seller.sellerScheme = id, s
		} else {
			f.seller.sellerID = d.Seller.TaxNumber
		}
	}
	f.buyerRef, f.orderRef = d.Buyer.BuyerReference, d.Buyer.OrderReference
	if f.buyerRef == "" && f.orderRef == "" && p != EN16931 {
		f.buyerRef = "C" + strconv.FormatInt(d.Buyer.TenantID, 10) // the customer number (Peppol wants BT-10 or BT-13)
	}
	lang := d.Language
	if d.TaxNote != "" {
		f.notes = append(f.notes, d.TaxNote)
	}
	if f.credit && d.Reason != "" {
		f.notes = append(f.notes, d.Reason)
	}
	if n := natureNote(d); n != "" {
		f.notes = append(f.notes, n)
	}
	if !f.credit && d.DueDate != nil {
		f.terms = fmt.Sprintf(phrase(lang, "terms"), document.LocaleFor(lang).Date(*d.DueDate))
	}
	switch {
	case !f.credit && d.Seller.IBAN != "":
		f.means = "58" // SEPA credit transfer
		if ref, err := payment.CreditorReference(d.Number); err == nil {
			f.payRef = ref
		}
	default:
		// Mutually defined: paid online through the panel, or a credit
		// note's amount goes to the customer's credit balance or back the
		// way it was paid. German rules want payment instructions always.
		f.means = "ZZZ"
	}
	if p == Peppol {
		var v core.ValidationError
		if f.buyer.endpointID == "" || f.buyer.endpointScheme == "EM" {
			v.Add("buyer.endpoint_id", "Peppol needs the buyer's Peppol participant id (its billing profile's electronic address)")
		}
		if f.seller.endpointID == "" || f.seller.endpointScheme == "EM" {
			v.Add("seller.endpoint_id", "Peppol needs the seller's Peppol participant id: set the electronic address or an EU VAT id in its billing profile")
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
	}
	n := 0
	for _, s := range d.Sections {
		for _, l := range s.Lines {
			n++
			qty, price := l.Quantity, l.UnitPrice
			if price.IsNegative() { // BR-27: the price is never negative; the quantity carries the sign
				qty, price = qty.Neg(), price.Neg()
			}
			ln := line{id: strconv.Itoa(n), note: s.Name, name: l.Description, qty: qty.String(), price: price.String(),
				unit: unitCode(l.Unit), net: f.amount(l.NetMinor), cat: l.TaxCategory}
			if l.TaxCategory != billing.CategoryOutside {
				ln.rate = l.TaxRate.String()
			}
			if l.PeriodStart != nil {
				ln.start = l.PeriodStart.String()
			}
			if l.PeriodEnd != nil {
				ln.stop = l.PeriodEnd.String()
			}
			f.lines = append(f.lines, ln)
		}
	}
	for _, t := range d.Taxes {
		x := tax{cat: t.Category, base: f.amount(t.BaseMinor), tax: f.amount(t.TaxMinor)}
		if t.Category != billing.CategoryOutside {
			x.rate = t.Rate.String()
		}
		switch t.Category {
		case billing.CategoryReverseCharge:
			x.reasonCode, x.reason = cmp.Or(d.VATEX, billing.VATEXReverseCharge), cmp.Or(d.TaxNote, phrase(lang, "reverse_charge"))
		case billing.CategoryOutside:
			x.reasonCode, x.reason = cmp.Or(d.VATEX, billing.VATEXOutside), cmp.Or(d.TaxNote, phrase(lang, "outside"))
		case billing.CategoryExempt:
			x.reasonCode, x.reason = d.VATEX, cmp.Or(d.Exemption, d.TaxNote, phrase(lang, "exempt"))
		}
		f.taxes = append(f.taxes, x)
	}
	if len(f.lines) == 0 || len(f.taxes) == 0 {
		return nil, core.Invalid("lines", "document %d has no lines or no VAT breakdown", d.ID)
	}
	return f, nil
}

// amount writes minor units as the decimal amount EN 16931 wants.
func (f *facts) amount(minor int64) string {
	return decimal.New(minor, -f.exp).StringFixed(f.exp)
}

// partyOf gives a party its e-invoice ids: its electronic address (the
// one in its profile, else one made of its VAT id, else its e-mail), its
// VAT id unless the invoice is outside the scope, and its legal
// registration (a French party's SIREN under scheme 0002).
func partyOf(p billing.Party, withVAT bool) party {
	out := party{Party: p}
	if s, id, ok := billing.SplitEndpoint(p.EndpointID); ok {
		out.endpointScheme, out.endpointID = s, id
	} else if s := vatScheme[p.Country]; s != "" && p.VATID != "" {
		out.endpointScheme, out.endpointID = s, p.VATID
	} else if p.Email != "" {
		out.endpointScheme, out.endpointID = "EM", p.Email
	}
	if withVAT && len(p.VATID) > 2 && p.VATID[0] >= 'A' && p.VATID[0] <= 'Z' && p.VATID[1] >= 'A' && p.VATID[1] <= 'Z' {
		out.vatID = p.VATID
	}
	reg := strings.ReplaceAll(p.RegistrationID, " ", "")
	if p.Country == "DK" && p.TaxNumber == "" && p.VATID == "" && reg != "" {
		out.TaxNumber = reg // a Danish business not registered for VAT is known to the tax office by its CVR number (BT-32)
	}
	switch {
	case p.Country == "FR" && len(reg) >= 9 && billing.IsDigits(reg):
		out.legalID, out.legalScheme = reg[:9], "0002"
	default:
		out.legalID = p.RegistrationID
	}
	return out
}

// vatScheme is the EAS scheme of each country's VAT number, for an
// electronic address made of a VAT id.
var vatScheme = map[string]string{
	"AT": "9914", "BE": "9925", "BG": "9926", "CY": "9928", "CZ": "9929", "DE": "9930", "EE": "9931", "GR": "9933", "HR": "9934",
	"IE": "9935", "LT": "9937", "LU": "9938", "LV": "9939", "MT": "9943", "NL": "9944", "PL": "9945", "PT": "9946", "RO": "9947",
	"SI": "9949", "SK": "9950", "FR": "9957", "IT": "0211", "DK": "0198", "HU": "9910", "ES": "9920",
}

// natureNote is the French mention of what is supplied (services).
func natureNote(d document.Document) string {
	if d.Seller.Country != "FR" {
		return ""
	}
	return "Prestations de services"
}

// phrase is the text of the few sentences the e-invoice carries itself.
func phrase(lang, key string) string {
	m := phrases[key]
	if s, ok := m[lang]; ok {
		return s
	}
	return m["en"]
}

var phrases = map[string]map[string]string{
	"terms": {"en": "Payable by %s.", "de": "Zahlbar bis %s.", "fr": "Payable avant le %s.", "it": "Pagabile entro il %s.", "da": "Betales senest %s."},
	"reverse_charge": {"en": "Reverse charge", "de": "Steuerschuldnerschaft des Leistungsempfängers", "fr": "Autoliquidation",
		"it": "Inversione contabile", "da": "Omvendt betalingspligt"},
	"outside": {"en": "Not subject to VAT", "de": "Nicht steuerbar", "fr": "Non soumis à la TVA", "it": "Operazione non soggetta", "da": "Ikke momspligtig"},
	"exempt":  {"en": "Exempt from VAT", "de": "Steuerfrei", "fr": "Exonéré de TVA", "it": "Esente IVA", "da": "Momsfritaget"},
}
