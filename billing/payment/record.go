package payment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/money"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// ManualInput is a payment staff record by hand: money that arrived by
// bank transfer, in cash or by cheque, with what it pays.
type ManualInput struct {
	CustomerID  int64             `json:"customer_id"`
	Method      string            `json:"method"`
	Amount      string            `json:"amount"` // in the currency's units: "30.00"
	Currency    string            `json:"currency"`
	ReceivedOn  string            `json:"received_on"` // YYYY-MM-DD, not in the future
	Reference   string            `json:"reference"`
	Note        string            `json:"note"`
	Allocations []AllocationInput `json:"allocations"`
}

// AllocationInput is the part of a payment that pays one invoice.
type AllocationInput struct {
	InvoiceID int64  `json:"invoice_id"`
	Amount    string `json:"amount"`
}

// RecordManual records a succeeded payment of the caller's customer,
// allocates it as asked, and keeps the rest as the customer's credit
// (which then pays its open invoices, oldest first, when the seller's
// billing.apply_credit is on). Nothing is written unless all of it holds.
func (s *Service) RecordManual(ctx context.Context, scope tenancy.Scope, in ManualInput) (Payment, error) {
	var v core.ValidationError
	cur, err := money.ParseCurrency(strings.ToUpper(strings.TrimSpace(in.Currency)))
	if err != nil {
		v.Add("currency", "must be an ISO 4217 code such as EUR")
	}
	amount, problem := billing.ParseAmount(in.Amount, string(cur))
	v.Check("amount", problem)
	if problem == "" && amount <= 0 {
		v.Add("amount", "must be more than zero")
	}
	if !slices.Contains(ManualMethods, in.Method) {
		v.Addf("method", "must be one of %s", strings.Join(ManualMethods, ", "))
	}
	day, err := core.ParseDate("received_on", strings.TrimSpace(in.ReceivedOn))
	if err != nil {
		v.Add("received_on", "want a date as YYYY-MM-DD")
	} else if day.String() > core.DateOf(s.clock.Now().UTC().AddDate(0, 0, 1)).String() {
		v.Add("received_on", "is in the future")
	}
	in.Reference, in.Note = strings.TrimSpace(in.Reference), strings.TrimSpace(in.Note)
	if len(in.Reference) > 200 {
		v.Add("reference", "must be at most 200 characters")
	}
	if len(in.Note) > 500 {
		v.Add("note", "must be at most 500 characters")
	}
	allocs := s.checkAllocations(&v, in.Allocations, string(cur), amount)
	if err := v.Err(); err != nil {
		return Payment{}, err
	}
	var p Payment
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		cust, err := s.bill.CustomerOf(ctx, scope, in.CustomerID)
		if err != nil {
			return err
		}
		now := s.now()
		p = Payment{SellerID: scope.TenantID, CustomerID: cust.ID, CustomerPath: cust.Path, Gateway: GatewayManual, Method: in.Method,
			Reference: in.Reference, AmountMinor: amount, Currency: string(cur), Status: StatusSucceeded, ReceivedOn: day.String(),
			Note: in.Note, CreatedBy: audit.Label(ctx), CreatedAt: now, UpdatedAt: now}
		if err := s.db.Conn(ctx).Create(&p).Error; err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		return s.place(ctx, &p, allocs)
	})
	return p, err
}

// checkAllocations reads the allocations of a payment of amount in cur.
func (s *Service) checkAllocations(v *core.ValidationError, in []AllocationInput, cur string, amount int64) map[int64]int64 {
	out := map[int64]int64{}
	var sum int64
	for i, a := range in {
		field := "allocations." + strconv.Itoa(i)
		n, problem := billing.ParseAmount(a.Amount, cur)
		switch {
		case a.InvoiceID <= 0:
			v.Add(field+".invoice_id", "is required")
		case out[a.InvoiceID] != 0:
			v.Add(field+".invoice_id", "names an invoice twice")
		case problem != "":
			v.Add(field+".amount", problem)
		case n <= 0:
			v.Add(field+".amount", "must be more than zero")
		default:
			out[a.InvoiceID] = n
			sum += n
		}
	}
	if sum > amount {
		v.Add("allocations", "add up to more than the payment")
	}
	return out
}

// place allocates a new payment as asked (each invoice the seller's, the
// payer's, in its currency and locked), keeps the rest as credit, and
// lets the credit pay open invoices when the setting says so.
func (s *Service) place(ctx context.Context, p *Payment, allocs map[int64]int64) error {
	ids := make([]int64, 0, len(allocs))
	for id := range allocs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if err := s.bill.LockInvoices(ctx, ids...); err != nil {
		return err
	}
	rest := p.AmountMinor
	for _, id := range ids {
		if err := s.payable(ctx, *p, id); err != nil {
			return err
		}
		if err := s.allocate(ctx, p.ID, id, allocs[id]); err != nil {
			return err
		}
		rest -= allocs[id]
	}
	if err := s.addCredit(ctx, keyOf(*p), rest); err != nil {
		return err
	}
	if err := s.postReceipt(ctx, *p, allocs, rest); err != nil {
		return err
	}
	if err := s.audit.Record(ctx, audit.Entry{Action: "payment.record", ObjectType: "payment", ObjectID: strconv.FormatInt(p.ID, 10),
		TenantID: p.CustomerID, TenantPath: p.CustomerPath, After: map[string]any{"amount_minor": p.AmountMinor, "currency": p.Currency,
			"gateway": p.Gateway, "method": p.Method, "reference": p.Reference, "allocations": allocs, "credit_minor": rest}}); err != nil {
		return err
	}
	if rest > 0 {
		if _, err := s.autoApply(ctx, p.SellerID, p.CustomerID, p.Currency); err != nil {
			return err
		}
	}
	ps := []Payment{*p}
	err := s.attach(ctx, ps)
	*p = ps[0]
	return err
}

