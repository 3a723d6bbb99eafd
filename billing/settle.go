package billing

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// InvoicePaid: an invoice's payments (with its credit notes) cover it.
// Published once per time it becomes paid, in the transaction that books
// the payment.
type InvoicePaid struct {
	DocumentFacts
	PaidMinor int64  `json:"paid_minor"`
	Day       string `json:"day"`
}

// EventName implements outbox.Event.
func (InvoicePaid) EventName() string { return "billing.invoice_paid" }

// AggregateKey orders an invoice's events.
func (e InvoicePaid) AggregateKey() string { return invoiceAggregate(e.InvoiceID) }

// LockInvoices locks the rows of invoices ids for the rest of the
// caller's transaction (in id order, so two callers never deadlock).
func (s *Service) LockInvoices(ctx context.Context, ids ...int64) error {
	return s.lockRows(ctx, "invoices", ids...)
}

// Settle books delta minor units paid on invoice id in the caller's
// transaction: positive when a payment is allocated to it, negative when
// a refund, a returned payment or a moved allocation takes money back.
// The status follows through the transition table: paid when nothing is
// left open (publishing InvoicePaid), partially paid, or back to open
// (the overdue step moves it on when its due date has passed). Only a finalized invoice takes
// payments, and never more than its open amount.
func (s *Service) Settle(ctx context.Context, id, delta int64) (Invoice, error) {
	var inv Invoice
	err := s.db.Conn(ctx).Where("id = ?", id).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return inv, core.E(core.ErrNotFound, "invoice %d not found", id)
	} else if err != nil {
		return inv, fmt.Errorf("load invoice %d: %w", id, err)
	}
	if inv.Kind != DocInvoice {
		return inv, core.Invalid("invoice_id", "document %d is a credit note: it takes no payment", id)
	}
	if !inv.Frozen() || inv.Status == InvoiceStatusIssuing {
		return inv, core.Invalid("invoice_id", "invoice %d is not finalized yet", id)
	}
	if inv.Status == InvoiceStatusUncollectible {
		return inv, core.E(core.ErrPrecondition, "invoice %d was written off: its payments cannot change", id)
	}
	if inv.Status == InvoiceStatusCancelled && delta > 0 {
		return inv, core.Invalid("invoice_id", "invoice %d is cancelled", id)
	}
	paid, err := money.Add64(inv.PaidMinor, delta)
	if err != nil {
		return inv, core.Invalid("amount", "%v", err)
	}
	if paid < 0 {
		return inv, core.Invalid("amount", "is more than was paid on invoice %d", id)
	}
	if delta > 0 && paid > inv.TotalMinor-inv.CreditedMinor {
		return inv, core.Invalid("amount", "is more than the %s open on invoice %d", money.Money{Amount: inv.OpenMinor(), Currency: money.Currency(inv.Currency)}, id)
	}
	loc, err := s.sellerZone(ctx, inv.SellerID)
	if err != nil {
		return inv, err
	}
	today := LocalDay(s.now(), loc).String()
	before := map[string]any{"status": inv.Status, "paid_minor": inv.PaidMinor}
	was := inv.Status
	to := settledStatus(inv, paid)
	upd := map[string]any{"paid_minor": paid, "updated_at": s.now()}
	if to != inv.Status {
		if err := s.move(ctx, &inv, to, upd); err != nil {
			return inv, err
		}
	} else if err := s.db.Conn(ctx).Model(&Invoice{}).Where("id = ?", id).Updates(upd).Error; err != nil {
		return inv, fmt.Errorf("book payment on invoice %d: %w", id, err)
	}
	inv.PaidMinor = paid
	if inv.Status == InvoiceStatusPaid && was != InvoiceStatusPaid {
		if err := s.publish(ctx, InvoicePaid{DocumentFacts: factsOf(inv), PaidMinor: paid, Day: today}); err != nil {
			return inv, err
		}
	}
	return inv, s.record(ctx, "billing.invoice.settle", "invoice", inv.ID, inv.CustomerID, inv.CustomerPath, before,
		map[string]any{"status": inv.Status, "paid_minor": paid})
}

// settledStatus is where an invoice stands with paid minor units paid.
// An overdue invoice stays overdue until paid; one reopened past its due
// date is open until the daily overdue step moves it (and says so).
func settledStatus(inv Invoice, paid int64) InvoiceStatus {
	switch {
	case inv.Status == InvoiceStatusCancelled:
		return inv.Status
	case paid >= inv.TotalMinor-inv.CreditedMinor:
		return InvoiceStatusPaid
	case inv.Status == InvoiceStatusOverdue:
		return InvoiceStatusOverdue
	case paid > 0:
		return InvoiceStatusPartiallyPaid
	}
	return InvoiceStatusFinalized
}

// CustomerRef names a direct customer of a seller.
type CustomerRef struct {
	ID   int64
	Path string
	Name string
}

// CustomerOf returns tenant id when it buys from the caller's tenant;
// anything else (another seller's customer, a tenant outside the scope,
// the caller itself) is a problem with customer_id.
func (s *Service) CustomerOf(ctx context.Context, scope tenancy.Scope, id int64) (CustomerRef, error) {
	t, err := s.tenant(ctx, scope, id)
	if err != nil || t.ParentID == nil || *t.ParentID != scope.TenantID {
		return CustomerRef{}, core.Invalid("customer_id", "customer %d does not buy from you", id)
	}
	return CustomerRef{ID: t.ID, Path: t.Path, Name: t.Name}, nil
}
