package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
)

// RateChange is an invoice a VAT rate change overtook: issued before the
// change for a period running past it, and not paid before it. Billed in
// advance, its rate was the invoice date's; where the seller's country
// taxes a continuous supply when the period ends, or the payment comes
// after the change, the supply after the change is taxed at the new rate
// (Art. 63 to 65 of Directive 2006/112/EC). The seller corrects it by a
// credit note and a new invoice (CorrectRate).
type RateChange struct {
	InvoiceID  int64  `json:"invoice_id"`
	Number     string `json:"number"`
	CustomerID int64  `json:"customer_id"`
	Customer   string `json:"customer"`
	IssueDate  string `json:"issue_date"`
	ChangeDay  string `json:"change_day"`
	Country    string `json:"country"` // whose rate changed
	Region     string `json:"region,omitempty"`
	OldRate    string `json:"old_rate"`
	NewRate    string `json:"new_rate"`
	PaidMinor  int64  `json:"paid_before_minor"` // paid before the change
	TotalMinor int64  `json:"total_minor"`
	Currency   string `json:"currency"`
}

// rateChangeDays lists the days a standard rate changed, of any member
// state or regional territory, after from up to and including to.
func rateChangeDays(from, to Date) []Date {
	var days []Date
	add := func(rs []rate) {
		for i, r := range rs {
			if i > 0 && r.from > from.String() && r.from <= to.String() {
				days = append(days, mustDay(r.from))
			}
		}
	}
	for _, rs := range standardRates {
		add(rs)
	}
	for _, t := range territories {
		add(t.Rates)
	}
	slices.SortFunc(days, func(a, b Date) int { return cmp.Compare(a.String(), b.String()) })
	return slices.Compact(days)
}

// rateOf is the standard rate a document's supply takes on day, decided
// again by DecideTax for a consumer at the buyer's address taxed as the
// document's basis says (where the seller is, or where the consumer is),
// with the country (and region) whose rate it is.
func rateOf(basis string, seller, buyer Party, day Date) (decimal.Decimal, string, string, bool) {
	d, err := DecideTax(TaxSeller{Country: seller.Country, Destination: basis == BasisOSS},
		TaxBuyer{Country: buyer.Country, PostalCode: buyer.PostalCode, Region: buyer.Region}, day, FallbackConsumer)
	if err != nil || d.Category != CategoryStandard {
		return decimal.Decimal{}, "", "", false
	}
	place := PlaceOf(buyer.Country, buyer.PostalCode, buyer.Region, seller.Country)
	country, region := seller.Country, ""
	if basis == BasisOSS {
		country = place.Country
	}
	if _, ok := place.Territory.RegionalRate(day); ok && place.Country == country && basis != BasisUnderThreshold {
		region = place.Territory.Name
	}
	return d.Rate, country, region, true
}

// RateChanges lists a seller's invoices a rate change overtook, from a
// year before day up to day.
func (s *Service) RateChanges(ctx context.Context, scope tenancy.Scope, sellerID int64, day Date) ([]RateChange, error) {
	out := []RateChange{}
	for _, change := range rateChangeDays(AddDays(day, -366), day) {
		var invs []Invoice
		err := s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")).
			Where("seller_id = ? AND kind = ? AND finalized_at IS NOT NULL AND status <> ? AND tax_basis IN ? AND issue_date < ? AND period_end > ? AND credited_minor < total_minor",
				sellerID, DocInvoice, InvoiceStatusCancelled, []string{BasisDomestic, BasisOSS, BasisUnderThreshold}, change.String(), change.String()).
			Order("id").Find(&invs).Error
		if err != nil {
			return nil, fmt.Errorf("invoices across the rate change of %s: %w", change, err)
		}
		for _, inv := range invs {
			rc, ok, err := s.overtaken(ctx, inv, change)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, rc)
			}
		}
	}
	return out, nil
}

// overtaken reports whether a rate change on change overtook inv: the rate
// of its supply changed that day, and it was not paid in full before.
func (s *Service) overtaken(ctx context.Context, inv Invoice, change Date) (RateChange, bool, error) {
	var sum TaxSummary
	var seller, buyer Party
	for _, u := range []struct {
		raw string
		v   any
	}{{inv.Taxes, &sum}, {inv.Seller, &seller}, {inv.Buyer, &buyer}} {
		if err := jsonUnmarshal(u.raw, u.v); err != nil {
			return RateChange{}, false, err
		}
	}
	if sum.Decision.Category != CategoryStandard {
		return RateChange{}, false, nil
	}
	before, country, region, ok1 := rateOf(inv.TaxBasis, seller, buyer, AddDays(change, -1))
	after, _, _, ok2 := rateOf(inv.TaxBasis, seller, buyer, change)
	if !ok1 || !ok2 || before.Equal(after) {
		return RateChange{}, false, nil
	}
	var paid int64
	err := s.db.Read(ctx).Table("payment_allocations").Joins("JOIN payments ON payments.id = payment_allocations.payment_id").
		Where("payment_allocations.invoice_id = ? AND payments.received_on < ? AND payment_allocations.created_at < ?", inv.ID, change.String(), change.String()).
		Select("COALESCE(SUM(payment_allocations.amount_minor), 0)").Scan(&paid).Error
	if err != nil {
		return RateChange{}, false, fmt.Errorf("payments of invoice %d before %s: %w", inv.ID, change, err)
	}
	if paid >= inv.TotalMinor {
		return RateChange{}, false, nil // paid in advance: taxed when received (Art. 65)
	}
	rc := RateChange{InvoiceID: inv.ID, CustomerID: inv.CustomerID, Customer: buyer.Name, IssueDate: inv.IssueDate, ChangeDay: change.String(),
		Country: country, Region: region, OldRate: before.String(), NewRate: after.String(), PaidMinor: paid, TotalMinor: inv.TotalMinor, Currency: inv.Currency}
	if inv.Number != nil {
		rc.Number = *inv.Number
	}
	return rc, true, nil
}

