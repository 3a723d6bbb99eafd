// Package document is the model every rendering of an invoice or credit
// note starts from (the HTML view, and the PDF and e-invoice renderers):
// a typed Document built from a stored document, with its frozen parties,
// its lines in sections, the tax breakdown, the totals, the notes, the
// payment terms and the references between invoices and credit notes; and
// a View of it formatted in one of the five languages.
package document

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"faktura/billing"
	"faktura/panel/core"
)

// Document is a stored invoice or credit note as its renderers need it.
type Document struct {
	ID       int64                 `json:"id"`
	Kind     string                `json:"kind"`   // billing.DocInvoice or billing.DocCreditNote
	Number   string                `json:"number"` // empty on a draft
	Status   billing.InvoiceStatus `json:"status"`
	Language string                `json:"language"` // the buyer's; every label and format follows it
	Currency string                `json:"currency"`

	IssueDate core.Date  `json:"issue_date"`
	DueDate   *core.Date `json:"due_date,omitempty"` // invoices only
	// The service period, first and last day (inclusive, as EN 16931's
	// invoicing period and a reader want it; billing stores the end as the
	// next period's start).
	PeriodStart *core.Date `json:"period_start,omitempty"`
	PeriodEnd   *core.Date `json:"period_end,omitempty"`
	// PaymentDays is the payment term: days from issue to due date.
	PaymentDays int `json:"payment_days,omitempty"`

	Seller   billing.Party `json:"seller"`
	Buyer    billing.Party `json:"buyer"`
	Sections []Section     `json:"sections"`
	Taxes    []TaxLine     `json:"taxes"`
	Totals   Totals        `json:"totals"`

	// Notes in the document's language: the tax note (reverse charge,
	// outside the scope) and the exemption reason.
	TaxNote   string `json:"tax_note,omitempty"`
	Exemption string `json:"exemption,omitempty"`
	VATEX     string `json:"vatex,omitempty"`  // the decision's exemption reason code (BT-121)
	Reason    string `json:"reason,omitempty"` // a credit note's reason

	Credits  *Ref  `json:"credits,omitempty"`     // the invoice a credit note corrects
	CreditBy []Ref `json:"credited_by,omitempty"` // credit notes issued against an invoice
}

// Section groups lines: one per subproject on a consolidated invoice, a
// single unnamed one otherwise.
type Section struct {
	Name  string `json:"name,omitempty"`
	Lines []Line `json:"lines"`
}

// Line is one invoice line.
type Line struct {
	ID          int64            `json:"id"`
	Description string           `json:"description"`
	Quantity    decimal.Decimal  `json:"quantity"`
	Unit        string           `json:"unit,omitempty"` // what the quantity counts (GB); empty: pieces
	UnitPrice   decimal.Decimal  `json:"unit_price"`     // major units, up to 6 decimals
	NetMinor    int64            `json:"net_minor"`
	TaxCategory billing.Category `json:"tax_category"`
	TaxRate     decimal.Decimal  `json:"tax_rate"`
	PeriodStart *core.Date       `json:"period_start,omitempty"`
	PeriodEnd   *core.Date       `json:"period_end,omitempty"`
}

// TaxLine is the VAT of one category and rate.
type TaxLine struct {
	Category  billing.Category `json:"category"`
	Rate      decimal.Decimal  `json:"rate"`
	BaseMinor int64            `json:"base_minor"`
	TaxMinor  int64            `json:"tax_minor"`
}

// Totals of the document. Due is what is left to pay on an invoice
// (total less payments and credit notes); zero on a credit note.
type Totals struct {
	NetMinor      int64 `json:"net_minor"`
	TaxMinor      int64 `json:"tax_minor"`
	TotalMinor    int64 `json:"total_minor"`
	PaidMinor     int64 `json:"paid_minor"`
	CreditedMinor int64 `json:"credited_minor"`
	DueMinor      int64 `json:"due_minor"`
}

// Ref names another document.
type Ref struct {
	ID         int64     `json:"id"`
	Number     string    `json:"number"`
	IssueDate  core.Date `json:"issue_date"`
	TotalMinor int64     `json:"total_minor"`
}

// IsCreditNote reports whether the document is a credit note.
func (d *Document) IsCreditNote() bool { return d.Kind == billing.DocCreditNote }

// IsDraft reports whether the document has no number yet.
func (d *Document) IsDraft() bool { return d.Number == "" }

