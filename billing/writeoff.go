package billing

import (
	"cmp"
	"context"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// WriteOff books what is still open on invoice id as uncollectible: the
// invoice becomes uncollectible (it takes no more payments and leaves
// the receivables), and the journal moves the open amount to bad debts,
// taking back the VAT it contained (Art. 90 VAT Directive: the taxable
// amount is reduced where the price is not paid). The open amount is
// split across the invoice's tax keys in proportion to their gross, and
// each part into net and VAT in proportion to the invoice's, by largest
// remainder, so the parts add up to it exactly.
func (s *Service) WriteOff(ctx context.Context, scope tenancy.Scope, id int64, reason string) (Invoice, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 500 {
		return Invoice{}, core.Invalid("reason", "must be 1-500 characters: why the invoice cannot be collected")
	}
	return s.changeInvoice(ctx, scope, id, func(ctx context.Context, inv *Invoice) error {
		if inv.Kind != DocInvoice || !inv.Frozen() {
			return core.E(core.ErrPrecondition, "document %d is not a finalized invoice", id)
		}
		open := inv.OpenMinor()
		if open <= 0 || !CanMove(inv.Status, InvoiceStatusUncollectible) {
			return core.E(core.ErrPrecondition, "invoice %d is %s with nothing open to write off", id, inv.Status)
		}
		e, err := writeOffEntry(*inv, open)
		if err != nil {
			return err
		}
		if err := s.move(ctx, inv, InvoiceStatusUncollectible, map[string]any{"written_off_minor": open}); err != nil {
			return err
		}
		before := inv.Status
		inv.Status, inv.WrittenOffMinor = InvoiceStatusUncollectible, open
		if err := s.Post(ctx, e); err != nil {
			return err
		}
		return s.record(ctx, "billing.invoice.write_off", "invoice", inv.ID, inv.CustomerID, inv.CustomerPath,
			map[string]any{"status": before}, map[string]any{"status": inv.Status, "written_off_minor": open, "reason": reason})
	})
}

// writeOffEntry is the bad-debt entry for open minor units of inv.
func writeOffEntry(inv Invoice, open int64) (JournalEntry, error) {
	var sum TaxSummary
	if err := jsonUnmarshal(inv.Taxes, &sum); err != nil {
		return JournalEntry{}, err
	}
	basis := cmp.Or(sum.Decision.Basis, inv.TaxBasis)
	num := ""
	if inv.Number != nil {
		num = *inv.Number
	}
	e := JournalEntry{SellerID: inv.SellerID, Journal: JournalMisc, Kind: EntryWriteOff, SourceKey: SourceKey("writeoff", inv.ID),
		DocNumber: num, DocDate: inv.IssueDate, Currency: inv.Currency, CustomerID: inv.CustomerID, CostCentre: inv.Subproject,
		Text: EntryText("Write-off", num)}
	e.Lines = append(e.Lines, Credit(RoleReceivable, open))
	weights := make([]int64, 0, len(sum.Lines))
	for _, t := range sum.Lines {
		if t.Base+t.Tax < 0 {
			weights = nil // a negative group: no proportion to keep; all of it goes to the first key
			break
		}
		weights = append(weights, t.Base+t.Tax)
	}
	cur := money.Currency(inv.Currency)
	parts, err := money.Money{Amount: open, Currency: cur}.Allocate(weights...)
	if err != nil || len(sum.Lines) == 0 {
		k := TaxKey(sum.Decision.Category, sum.Decision.Rate.String(), basis)
		e.Lines = append(e.Lines, Debit(RoleBadDebt, open).Key(k))
		return e, nil
	}
	for i, t := range sum.Lines {
		k := TaxKey(t.Category, t.Rate, basis)
		split, err := parts[i].Allocate(max(t.Base, 0), max(t.Tax, 0))
		if err != nil { // a group of zero
			e.Lines = append(e.Lines, Debit(RoleBadDebt, parts[i].Amount).Key(k))
			continue
		}
		e.Lines = append(e.Lines, Debit(RoleBadDebt, split[0].Amount).Key(k), Debit(RoleVAT, split[1].Amount).Key(k))
	}
	return e, nil
}