// InvoiceRateChange is the rate change that overtook an invoice, as of
// day; nil when none did.
func (s *Service) InvoiceRateChange(ctx context.Context, inv Invoice, day Date) (*RateChange, error) {
	if inv.Kind != DocInvoice || !inv.Frozen() || inv.Status == InvoiceStatusCancelled || inv.CreditedMinor >= inv.TotalMinor ||
		inv.PeriodEnd == "" || !slices.Contains([]string{BasisDomestic, BasisOSS, BasisUnderThreshold}, inv.TaxBasis) {
		return nil, nil
	}
	issue, err := ParseDay("issue_date", inv.IssueDate)
	if err != nil {
		return nil, err
	}
	for _, change := range rateChangeDays(issue, day) {
		if inv.PeriodEnd <= change.String() {
			break
		}
		rc, ok, err := s.overtaken(ctx, inv, change)
		if err != nil || ok {
			return &rc, err
		}
	}
	return nil, nil
}

// CorrectRate corrects an invoice a rate change overtook: a credit note
// for what is left of it, and a new draft invoice with the same lines at
// the rates in force at their chargeable events as of today, for the
// seller to check and finalize. It refuses an invoice no rate change
// overtook.
func (s *Service) CorrectRate(ctx context.Context, scope tenancy.Scope, invoiceID int64) (credit, replacement Invoice, err error) {
	orig, err := s.sellerInvoice(ctx, scope, invoiceID)
	if err != nil {
		return credit, replacement, err
	}
	loc, err := s.sellerZone(ctx, orig.SellerID)
	if err != nil {
		return credit, replacement, err
	}
	today := LocalDay(s.now(), loc)
	changes, err := s.RateChanges(ctx, scope, orig.SellerID, today)
	if err != nil {
		return credit, replacement, err
	}
	i := slices.IndexFunc(changes, func(rc RateChange) bool { return rc.InvoiceID == invoiceID })
	if i < 0 {
		return credit, replacement, core.E(core.ErrPrecondition, "invoice %d was not overtaken by a VAT rate change: nothing to correct", invoiceID)
	}
	rc := changes[i]
	reason := fmt.Sprintf("VAT rate change on %s (%s %s%% -> %s%%): replaced by a new invoice", rc.ChangeDay, rc.Country, rc.OldRate, rc.NewRate)
	err = s.tx(ctx, func(ctx context.Context) error {
		if credit, err = s.CreditNote(ctx, scope, invoiceID, CreditNoteInput{Full: true, Reason: reason}); err != nil {
			return err
		}
		snap, err := s.settings.Snapshot(ctx, runSettings...)
		if err != nil {
			return err
		}
		p, err := s.newPartyCache(snap, today).get(ctx, orig.SellerID, orig.CustomerID)
		if err != nil {
			return err
		}
		d := newDraft(DocInvoice, orig.SellerID, orig.CustomerID, orig.Currency, p, today, actorLabel(ctx), s.now())
		d.inv.Subproject, d.inv.DueDate, d.inv.PeriodStart, d.inv.PeriodEnd = orig.Subproject, today.String(), orig.PeriodStart, orig.PeriodEnd
		d.inv.Reason = fmt.Sprintf("Replaces %s: VAT rate change on %s", rc.Number, rc.ChangeDay)
		for _, l := range orig.Lines {
			d.addLine(p, Line{ContractID: l.ContractID, Section: l.Section, Kind: l.Kind, Description: l.Description, Quantity: l.Quantity,
				UnitPrice: l.UnitPrice, NetMinor: l.NetMinor, PeriodStart: l.PeriodStart, PeriodEnd: l.PeriodEnd})
		}
		if err := d.taxLines(p); err != nil {
			return err
		}
		if err := d.totals(p); err != nil {
			return err
		}
		if err := s.insertDrafts(ctx, []*draft{d}, s.now()); err != nil {
			return err
		}
		replacement = d.inv
		return s.record(ctx, "billing.invoice.rate_correction", "invoice", invoiceID, orig.CustomerID, orig.CustomerPath, nil,
			map[string]any{"credit_note": credit.ID, "replacement": replacement.ID, "change_day": rc.ChangeDay, "old_rate": rc.OldRate, "new_rate": rc.NewRate})
	})
	return credit, replacement, err
}
