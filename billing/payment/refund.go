package payment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// Payment returns one payment in the caller's subtree (what it paid and
// what its customers paid it), with its allocations.
func (s *Service) Payment(ctx context.Context, scope tenancy.Scope, id int64) (Payment, error) {
	var p Payment
	err := s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")).Where("id = ?", id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || !scope.Valid() {
		return p, core.E(core.ErrNotFound, "payment %d not found", id)
	} else if err != nil {
		return p, fmt.Errorf("load payment %d: %w", id, err)
	}
	ps := []Payment{p}
	err = s.attach(ctx, ps)
	return ps[0], err
}

// Refunds lists the refunds of payment id in the caller's subtree.
func (s *Service) Refunds(ctx context.Context, scope tenancy.Scope, id int64) ([]Refund, error) {
	if _, err := s.Payment(ctx, scope, id); err != nil {
		return nil, err
	}
	var out []Refund
	if err := s.db.Read(ctx).Where("payment_id = ?", id).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("read refunds of payment %d: %w", id, err)
	}
	return out, nil
}

// Filter narrows a list of payments.
type Filter struct {
	CustomerID int64
	SellerID   int64
	InvoiceID  int64
}

// Payments lists payments in the caller's subtree, newest first.
func (s *Service) Payments(ctx context.Context, scope tenancy.Scope, f Filter, p core.Page) ([]Payment, error) {
	if !scope.Valid() {
		return nil, nil
	}
	q := db.Filter(s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")), db.Eq("customer_id", f.CustomerID), db.Eq("seller_id", f.SellerID),
		db.When(f.InvoiceID != 0, "id IN (SELECT payment_id FROM payment_allocations WHERE invoice_id = ?)", f.InvoiceID))
	ps, err := db.FindPage[Payment](q, p, "payments")
	if err != nil {
		return nil, err
	}
	return ps, s.attach(ctx, ps)
}

// Credits lists a customer's credit balances (one per seller and
// currency) in the caller's subtree.
func (s *Service) Credits(ctx context.Context, scope tenancy.Scope, customerID int64) ([]Balance, error) {
	var out []Balance
	if !scope.Valid() {
		return out, nil
	}
	err := s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")).Where("customer_id = ? AND balance_minor > 0", customerID).
		Order("seller_id, currency").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("read credit of %d: %w", customerID, err)
	}
	return out, nil
}

// own loads payment id for a change by its seller, locked: outside the
// caller's scope it is not found, another seller's is forbidden.
func (s *Service) own(ctx context.Context, scope tenancy.Scope, id int64) (Payment, error) {
	p, err := s.Payment(ctx, scope, id)
	if err != nil {
		return p, err
	}
	if p.SellerID != scope.TenantID {
		return p, core.E(core.ErrForbidden, "payment %d was made to another seller", id)
	}
	q := s.db.Conn(ctx)
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Where("id = ?", id).Take(&p).Error; err != nil {
		return p, fmt.Errorf("lock payment %d: %w", id, err)
	}
	ps := []Payment{p}
	err = s.attach(ctx, ps)
	return ps[0], err
}

// RefundInput gives money back from a payment.
type RefundInput struct {
	Amount string `json:"amount"` // empty: all that is not refunded yet
	Reason string `json:"reason"`
	// CancelInvoices cancels the invoices the payment pays with a full
	// credit note each before the money goes back (a refund of the whole
	// payment only): the order was undone, not just the money returned.
	CancelInvoices bool `json:"cancel_invoices"`
}

