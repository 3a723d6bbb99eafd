package document

import (
	"strings"

	"faktura/billing"
	"faktura/panel/core"
)

// View is a Document written out in one language: every amount, quantity,
// price, rate and date as the reader of that language expects it. The
// renderers add the labels (from the theme, in View.Lang) and the layout.
type View struct {
	Lang        string
	ID          int64
	Kind        string
	Number      string
	Status      string
	CreditNote  bool
	Draft       bool
	IssueDate   string
	DueDate     string
	Period      string
	PaymentDays int
	Seller      PartyView
	Buyer       PartyView
	Sections    []SectionView
	Taxes       []TaxView
	Net         string
	Tax         string
	Total       string
	Paid        string // empty when nothing was paid
	Credited    string // empty when nothing was credited
	Due         string // an invoice's open amount; empty on a credit note
	TaxNote     string
	Exemption   string
	Reason      string
	Credits     *RefView
	CreditBy    []RefView
}

// PartyView is a seller or buyer block: the postal address line by line
// and the identifiers the renderer labels.
type PartyView struct {
	Name           string
	Address        []string
	Country        string
	VATID          string
	RegistrationID string
	Email          string
	// Consultation is the number VIES gave the check of a reverse-charge
	// buyer's VAT id: printed beside it, the seller's evidence that the
	// buyer is a taxable person (Art. 18(1)(a) of Regulation 282/2011).
	Consultation string

	party billing.Party
}

// IDs are the party's identifiers labelled as its country names them
// (IDLines).
func (v PartyView) IDs(l func(string) string) []string { return IDLines(v.party, l) }

// SectionView is a group of lines.
type SectionView struct {
	Name  string
	Lines []LineView
}

// LineView is a formatted line.
type LineView struct {
	ID          int64
	Description string
	Period      string
	Quantity    string
	UnitPrice   string
	Tax         string // "S 19 %"
	Net         string
}

// TaxView is a formatted line of the VAT breakdown.
type TaxView struct {
	Category string
	Rate     string
	Base     string
	Tax      string
}

// RefView is a formatted reference to another document.
type RefView struct {
	ID     int64
	Number string
	Date   string
	Total  string
}

// View writes d in its own language.
func (d *Document) View() View { return d.ViewIn(d.Language) }

// ViewIn writes d in lang (an unknown language gets English).
func (d *Document) ViewIn(lang string) View {
	l := LocaleFor(lang)
	m := func(minor int64) string { return l.Money(minor, d.Currency) }
	v := View{Lang: l.Lang, ID: d.ID, Kind: d.Kind, Number: d.Number, Status: string(d.Status), CreditNote: d.IsCreditNote(), Draft: d.IsDraft(),
		IssueDate: l.Date(d.IssueDate), Period: l.period(d.PeriodStart, d.PeriodEnd), PaymentDays: d.PaymentDays,
		Seller: partyView(d.Seller), Buyer: partyView(d.Buyer),
		Net: m(d.Totals.NetMinor), Tax: m(d.Totals.TaxMinor), Total: m(d.Totals.TotalMinor),
		TaxNote: d.TaxNote, Exemption: d.Exemption, Reason: d.Reason}
	if d.Buyer.VATRequestID != "" && d.HasCategory(billing.CategoryReverseCharge) {
		v.Buyer.Consultation = d.Buyer.VATRequestID
	}
	if d.DueDate != nil {
		v.DueDate = l.Date(*d.DueDate)
	}
	if !d.IsCreditNote() {
		v.Due = m(d.Totals.DueMinor)
	}
	if d.Totals.PaidMinor != 0 {
		v.Paid = m(d.Totals.PaidMinor)
	}
	if d.Totals.CreditedMinor != 0 {
		v.Credited = m(d.Totals.CreditedMinor)
	}
	for _, s := range d.Sections {
		sv := SectionView{Name: s.Name}
		for _, ln := range s.Lines {
			sv.Lines = append(sv.Lines, LineView{ID: ln.ID, Description: ln.Description, Period: l.period(ln.PeriodStart, ln.PeriodEnd),
				Quantity: strings.TrimSpace(l.Quantity(ln.Quantity) + " " + ln.Unit), UnitPrice: l.UnitPrice(ln.UnitPrice, d.Currency),
				Tax: lineTax(l, ln), Net: m(ln.NetMinor)})
		}
		v.Sections = append(v.Sections, sv)
	}
	for _, t := range d.Taxes {
		v.Taxes = append(v.Taxes, TaxView{Category: string(t.Category), Rate: l.Percent(t.Rate), Base: m(t.BaseMinor), Tax: m(t.TaxMinor)})
	}
	ref := func(r Ref) RefView {
		return RefView{ID: r.ID, Number: r.Number, Date: l.Date(r.IssueDate), Total: m(r.TotalMinor)}
	}
	if d.Credits != nil {
		r := ref(*d.Credits)
		v.Credits = &r
	}
	for _, r := range d.CreditBy {
		v.CreditBy = append(v.CreditBy, ref(r))
	}
	return v
}

// period writes a service period "from – to"; either end may be missing.
func (l Locale) period(from, to *core.Date) string {
	var parts []string
	for _, d := range []*core.Date{from, to} {
		if d != nil {
			parts = append(parts, l.Date(*d))
		}
	}
	return strings.Join(parts, " – ")
}

func partyView(p billing.Party) PartyView {
	v := PartyView{Name: p.Name, Country: p.Country, VATID: p.VATID, RegistrationID: p.RegistrationID, Email: p.Email, party: p}
	for _, line := range []string{p.Address1, p.Address2, strings.TrimSpace(p.PostalCode + " " + p.City), p.Region, p.Country} {
		if line != "" {
			v.Address = append(v.Address, line)
		}
	}
	return v
}

// PartyViewOf is a party's block as every rendering writes it.
func PartyViewOf(p billing.Party) PartyView { return partyView(p) }

// lineTax is a line's VAT column: its category and rate ("S 19 %"), the
// category alone where there is no rate (outside the scope, O).
func lineTax(l Locale, ln Line) string {
	if ln.TaxCategory == billing.CategoryOutside {
		return string(ln.TaxCategory)
	}
	return string(ln.TaxCategory) + " " + l.Percent(ln.TaxRate)
}

// IDLines are a party's identifiers as its country's invoices name them,
// with labels from l: the VAT id ("Partita IVA" in Italy), the SIREN or
// SIRET in France, the CVR number in Denmark, else the registration.
func IDLines(pt billing.Party, l func(string) string) []string {
	var out []string
	reg := strings.ReplaceAll(pt.RegistrationID, " ", "")
	switch {
	case pt.Country == "IT" && pt.VATID != "":
		out = append(out, "Partita IVA "+pt.VATID)
	case pt.VATID != "":
		out = append(out, l("doc.vat_id")+" "+pt.VATID)
	}
	switch {
	case pt.Country == "FR" && len(reg) == 9 && billing.IsDigits(reg):
		out = append(out, "SIREN "+pt.RegistrationID)
	case pt.Country == "FR" && len(reg) == 14 && billing.IsDigits(reg):
		out = append(out, "SIRET "+pt.RegistrationID)
	case pt.Country == "DK" && pt.RegistrationID != "":
		out = append(out, "CVR "+pt.RegistrationID)
	case pt.Country == "DK" && strings.HasPrefix(pt.VATID, "DK"):
		out = append(out, "CVR "+strings.TrimPrefix(pt.VATID, "DK"))
	case pt.RegistrationID != "":
		out = append(out, l("doc.registration_id")+" "+pt.RegistrationID)
	}
	return out
}