// payable checks that invoice id may take money from p: issued by its
// seller to its payer, in its currency.
func (s *Service) payable(ctx context.Context, p Payment, id int64) error {
	var inv billing.Invoice
	err := s.db.Conn(ctx).Where("id = ? AND seller_id = ? AND customer_id = ?", id, p.SellerID, p.CustomerID).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return core.Invalid("invoice_id", "invoice %d is not one you issued to this customer", id)
	} else if err != nil {
		return fmt.Errorf("load invoice %d: %w", id, err)
	}
	if inv.Currency != p.Currency {
		return core.Invalid("currency", "invoice %d is in %s, the payment in %s", id, inv.Currency, p.Currency)
	}
	return nil
}

// autoApply lets a customer's credit pay its open invoices with the
// seller, oldest due first, when the seller's billing.apply_credit is on
// for it. It returns what it applied.
func (s *Service) autoApply(ctx context.Context, seller, customer int64, cur string) (int64, error) {
	on, err := settings.Get(ctx, s.settings, ApplyCredit, settings.Scope{Seller: strconv.FormatInt(seller, 10), Customer: strconv.FormatInt(customer, 10)})
	if err != nil || !on.Value {
		return 0, err
	}
	var path string
	if err := s.db.Conn(ctx).Model(&Balance{}).Where("seller_id = ? AND customer_id = ? AND currency = ?", seller, customer, cur).
		Limit(1).Pluck("customer_path", &path).Error; err != nil {
		return 0, fmt.Errorf("read credit: %w", err)
	}
	k := key{seller, customer, cur, path}
	left, err := s.credit(ctx, k)
	if err != nil || left == 0 {
		return 0, err
	}
	var open []billing.Invoice
	err = s.db.Conn(ctx).Where("seller_id = ? AND customer_id = ? AND currency = ? AND kind = ? AND status IN ?", seller, customer, cur,
		billing.DocInvoice, []billing.InvoiceStatus{billing.InvoiceStatusFinalized, billing.InvoiceStatusPartiallyPaid, billing.InvoiceStatusOverdue}).
		Order("due_date, id").Find(&open).Error
	if err != nil {
		return 0, fmt.Errorf("read open invoices: %w", err)
	}
	var applied int64
	for _, inv := range open {
		if left == 0 {
			break
		}
		if err := s.bill.LockInvoices(ctx, inv.ID); err != nil {
			return applied, err
		}
		n, err := s.spend(ctx, k, inv.ID, min(left, inv.OpenMinor()))
		if err != nil {
			return applied, err
		}
		left -= n
		applied += n
	}
	return applied, nil
}

// ApplyCredit pays invoice id from its customer's credit: amount (in the
// currency's units), or as much as both allow when empty.
func (s *Service) ApplyCredit(ctx context.Context, scope tenancy.Scope, id int64, amount string) (billing.Invoice, error) {
	inv, err := s.issued(ctx, scope, id)
	if err != nil {
		return inv, err
	}
	var want int64
	if strings.TrimSpace(amount) != "" {
		n, problem := billing.ParseAmount(amount, inv.Currency)
		if problem == "" && n <= 0 {
			problem = "must be more than zero"
		}
		if problem != "" {
			return inv, core.Invalid("amount", "%s", problem)
		}
		want = n
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.bill.LockInvoices(ctx, id); err != nil {
			return err
		}
		k := key{inv.SellerID, inv.CustomerID, inv.Currency, inv.CustomerPath}
		have, err := s.credit(ctx, k)
		if err != nil {
			return err
		}
		var cur billing.Invoice
		if err := s.db.Conn(ctx).Where("id = ?", id).Take(&cur).Error; err != nil {
			return fmt.Errorf("load invoice %d: %w", id, err)
		}
		n := cmp.Or(want, min(have, cur.OpenMinor()))
		switch {
		case have == 0:
			return core.Invalid("amount", "the customer has no credit in %s", inv.Currency)
		case n > have:
			return core.Invalid("amount", "is more than the customer's credit of %s", money.Money{Amount: have, Currency: money.Currency(inv.Currency)})
		case n > cur.OpenMinor():
			return core.Invalid("amount", "is more than the %s open", money.Money{Amount: cur.OpenMinor(), Currency: money.Currency(inv.Currency)})
		case n == 0:
			return core.Invalid("invoice_id", "invoice %d has nothing open", id)
		}
		if _, err := s.spend(ctx, k, id, n); err != nil {
			return err
		}
		return s.audit.Record(ctx, audit.Entry{Action: "payment.apply_credit", ObjectType: "invoice", ObjectID: strconv.FormatInt(id, 10),
			TenantID: inv.CustomerID, TenantPath: inv.CustomerPath, After: map[string]any{"amount_minor": n, "currency": inv.Currency}})
	})
	if err != nil {
		return inv, err
	}
	return s.bill.Invoice(ctx, scope, id)
}

// issued loads invoice id in the caller's scope (not found outside it);
// one the caller did not issue is forbidden.
func (s *Service) issued(ctx context.Context, scope tenancy.Scope, id int64) (billing.Invoice, error) {
	inv, err := s.bill.Invoice(ctx, scope, id)
	if err == nil && inv.SellerID != scope.TenantID {
		err = core.E(core.ErrForbidden, "invoice %d is issued by another seller", id)
	}
	return inv, err
}
