package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"faktura/panel/core/money"
	"faktura/panel/core/settings"
)

// RedecideHeld decides anew the tax of the invoices held for a VAT id VIES
// had not confirmed (HoldVIES), once VIES has answered about it: a valid
// id makes them reverse-charged, a rejected one taxes them as a
// consumer's. Each is then finalized unless another approval rule holds
// it; one whose buyer VIES still cannot check keeps waiting. It returns
// how many it decided.
func (s *Service) RedecideHeld(ctx context.Context) (int, error) {
	var ids []int64
	if err := s.db.Read(ctx).Model(&Invoice{}).Where("status = ? AND hold_reason = ?", InvoiceStatusAwaitingApproval, HoldVIES).
		Order("id").Pluck("id", &ids).Error; err != nil {
		return 0, fmt.Errorf("find invoices held for VIES: %w", err)
	}
	n := 0
	for _, id := range ids {
		decided := false
		err := s.tx(ctx, func(ctx context.Context) error {
			var err error
			decided, err = s.redecide(ctx, id)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("invoice %d: %w", id, err)
		}
		if decided {
			n++
		}
	}
	return n, nil
}

func (s *Service) redecide(ctx context.Context, id int64) (bool, error) {
	if err := s.LockInvoices(ctx, id); err != nil {
		return false, err
	}
	var inv Invoice
	if err := s.db.Conn(ctx).Where("id = ?", id).Take(&inv).Error; err != nil {
		return false, err
	}
	if inv.Status != InvoiceStatusAwaitingApproval || inv.HoldReason != HoldVIES {
		return false, nil // approved or changed meanwhile
	}
	snap, err := s.settings.Snapshot(ctx, runSettings...)
	if err != nil {
		return false, err
	}
	p, err := s.newPartyCache(snap, mustDay(inv.IssueDate)).get(ctx, inv.SellerID, inv.CustomerID)
	if err != nil {
		return false, err
	}
	if p.decision.Flag == FlagVATUnverified && p.decision.Category != CategoryReverseCharge {
		return false, nil // VIES still has no verdict
	}
	if err := s.db.Conn(ctx).Model(&Line{}).Where("invoice_id = ?", id).
		Updates(map[string]any{"tax_category": p.decision.Category, "tax_rate": p.decision.Rate.String()}).Error; err != nil {
		return false, fmt.Errorf("retax the lines: %w", err)
	}
	var lines []Line
	if err := s.db.Conn(ctx).Where("invoice_id = ?", id).Order("position").Find(&lines).Error; err != nil {
		return false, err
	}
	before := map[string]any{"taxes": inv.Taxes, "total_minor": inv.TotalMinor}
	d := &draft{inv: inv, lines: lines, manual: slices.ContainsFunc(lines, func(l Line) bool { return l.Kind == LineManual })}
	d.inv.Buyer, d.inv.Flags = p.buyerJSON, withoutFlag(inv.Flags, FlagVATUnverified)
	if err := d.totals(p); err != nil {
		return false, totalsError(err, money.Currency(inv.Currency))
	}
	hold, err := holdReason(ctx, snap, d, p)
	if err != nil {
		return false, err
	}
	d.inv.HoldReason = hold
	if err := s.db.Conn(ctx).Model(&Invoice{}).Where("id = ?", id).Updates(map[string]any{"net_minor": d.inv.NetMinor, "tax_minor": d.inv.TaxMinor,
		"total_minor": d.inv.TotalMinor, "taxes": d.inv.Taxes, "buyer": d.inv.Buyer, "flags": d.inv.Flags, "hold_reason": hold, "updated_at": s.now()}).Error; err != nil {
		return false, err
	}
	if err := s.record(ctx, "billing.invoice.redecide", "invoice", id, inv.CustomerID, inv.CustomerPath, before,
		map[string]any{"taxes": d.inv.Taxes, "total_minor": d.inv.TotalMinor, "hold_reason": hold}); err != nil {
		return false, err
	}
	af, err := settings.Lookup(snap, AutoFinalize, settings.Scope{Seller: itoa(inv.SellerID), Customer: itoa(inv.CustomerID)})
	if err != nil || hold != "" || !af.Value {
		return true, err
	}
	if err := s.db.Conn(ctx).Where("id = ?", id).Take(&inv).Error; err != nil {
		return false, err
	}
	return true, s.finalizeNow(ctx, &inv, "")
}

func withoutFlag(flags, flag string) string {
	var out []string
	for _, f := range strings.Split(flags, ",") {
		if f != "" && f != flag {
			out = append(out, f)
		}
	}
	return strings.Join(out, ",")
}