// Refund records money given back from payment id (by the seller, outside
// Faktura for a manual payment). It is taken from the payment's credit
// first, then from its allocations, newest first, which reopens those
// invoices.
func (s *Service) Refund(ctx context.Context, scope tenancy.Scope, id int64, in RefundInput) (Payment, error) {
	p, err := s.Payment(ctx, scope, id)
	if err != nil {
		return p, err
	}
	if p.SellerID != scope.TenantID {
		return p, core.E(core.ErrForbidden, "payment %d was made to another seller", id)
	}
	amount, reason, err := checkRefund(p, in)
	if err != nil {
		return p, err
	}
	if in.CancelInvoices {
		if amount != p.AmountMinor-p.RefundedMinor {
			return p, core.Invalid("cancel_invoices", "goes with a refund of the whole payment only; credit part of an invoice by a credit note instead")
		}
		// Each credit note moves what the payment paid on its invoice
		// back into credit (in its own transaction), which the refund
		// then takes; a refund refused after this leaves the invoices
		// cancelled and the money as the customer's credit.
		for _, a := range p.Allocations {
			if _, err := s.bill.CreditNote(ctx, scope, a.InvoiceID, billing.CreditNoteInput{Full: true, Reason: reason}); err != nil {
				return p, err
			}
		}
	}
	var providerRef *string
	if p.Gateway != GatewayManual {
		// The provider gives the money back first (outside any
		// transaction, with a key from the payment's state, so a retry is
		// the same refund); the refund is then booked once, whether its
		// webhook came first or not.
		ref, err := s.providerRefund(ctx, p, amount)
		if err != nil {
			return p, err
		}
		providerRef = &ref
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = s.own(ctx, scope, id); err != nil {
			return err
		}
		if providerRef != nil {
			return s.refunded(ctx, &p, Event{Kind: EventRefunded, PaymentRef: *p.ProviderRef, RefundRef: *providerRef, AmountMinor: amount, Reason: reason})
		}
		if _, _, err := checkRefund(p, in); err != nil {
			return err
		}
		return s.refund(ctx, &p, amount, reason, nil, true)
	})
	if err != nil {
		return p, err
	}
	return s.Payment(ctx, scope, id)
}

// checkRefund reads a refund of p: its amount (all that is left when
// empty) and reason.
func checkRefund(p Payment, in RefundInput) (int64, string, error) {
	if !slices.Contains(counted, p.Status) {
		return 0, "", core.Invalid("payment", "payment %d is %s: nothing to refund", p.ID, p.Status)
	}
	left := p.AmountMinor - p.RefundedMinor
	amount := left
	if strings.TrimSpace(in.Amount) != "" {
		n, problem := billing.ParseAmount(in.Amount, p.Currency)
		if problem == "" && n <= 0 {
			problem = "must be more than zero"
		}
		if problem == "" && n > left {
			problem = fmt.Sprintf("is more than the %s not refunded yet", billingMoney(left, p.Currency))
		}
		if problem != "" {
			return 0, "", core.Invalid("amount", "%s", problem)
		}
		amount = n
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" || len(reason) > 500 {
		return 0, "", core.Invalid("reason", "is required (at most 500 characters)")
	}
	return amount, reason, nil
}

// providerRefund asks p's gateway to give amount back.
func (s *Service) providerRefund(ctx context.Context, p Payment, amount int64) (string, error) {
	g, err := s.gateway(ctx, p.SellerID, p.Gateway)
	if err != nil {
		return "", err
	}
	r, ok := g.(Refunder)
	if !ok || p.ProviderRef == nil {
		return "", core.Invalid("payment", "%s payments are refunded at the provider, not here", p.Gateway)
	}
	key := fmt.Sprintf("faktura-refund-%d-%d-%d", p.ID, p.RefundedMinor, amount)
	ref, err := r.Refund(ctx, *p.ProviderRef, amount, p.Currency, key)
	if err != nil {
		return "", core.E(core.ErrPrecondition, "the payment provider refused the refund: %v", err)
	}
	return ref, nil
}

// refund books amount of p (locked, with its allocations) as given back.
// With row false the refund's row exists already (a provider's refund
// noted before its payment was received).
func (s *Service) refund(ctx context.Context, p *Payment, amount int64, reason string, providerRef *string, row bool) error {
	fromCredit := min(p.UnallocatedMinor, amount)
	if err := s.addCredit(ctx, keyOf(*p), -fromCredit); err != nil {
		return err
	}
	rest := amount - fromCredit
	allocs := slices.Clone(p.Allocations)
	slices.Reverse(allocs)
	ids := make([]int64, len(allocs))
	for i, a := range allocs {
		ids[i] = a.InvoiceID
	}
	slices.Sort(ids)
	if err := s.bill.LockInvoices(ctx, ids...); err != nil {
		return err
	}
	released := map[int64]int64{}
	for _, a := range allocs {
		if rest == 0 {
			break
		}
		n := min(a.AmountMinor, rest)
		if err := s.release(ctx, a, n); err != nil {
			return err
		}
		released[a.InvoiceID] += n
		rest -= n
	}
	if err := s.postRefund(ctx, *p, amount, fromCredit, released); err != nil {
		return err
	}
	now := s.now()
	if row {
		r := Refund{PaymentID: p.ID, AmountMinor: amount, Reason: reason, ProviderRef: providerRef, CreatedBy: audit.Label(ctx), CreatedAt: now, Booked: true}
		if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
			return fmt.Errorf("record refund: %w", err)
		}
	}
	p.RefundedMinor += amount
	p.Status = StatusPartlyRefunds
	if p.RefundedMinor == p.AmountMinor {
		p.Status = StatusRefunded
	}
	if err := s.db.Conn(ctx).Model(&Payment{}).Where("id = ?", p.ID).
		Updates(map[string]any{"refunded_minor": p.RefundedMinor, "status": p.Status, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("book refund on payment %d: %w", p.ID, err)
	}
	if err := s.audit.Record(ctx, audit.Entry{Action: "payment.refund", ObjectType: "payment", ObjectID: strconv.FormatInt(p.ID, 10),
		TenantID: p.CustomerID, TenantPath: p.CustomerPath,
		After: map[string]any{"amount_minor": amount, "from_credit_minor": fromCredit, "reason": reason, "status": p.Status}}); err != nil {
		return err
	}
	ps := []Payment{*p}
	err := s.attach(ctx, ps)
	*p = ps[0]
	return err
}

