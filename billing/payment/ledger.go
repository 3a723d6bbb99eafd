package payment

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/money"
)

// key names one credit balance.
type key struct {
	seller, customer int64
	currency         string
	path             string
}

func keyOf(p Payment) key { return key{p.SellerID, p.CustomerID, p.Currency, p.CustomerPath} }

// addCredit adds delta (may be negative) to a credit balance; it never
// goes below zero.
func (s *Service) addCredit(ctx context.Context, k key, delta int64) error {
	if delta == 0 {
		return nil
	}
	now := s.now()
	if delta > 0 {
		b := Balance{SellerID: k.seller, CustomerID: k.customer, Currency: k.currency, CustomerPath: k.path, BalanceMinor: delta, UpdatedAt: now}
		err := s.db.Conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "seller_id"}, {Name: "customer_id"}, {Name: "currency"}},
			DoUpdates: clause.Assignments(map[string]any{"balance_minor": gorm.Expr("balance_minor + ?", delta), "updated_at": now}),
		}).Create(&b).Error
		if err != nil {
			return fmt.Errorf("add credit: %w", err)
		}
		return nil
	}
	res := s.db.Conn(ctx).Model(&Balance{}).Where("seller_id = ? AND customer_id = ? AND currency = ? AND balance_minor >= ?", k.seller, k.customer, k.currency, -delta).
		Updates(map[string]any{"balance_minor": gorm.Expr("balance_minor + ?", delta), "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("take credit: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return core.Invalid("amount", "is more than the customer's credit")
	}
	return nil
}

// credit reads a balance (0 when none), locking its row on MariaDB.
func (s *Service) credit(ctx context.Context, k key) (int64, error) {
	var b Balance
	q := s.db.Conn(ctx)
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	err := q.Where("seller_id = ? AND customer_id = ? AND currency = ?", k.seller, k.customer, k.currency).Limit(1).Find(&b).Error
	if err != nil {
		return 0, fmt.Errorf("read credit: %w", err)
	}
	return b.BalanceMinor, nil
}

// allocate adds amount of payment p to invoice inv (both locked), settles
// the invoice and returns nothing when it cannot (the invoice says why).
func (s *Service) allocate(ctx context.Context, paymentID, invoiceID, amount int64) error {
	if _, err := s.bill.Settle(ctx, invoiceID, amount); err != nil {
		return err
	}
	now := s.now()
	a := Allocation{PaymentID: paymentID, InvoiceID: invoiceID, AmountMinor: amount, CreatedAt: now, UpdatedAt: now}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "payment_id"}, {Name: "invoice_id"}},
		DoUpdates: clause.Assignments(map[string]any{"amount_minor": gorm.Expr("amount_minor + ?", amount), "updated_at": now}),
	}).Create(&a).Error
	if err != nil {
		return fmt.Errorf("allocate payment %d to invoice %d: %w", paymentID, invoiceID, err)
	}
	return nil
}

// release takes amount of allocation a back from its invoice (settling
// it); the allocation row goes when nothing is left.
func (s *Service) release(ctx context.Context, a Allocation, amount int64) error {
	if amount <= 0 || amount > a.AmountMinor {
		return core.Invalid("amount", "must be more than 0 and at most the %d allocated", a.AmountMinor)
	}
	if _, err := s.bill.Settle(ctx, a.InvoiceID, -amount); err != nil {
		return err
	}
	q := s.db.Conn(ctx).Where("id = ?", a.ID)
	var err error
	if amount == a.AmountMinor {
		err = q.Delete(&Allocation{}).Error
	} else {
		err = q.Model(&Allocation{}).Updates(map[string]any{"amount_minor": a.AmountMinor - amount, "updated_at": s.now()}).Error
	}
	if err != nil {
		return fmt.Errorf("release allocation %d: %w", a.ID, err)
	}
	return nil
}

// free lists the payments of k with money neither allocated nor
// refunded, oldest first, with that amount.
func (s *Service) free(ctx context.Context, k key) ([]Payment, error) {
	var ps []Payment
	err := s.db.Conn(ctx).Where("seller_id = ? AND customer_id = ? AND currency = ? AND status IN ?", k.seller, k.customer, k.currency, counted).
		Order("received_on, id").Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("read payments: %w", err)
	}
	if err := s.attach(ctx, ps); err != nil {
		return nil, err
	}
	out := ps[:0]
	for _, p := range ps {
		if p.UnallocatedMinor > 0 {
			out = append(out, p)
		}
	}
	return out, nil
}

// attach loads the payments' allocations and their unallocated rest.
func (s *Service) attach(ctx context.Context, ps []Payment) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	var as []Allocation
	if err := s.db.Conn(ctx).Where("payment_id IN ?", ids).Order("id").Find(&as).Error; err != nil {
		return fmt.Errorf("read allocations: %w", err)
	}
	by := map[int64][]Allocation{}
	for _, a := range as {
		by[a.PaymentID] = append(by[a.PaymentID], a)
	}
	for i := range ps {
		ps[i].Allocations = by[ps[i].ID]
		if ps[i].Allocations == nil {
			ps[i].Allocations = []Allocation{}
		}
		ps[i].UnallocatedMinor = ps[i].AmountMinor - ps[i].RefundedMinor
		if ps[i].Status != StatusSucceeded && ps[i].Status != StatusPartlyRefunds {
			ps[i].UnallocatedMinor = 0
		}
		for _, a := range ps[i].Allocations {
			ps[i].UnallocatedMinor -= a.AmountMinor
		}
	}
	return nil
}

// spend allocates up to amount of k's credit to invoice id (locked),
// taking it from the oldest payments with money free; it returns what it
// allocated.
func (s *Service) spend(ctx context.Context, k key, invoiceID, amount int64) (int64, error) {
	ps, err := s.free(ctx, k)
	if err != nil {
		return 0, err
	}
	var done int64
	for _, p := range ps {
		if done == amount {
			break
		}
		n := min(p.UnallocatedMinor, amount-done)
		if err := s.allocate(ctx, p.ID, invoiceID, n); err != nil {
			return done, err
		}
		if err := s.postCredit(ctx, p, invoiceID, n); err != nil {
			return done, err
		}
		done += n
	}
	if err := s.addCredit(ctx, k, -done); err != nil {
		return done, err
	}
	return done, nil
}

// billingMoney writes an amount for a message: "10.00 EUR".
func billingMoney(n int64, cur string) string {
	return money.Money{Amount: n, Currency: money.Currency(cur)}.String()
}
