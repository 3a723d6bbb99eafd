package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// CreditItem credits part of one invoice line (net, minor units).
type CreditItem struct {
	LineID      int64 `json:"line_id"`
	AmountMinor int64 `json:"amount_minor"`
}

// CreditNoteInput credits an invoice in full, or the named lines in part.
type CreditNoteInput struct {
	Full   bool         `json:"full"`
	Lines  []CreditItem `json:"lines"`
	Reason string       `json:"reason"`
}

// Validate reports malformed input (amounts are checked against the
// invoice later).
func (in *CreditNoteInput) Validate() error {
	var v core.ValidationError
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || len(in.Reason) > 500 {
		v.Add("reason", "must be 1-500 characters: it is printed on the credit note")
	}
	if in.Full == (len(in.Lines) > 0) {
		v.Add("lines", "give either full=true or the lines to credit")
	}
	for i, it := range in.Lines {
		if it.AmountMinor <= 0 {
			v.Addf(fmt.Sprintf("lines.%d.amount_minor", i), "must be above 0")
		}
	}
	return v.Err()
}

func jsonUnmarshal(s string, v any) error {
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decode stored document data: %w", err)
	}
	return nil
}

// CreditNote issues a credit note against a finalized invoice the caller
// issued: its own gapless series, a reference to the invoice, the
// invoice's parties and tax, finalized at once. A fully credited unpaid
// invoice becomes cancelled; this is the only way to cancel one.
func (s *Service) CreditNote(ctx context.Context, scope tenancy.Scope, invoiceID int64, in CreditNoteInput) (Invoice, error) {
	if err := in.Validate(); err != nil {
		return Invoice{}, err
	}
	var cn Invoice
	_, err := s.changeInvoice(ctx, scope, invoiceID, func(ctx context.Context, orig *Invoice) error {
		credited, err := s.creditedPerLine(ctx, orig.ID)
		if err != nil {
			return err
		}
		var items []creditItem
		if in.Full {
			for _, l := range orig.Lines {
				if left := l.NetMinor - credited[l.ID]; left != 0 {
					items = append(items, creditItem{line: l, amount: left})
				}
			}
			if len(items) == 0 {
				return core.Invalid("full", "invoice %d is credited in full already", invoiceID)
			}
		}
		for i, it := range in.Lines {
			l, ok := lineByID(orig.Lines, it.LineID)
			field := fmt.Sprintf("lines.%d.", i)
			switch {
			case !ok:
				return core.Invalid(field+"line_id", "invoice %d has no line %d", invoiceID, it.LineID)
			case l.NetMinor <= 0:
				return core.Invalid(field+"line_id", "line %d is not a charge", it.LineID)
			case it.AmountMinor > l.NetMinor-credited[l.ID]:
				return core.Invalid(field+"amount_minor", "at most %d is left to credit on line %d", l.NetMinor-credited[l.ID], it.LineID)
			}
			credited[l.ID] += it.AmountMinor
			items = append(items, creditItem{line: l, amount: it.AmountMinor})
		}
		cn, err = s.issueCredit(ctx, *orig, items, in.Reason, actorLabel(ctx))
		return err
	})
	return cn, err
}

type creditItem struct {
	line   Line
	amount int64
	desc   string
}

func lineByID(ls []Line, id int64) (Line, bool) {
	for _, l := range ls {
		if l.ID == id {
			return l, true
		}
	}
	return Line{}, false
}

func (s *Service) creditedPerLine(ctx context.Context, invoiceID int64) (map[int64]int64, error) {
	var rows []struct {
		CreditsLine int64
		Sum         int64
	}
	err := s.db.Conn(ctx).Table("invoice_lines").Select("invoice_lines.credits_line, SUM(invoice_lines.net_minor) AS sum").
		Joins("JOIN invoices ON invoices.id = invoice_lines.invoice_id").
		Where("invoices.credits_id = ? AND invoice_lines.credits_line IS NOT NULL", invoiceID).Group("invoice_lines.credits_line").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("credited amounts of invoice %d: %w", invoiceID, err)
	}
	out := map[int64]int64{}
	for _, r := range rows {
		out[r.CreditsLine] = r.Sum
	}
	return out, nil
}

// creditLine credits amount of one line of a finalized invoice (a
// prorated downgrade or termination), capped at what is left.
func (s *Service) creditLine(ctx context.Context, invoiceID, lineID, amount int64, desc, by string) (*Invoice, error) {
	orig, err := s.Invoice(ctx, allTenants, invoiceID)
	if err != nil {
		return nil, err
	}
	credited, err := s.creditedPerLine(ctx, invoiceID)
	if err != nil {
		return nil, err
	}
	l, ok := lineByID(orig.Lines, lineID)
	if !ok {
		return nil, core.E(core.ErrNotFound, "invoice %d has no line %d", invoiceID, lineID)
	}
	amount = min(amount, l.NetMinor-credited[lineID])
	if amount <= 0 {
		return nil, nil
	}
	cn, err := s.issueCredit(ctx, orig, []creditItem{{line: l, amount: amount, desc: desc}}, desc, by)
	return &cn, err
}