// Build makes the Document of inv. credits is the invoice a credit note
// corrects (nil otherwise); creditNotes are those issued against an
// invoice. A stored document that does not parse is an error: it was
// written by this code, so it names a bug, not bad input.
func Build(inv billing.Invoice, credits *billing.Invoice, creditNotes []billing.Invoice) (Document, error) {
	d := Document{ID: inv.ID, Kind: inv.Kind, Status: inv.Status, Language: inv.Language, Currency: inv.Currency, Reason: inv.Reason}
	if !core.IsLanguage(d.Language) {
		d.Language = core.Languages[0]
	}
	if inv.Number != nil {
		d.Number = *inv.Number
	}
	var err error
	if d.IssueDate, err = core.ParseDate("issue_date", inv.IssueDate); err != nil {
		return d, fmt.Errorf("document %d: %w", inv.ID, err)
	}
	if d.PeriodStart, d.PeriodEnd, err = period(inv.PeriodStart, inv.PeriodEnd); err != nil {
		return d, fmt.Errorf("document %d: %w", inv.ID, err)
	}
	if inv.Kind == billing.DocInvoice {
		if d.DueDate, err = optDate("due_date", inv.DueDate); err != nil {
			return d, err
		}
		if d.DueDate != nil {
			d.PaymentDays = int(d.DueDate.In(time.UTC).Sub(d.IssueDate.In(time.UTC)).Hours() / 24)
		}
	}
	if err := d.parties(inv); err != nil {
		return d, err
	}
	if err := d.lines(inv.Lines); err != nil {
		return d, err
	}
	d.Totals = Totals{NetMinor: inv.NetMinor, TaxMinor: inv.TaxMinor, TotalMinor: inv.TotalMinor, PaidMinor: inv.PaidMinor, CreditedMinor: inv.CreditedMinor}
	if inv.Kind == billing.DocInvoice {
		d.Totals.DueMinor = max(0, inv.TotalMinor-inv.PaidMinor-inv.CreditedMinor)
	}
	if credits != nil {
		r := refOf(*credits)
		d.Credits = &r
	}
	for _, cn := range creditNotes {
		d.CreditBy = append(d.CreditBy, refOf(cn))
	}
	return d, nil
}

func (d *Document) parties(inv billing.Invoice) error {
	for _, p := range []struct {
		name, raw string
		into      any
	}{{"seller", inv.Seller, &d.Seller}, {"buyer", inv.Buyer, &d.Buyer}} {
		if p.raw == "" {
			continue // a draft made before its parties were frozen
		}
		if err := json.Unmarshal([]byte(p.raw), p.into); err != nil {
			return fmt.Errorf("document %d: %s: %w", inv.ID, p.name, err)
		}
	}
	if inv.Taxes == "" {
		return nil
	}
	var sum billing.TaxSummary
	if err := json.Unmarshal([]byte(inv.Taxes), &sum); err != nil {
		return fmt.Errorf("document %d: taxes: %w", inv.ID, err)
	}
	d.TaxNote, d.Exemption, d.VATEX = sum.Note, sum.Decision.Reason, sum.Decision.VATEX
	for _, t := range sum.Lines {
		rate, err := decimal.NewFromString(t.Rate)
		if err != nil {
			return fmt.Errorf("document %d: tax rate %q: %w", inv.ID, t.Rate, err)
		}
		d.Taxes = append(d.Taxes, TaxLine{Category: t.Category, Rate: rate, BaseMinor: t.Base, TaxMinor: t.Tax})
	}
	return nil
}

func (d *Document) lines(ls []billing.Line) error {
	for _, l := range ls {
		q, err1 := decimal.NewFromString(l.Quantity)
		p, err2 := decimal.NewFromString(l.UnitPrice)
		r, err3 := decimal.NewFromString(l.TaxRate)
		ps, pe, err4 := period(l.PeriodStart, l.PeriodEnd)
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				return fmt.Errorf("document %d line %d: %w", d.ID, l.ID, err)
			}
		}
		if n := len(d.Sections); n == 0 || d.Sections[n-1].Name != l.Section {
			d.Sections = append(d.Sections, Section{Name: l.Section})
		}
		s := &d.Sections[len(d.Sections)-1]
		s.Lines = append(s.Lines, Line{ID: l.ID, Description: l.Description, Quantity: q, Unit: l.Unit, UnitPrice: p, NetMinor: l.NetMinor,
			TaxCategory: l.TaxCategory, TaxRate: r, PeriodStart: ps, PeriodEnd: pe})
	}
	return nil
}

func refOf(inv billing.Invoice) Ref {
	r := Ref{ID: inv.ID, TotalMinor: inv.TotalMinor}
	if inv.Number != nil {
		r.Number = *inv.Number
	}
	r.IssueDate, _ = core.ParseDate("issue_date", inv.IssueDate)
	return r
}

// period reads a stored service period, whose end is the next period's
// start, as its first and last day. A one-day item (start = end) stays
// as it is.
func period(start, end string) (*core.Date, *core.Date, error) {
	from, err := optDate("period_start", start)
	if err != nil {
		return nil, nil, err
	}
	to, err := optDate("period_end", end)
	if err != nil || to == nil {
		return from, to, err
	}
	if from == nil || billing.DaysBetween(*from, *to) > 0 {
		last := billing.AddDays(*to, -1)
		to = &last
	}
	return from, to, nil
}

func optDate(field, s string) (*core.Date, error) {
	if s == "" {
		return nil, nil
	}
	d, err := core.ParseDate(field, s)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// HasCategory reports whether the document's VAT breakdown has category c.
func (d *Document) HasCategory(c billing.Category) bool {
	for _, t := range d.Taxes {
		if t.Category == c {
			return true
		}
	}
	return false
}