// Unallocate takes amount (in the currency's units; empty: all) of a
// payment's allocation to invoice invoiceID back into the customer's
// credit, reopening the invoice; the credit can then pay another.
func (s *Service) Unallocate(ctx context.Context, scope tenancy.Scope, id, invoiceID int64, amount string) (Payment, error) {
	var p Payment
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = s.own(ctx, scope, id); err != nil {
			return err
		}
		i := slices.IndexFunc(p.Allocations, func(a Allocation) bool { return a.InvoiceID == invoiceID })
		if i < 0 {
			return core.Invalid("invoice_id", "payment %d pays nothing on invoice %d", id, invoiceID)
		}
		a := p.Allocations[i]
		n := a.AmountMinor
		if strings.TrimSpace(amount) != "" {
			m, problem := billing.ParseAmount(amount, p.Currency)
			if problem == "" && (m <= 0 || m > a.AmountMinor) {
				problem = fmt.Sprintf("must be more than zero and at most the %s allocated", billingMoney(a.AmountMinor, p.Currency))
			}
			if problem != "" {
				return core.Invalid("amount", "%s", problem)
			}
			n = m
		}
		if err := s.bill.LockInvoices(ctx, invoiceID); err != nil {
			return err
		}
		if err := s.release(ctx, a, n); err != nil {
			return err
		}
		if err := s.addCredit(ctx, keyOf(p), n); err != nil {
			return err
		}
		if err := s.postCredit(ctx, p, invoiceID, -n); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, audit.Entry{Action: "payment.unallocate", ObjectType: "payment", ObjectID: strconv.FormatInt(p.ID, 10),
			TenantID: p.CustomerID, TenantPath: p.CustomerPath, After: map[string]any{"invoice_id": invoiceID, "amount_minor": n}}); err != nil {
			return err
		}
		ps := []Payment{p}
		err = s.attach(ctx, ps)
		p = ps[0]
		return err
	})
	return p, err
}

// ReleaseOverpaid implements billing.Overpayments: excess of what was
// paid on inv (a credit note lowered what is due) goes back to the
// customer's credit, taken from its newest allocations first. It runs in
// the credit note's transaction.
func (s *Service) ReleaseOverpaid(ctx context.Context, inv billing.Invoice, excess int64) error {
	var as []Allocation
	if err := s.db.Conn(ctx).Where("invoice_id = ?", inv.ID).Order("id DESC").Find(&as).Error; err != nil {
		return fmt.Errorf("read allocations of invoice %d: %w", inv.ID, err)
	}
	left := excess
	for _, a := range as {
		if left == 0 {
			break
		}
		var p Payment
		if err := s.db.Conn(ctx).Where("id = ?", a.PaymentID).Take(&p).Error; err != nil {
			return fmt.Errorf("load payment %d: %w", a.PaymentID, err)
		}
		n := min(a.AmountMinor, left)
		if err := s.release(ctx, a, n); err != nil {
			return err
		}
		if err := s.addCredit(ctx, keyOf(p), n); err != nil {
			return err
		}
		if err := s.postCredit(ctx, p, inv.ID, -n); err != nil {
			return err
		}
		left -= n
	}
	if left != 0 {
		return core.E(core.ErrConflict, "invoice %d: %d paid without an allocation", inv.ID, left)
	}
	return s.audit.Record(ctx, audit.Entry{Action: "payment.overpaid", ObjectType: "invoice", ObjectID: strconv.FormatInt(inv.ID, 10),
		TenantID: inv.CustomerID, TenantPath: inv.CustomerPath, After: map[string]any{"to_credit_minor": excess}})
}

var _ billing.Overpayments = (*Service)(nil)