// issueCredit writes and finalizes a credit note for items of orig, and
// books it on orig.
func (s *Service) issueCredit(ctx context.Context, orig Invoice, items []creditItem, reason, by string) (Invoice, error) {
	if !orig.Frozen() || orig.Kind != DocInvoice {
		return Invoice{}, core.E(core.ErrPrecondition, "invoice %d is not finalized: change or delete the draft instead", orig.ID)
	}
	if orig.Status == InvoiceStatusCancelled {
		return Invoice{}, core.E(core.ErrPrecondition, "invoice %d is cancelled already", orig.ID)
	}
	if orig.Status == InvoiceStatusUncollectible {
		return Invoice{}, core.E(core.ErrPrecondition, "invoice %d was written off: what was open is a bad debt already", orig.ID)
	}
	var sum TaxSummary
	if err := jsonUnmarshal(orig.Taxes, &sum); err != nil {
		return Invoice{}, err
	}
	p := &parties{decision: sum.Decision, sellerJSON: orig.Seller, buyerJSON: orig.Buyer, lang: orig.Language, buyerPath: orig.CustomerPath}
	loc, err := s.sellerZone(ctx, orig.SellerID)
	if err != nil {
		return Invoice{}, err
	}
	now := s.now()
	d := newDraft(DocCreditNote, orig.SellerID, orig.CustomerID, orig.Currency, p, LocalDay(now, loc), by, now)
	d.inv.CreditsID, d.inv.Subproject, d.inv.Reason = &orig.ID, orig.Subproject, reason
	d.inv.PeriodStart, d.inv.PeriodEnd = orig.PeriodStart, orig.PeriodEnd
	for _, it := range items {
		desc := it.desc
		if desc == "" {
			desc = it.line.Description
		}
		lineID := it.line.ID
		l := Line{ContractID: it.line.ContractID, CreditsLine: &lineID, Section: it.line.Section, Kind: it.line.Kind, Description: desc,
			Quantity: "1", UnitPrice: unitPrice(it.amount, orig.Currency), NetMinor: it.amount, PeriodStart: it.line.PeriodStart, PeriodEnd: it.line.PeriodEnd}
		l.Position = len(d.lines) + 1
		l.TaxCategory, l.TaxRate = it.line.TaxCategory, it.line.TaxRate
		d.lines = append(d.lines, l)
	}
	if err := d.totals(p); err != nil {
		return Invoice{}, err
	}
	d.inv.Status = InvoiceStatusFinalized
	if err := s.insertDrafts(ctx, []*draft{d}, now); err != nil {
		return Invoice{}, err
	}
	if err := s.releaseCredited(ctx, orig); err != nil {
		return Invoice{}, err
	}
	credited, err := money.Add64(orig.CreditedMinor, d.inv.TotalMinor)
	if err != nil {
		return Invoice{}, err
	}
	if err := s.db.Conn(ctx).Model(&Invoice{}).Where("id = ?", orig.ID).Updates(map[string]any{"credited_minor": credited, "updated_at": now}).Error; err != nil {
		return Invoice{}, fmt.Errorf("book credit note on invoice %d: %w", orig.ID, err)
	}
	orig.CreditedMinor = credited
	if excess := orig.PaidMinor - (orig.TotalMinor - credited); excess > 0 {
		// Paid more than is now due: the excess goes back to the customer's credit.
		if s.overpaid == nil {
			return Invoice{}, core.E(core.ErrPrecondition, "invoice %d is paid: the credit note would leave %d overpaid", orig.ID, excess)
		}
		if err := s.overpaid.ReleaseOverpaid(ctx, orig, excess); err != nil {
			return Invoice{}, err
		}
		if err := s.db.Conn(ctx).Where("id = ?", orig.ID).Take(&orig).Error; err != nil {
			return Invoice{}, fmt.Errorf("reload invoice %d: %w", orig.ID, err)
		}
	}
	if credited >= orig.TotalMinor {
		if err := s.move(ctx, &orig, InvoiceStatusCancelled, nil); err != nil {
			return Invoice{}, err
		}
	}
	if err := s.publish(ctx, finalizedEvent(d.inv, &orig)); err != nil {
		return Invoice{}, err
	}
	return d.inv, s.record(ctx, "billing.credit_note.issue", "invoice", d.inv.ID, orig.CustomerID, orig.CustomerPath, nil,
		map[string]any{"number": d.inv.Number, "credits": orig.Number, "total_minor": d.inv.TotalMinor, "reason": reason})
}

// releaseCredited frees the billed periods of orig's recurring lines
// that credit notes now cover in full: the customer no longer pays for
// them, so a contract opened again for the resource may bill them.
func (s *Service) releaseCredited(ctx context.Context, orig Invoice) error {
	credited, err := s.creditedPerLine(ctx, orig.ID)
	if err != nil {
		return err
	}
	var full []Line
	for _, l := range orig.Lines {
		if l.Kind == LineRecurring && l.NetMinor > 0 && credited[l.ID] >= l.NetMinor {
			full = append(full, l)
		}
	}
	return s.releaseLines(ctx, full)
}
