package dunning

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm/clause"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/outbox"
	"faktura/provisioning"
)

// Bind restores services as soon as a customer has paid: on InvoicePaid
// (and on a credit note, which may cancel what was due), in the
// transaction that delivers the event. The daily run's sweep catches
// anything these miss.
func (s *Service) Bind(b *outbox.Bus) error {
	if err := outbox.On(b, "dunning.release_paid", 40, func(ctx context.Context, _ outbox.Meta, ev billing.InvoicePaid) error {
		day, err := core.ParseDate("day", ev.Day)
		if err != nil {
			day = core.DateOf(s.clock.Now().UTC())
		}
		var sum Summary
		return s.release(ctx, ev.SellerID, ev.CustomerID, day, &sum)
	}); err != nil {
		return err
	}
	return outbox.On(b, "dunning.release_credited", 40, func(ctx context.Context, _ outbox.Meta, ev billing.CreditNoteFinalized) error {
		var sum Summary
		return s.release(ctx, ev.SellerID, ev.CustomerID, core.DateOf(s.clock.Now().UTC()), &sum)
	})
}

// Sweep restores, as of day, what non-payment suspended for every
// customer who has no overdue invoice left.
func (s *Service) Sweep(ctx context.Context, day core.Date) (Summary, error) {
	var sum Summary
	var pairs []struct{ SellerID, CustomerID int64 }
	if err := s.db.Read(ctx).Model(&Suspension{}).Distinct("seller_id", "customer_id").Where("open_key IS NOT NULL").
		Order("seller_id, customer_id").Scan(&pairs).Error; err != nil {
		return sum, fmt.Errorf("find suspensions for non-payment: %w", err)
	}
	for _, p := range pairs {
		var one Summary
		if err := s.db.WithTx(ctx, func(ctx context.Context) error {
			one = Summary{}
			return s.release(ctx, p.SellerID, p.CustomerID, day, &one)
		}); err != nil {
			sum.Failed++
			sum.Errors = append(sum.Errors, fmt.Sprintf("release customer %d: %v", p.CustomerID, err))
			continue
		}
		sum.add(one)
	}
	return sum, nil
}

// Overdue counts the customer's invoices from seller that are open past
// their due date as of day (late-fee invoices aside: a fee never keeps a
// service suspended).
func (s *Service) overdueCount(ctx context.Context, sellerID, customerID int64, day core.Date) (int64, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&billing.Invoice{}).Where("seller_id = ? AND customer_id = ? AND kind = ? AND status IN ? AND due_date < ? AND flags NOT LIKE ?",
		sellerID, customerID, billing.DocInvoice, openStatuses, day.String(), "%"+billing.FlagLateFee+"%").Count(&n).Error
	return n, err
}

// release restores what non-payment suspended for the customer once none
// of its invoices from the seller is overdue: an account or reseller
// still suspended for nonpayment comes back; one suspended since for
// abuse or by hand stays as it is (kept). It works in ctx's transaction.
func (s *Service) release(ctx context.Context, sellerID, customerID int64, day core.Date, sum *Summary) error {
	var open []Suspension
	q := s.db.Conn(ctx).Where("seller_id = ? AND customer_id = ? AND open_key IS NOT NULL", sellerID, customerID).Order("id")
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}) // a concurrent release waits, then finds them closed
	}
	if err := q.Find(&open).Error; err != nil {
		return fmt.Errorf("suspensions of customer %d: %w", customerID, err)
	}
	if len(open) == 0 {
		return nil
	}
	if n, err := s.overdueCount(ctx, sellerID, customerID, day); err != nil || n > 0 {
		return err
	}
	if s.opt.Enforcer == nil {
		return fmt.Errorf("no provisioning is wired to restore accounts")
	}
	var released, kept []provisioning.Item
	var invoices []int64
	for _, sp := range open {
		ok, err := s.opt.Enforcer.ReleaseNonpayment(ctx, sp.held())
		if err != nil {
			return err
		}
		state := HeldReleased
		if ok {
			released = append(released, sp.held())
		} else {
			state = HeldKept
			kept = append(kept, sp.held())
		}
		for _, id := range splitIDs(sp.Invoices) {
			if !slices.Contains(invoices, id) {
				invoices = append(invoices, id)
			}
		}
		if err := s.db.Conn(ctx).Model(&sp).Updates(map[string]any{"state": state, "open_key": nil, "ended_day": day.String(), "updated_at": s.now()}).Error; err != nil {
			return fmt.Errorf("end suspension %d: %w", sp.ID, err)
		}
	}
	sum.Released += int64(len(released))
	sum.Kept += int64(len(kept))
	if err := s.record(ctx, "billing.dunning.release", "customer", customerID, customerID, open[0].CustomerPath,
		map[string]any{"invoices": invoices, "released": released, "kept": kept}); err != nil {
		return err
	}
	_, err := s.bus.Publish(ctx, NonpaymentReleased{SellerID: sellerID, CustomerID: customerID, Invoices: invoices, Released: released, Kept: kept, Day: day.String()}, "system")
	return err
}
