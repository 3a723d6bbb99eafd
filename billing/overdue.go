package billing

import (
	"context"
	"fmt"
)

// overdueBatch is how many invoices one overdue transaction moves.
const overdueBatch = 200

// MarkOverdue moves finalized and partly paid invoices whose due date
// passed before day to overdue, through the transition table like every
// other change: each gets an audit entry and publishes InvoiceOverdue in
// the transaction that moves it. It is the billing.overdue step; a re-run
// finds nothing left to move.
func (s *Service) MarkOverdue(ctx context.Context, day Date) (int64, error) {
	var total int64
	for after := int64(0); ; {
		var ids []int64
		err := s.db.Read(ctx).Model(&Invoice{}).
			Where("kind = ? AND status IN ? AND due_date < ? AND id > ?", DocInvoice, overdueFrom, day.String(), after).
			Order("id").Limit(overdueBatch).Pluck("id", &ids).Error
		if err != nil {
			return total, fmt.Errorf("find overdue invoices: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		n, err := s.markOverdue(ctx, ids, day)
		total += n
		if err != nil {
			return total, err
		}
		after = ids[len(ids)-1]
	}
}

var overdueFrom = []InvoiceStatus{InvoiceStatusFinalized, InvoiceStatusPartiallyPaid}

// markOverdue moves the invoices of ids that are still due to overdue in
// one transaction; one paid meanwhile is left alone.
func (s *Service) markOverdue(ctx context.Context, ids []int64, day Date) (int64, error) {
	var n int64
	err := s.tx(ctx, func(ctx context.Context) error {
		n = 0
		if err := s.lockRows(ctx, "invoices", ids...); err != nil {
			return err
		}
		var invs []Invoice
		if err := s.db.Conn(ctx).Where("id IN ? AND status IN ? AND due_date < ?", ids, overdueFrom, day.String()).Order("id").Find(&invs).Error; err != nil {
			return fmt.Errorf("load overdue invoices: %w", err)
		}
		for i := range invs {
			inv := &invs[i]
			from := inv.Status
			if err := s.move(ctx, inv, InvoiceStatusOverdue, nil); err != nil {
				return err
			}
			open := inv.TotalMinor - inv.PaidMinor - inv.CreditedMinor
			if err := s.publish(ctx, InvoiceOverdue{DocumentFacts: factsOf(*inv), OpenMinor: open, Day: day.String()}); err != nil {
				return err
			}
			err := s.record(ctx, "billing.invoice.overdue", "invoice", inv.ID, inv.CustomerID, inv.CustomerPath,
				map[string]any{"status": from}, map[string]any{"status": inv.Status, "due_date": inv.DueDate, "open_minor": open})
			if err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
