package billing

import (
	"context"
	"fmt"

	"faktura/panel/core/tenancy"

	"gorm.io/gorm"
)

// Balance is what is open on a currency's invoices: the amount still to
// pay (totals less payments and credit notes) and the part of it overdue.
type Balance struct {
	Currency     string `json:"currency"`
	OpenMinor    int64  `json:"open_minor"`
	OverdueMinor int64  `json:"overdue_minor"`
	Open         int64  `json:"open"` // invoices with something to pay
}

// openStatuses are the invoice states with something left to pay.
var openStatuses = []InvoiceStatus{InvoiceStatusFinalized, InvoiceStatusPartiallyPaid, InvoiceStatusOverdue}

// balanceQuery sums the open invoices, per currency once grouped.
func (s *Service) balanceQuery(ctx context.Context) *gorm.DB {
	return s.db.Read(ctx).Model(&Invoice{}).
		Select("currency, SUM(total_minor - paid_minor - credited_minor) AS open_minor, "+
			"SUM(CASE WHEN status = ? THEN total_minor - paid_minor - credited_minor ELSE 0 END) AS overdue_minor, COUNT(*) AS open", InvoiceStatusOverdue).
		Where("kind = ? AND status IN ? AND total_minor - paid_minor - credited_minor > 0", DocInvoice, openStatuses)
}

// Receivables are the balances of the invoices the caller issues, per
// currency, and how many of its documents await approval.
func (s *Service) Receivables(ctx context.Context, scope tenancy.Scope) ([]Balance, int64, error) {
	if !isSeller(scope) {
		return nil, 0, nil
	}
	bs, err := s.balances(ctx, "seller_id = ?", scope.TenantID)
	if err != nil {
		return nil, 0, err
	}
	var held int64
	err = s.db.Read(ctx).Model(&Invoice{}).Where("seller_id = ? AND status = ?", scope.TenantID, InvoiceStatusAwaitingApproval).Count(&held).Error
	return bs, held, err
}

// Payables are the balances of the invoices the caller receives, per
// currency.
func (s *Service) Payables(ctx context.Context, scope tenancy.Scope) ([]Balance, error) {
	if !scope.Valid() {
		return nil, nil
	}
	return s.balances(ctx, "customer_id = ?", scope.TenantID)
}

func (s *Service) balances(ctx context.Context, who string, id int64) ([]Balance, error) {
	var out []Balance
	err := s.balanceQuery(ctx).Where(who, id).Group("currency").Order("currency").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("open balances: %w", err)
	}
	return out, nil
}

// CustomerBalances are the balances of a customer's invoices in the
// caller's subtree (its seller's view of a client), per currency.
func (s *Service) CustomerBalances(ctx context.Context, scope tenancy.Scope, customerID int64) ([]Balance, error) {
	if !scope.Valid() {
		return nil, nil
	}
	var out []Balance
	err := s.balanceQuery(ctx).Scopes(scope.PathColumn("customer_path")).Where("customer_id = ?", customerID).
		Group("currency").Order("currency").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("open balances: %w", err)
	}
	return out, nil
}
