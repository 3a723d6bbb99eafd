package payment

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// Attempt statuses.
const (
	AttemptStarted    = "started"    // recorded; the gateway not called yet, or its answer lost
	AttemptRedirected = "redirected" // the payer was sent to the provider
	AttemptSucceeded  = "succeeded"
	AttemptFailed     = "failed"
)

// Attempt is a customer's try to pay an invoice through a gateway.
type Attempt struct {
	ID           int64     `json:"id"`
	SellerID     int64     `json:"seller_id"`
	CustomerID   int64     `json:"customer_id"`
	CustomerPath string    `json:"-"`
	InvoiceID    int64     `json:"invoice_id"`
	Gateway      string    `json:"gateway"`
	AmountMinor  int64     `json:"amount_minor"`
	Currency     string    `json:"currency"`
	Status       string    `json:"status"`
	CheckoutRef  *string   `json:"checkout_ref,omitempty"`
	RedirectURL  *string   `json:"redirect_url,omitempty"`
	LastError    string    `json:"last_error,omitempty"`
	SaveMethod   bool      `json:"save_method,omitempty"`
	ChargeDay    *string   `json:"charge_day,omitempty"` // an automatic charge's day
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// TableName is the table's name.
func (Attempt) TableName() string { return "payment_attempts" }

// Key is the attempt's idempotency key at the provider and the reference
// the provider echoes back in its events.
func (a Attempt) Key() string { return "faktura-attempt-" + strconv.FormatInt(a.ID, 10) }

func attemptOfKey(key string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(key, "faktura-attempt-"), 10, 64)
	return n, err == nil && strings.HasPrefix(key, "faktura-attempt-") && n > 0
}

// PayInput starts paying an invoice online.
type PayInput struct {
	Gateway    string `json:"gateway"`
	SaveMethod bool   `json:"save_method"` // charge my saved method automatically when later invoices fall due
	ReturnURL  string `json:"return_url"`  // the panel's return page; the attempt id is added
	CancelURL  string `json:"cancel_url"`
}

// Pay starts paying invoice id, of which the caller is the customer, by
// one of its seller's gateways for what is open: the attempt is recorded
// and committed, then the gateway is asked for a checkout (with the
// attempt's key), and the attempt keeps where to send the payer.
func (s *Service) Pay(ctx context.Context, scope tenancy.Scope, id int64, in PayInput) (Attempt, error) {
	inv, err := s.bill.Invoice(ctx, scope, id)
	if err != nil {
		return Attempt{}, err
	}
	if inv.CustomerID != scope.TenantID {
		return Attempt{}, core.E(core.ErrForbidden, "invoice %d is paid by its customer", id)
	}
	if inv.Kind != billing.DocInvoice || !inv.Frozen() || inv.OpenMinor() <= 0 || inv.Status == billing.InvoiceStatusCancelled {
		return Attempt{}, core.Invalid("invoice_id", "invoice %d has nothing to pay", id)
	}
	g, err := s.gateway(ctx, inv.SellerID, in.Gateway)
	if err != nil {
		return Attempt{}, err
	}
	now := s.now()
	a := Attempt{SellerID: inv.SellerID, CustomerID: inv.CustomerID, CustomerPath: inv.CustomerPath, InvoiceID: inv.ID, Gateway: in.Gateway,
		AmountMinor: inv.OpenMinor(), Currency: inv.Currency, Status: AttemptStarted, SaveMethod: in.SaveMethod, CreatedAt: now, UpdatedAt: now}
	if err := s.db.Conn(ctx).Create(&a).Error; err != nil {
		return a, fmt.Errorf("record payment attempt: %w", err)
	}
	number := ""
	if inv.Number != nil {
		number = *inv.Number
	}
	sep := "?"
	if strings.Contains(in.ReturnURL, "?") {
		sep = "&"
	}
	co, err := g.Begin(ctx, BeginRequest{Key: a.Key(), AmountMinor: a.AmountMinor, Currency: a.Currency, Description: "Invoice " + number,
		ReturnURL: in.ReturnURL + sep + "attempt=" + strconv.FormatInt(a.ID, 10), CancelURL: in.CancelURL, SaveMethod: in.SaveMethod})
	upd := map[string]any{"updated_at": s.now()}
	if err != nil {
		upd["status"], upd["last_error"] = AttemptFailed, cut(err.Error())
	} else {
		upd["status"], upd["checkout_ref"], upd["redirect_url"] = AttemptRedirected, co.Ref, co.RedirectURL
	}
	if uerr := s.db.Conn(ctx).Model(&Attempt{}).Where("id = ?", a.ID).Updates(upd).Error; uerr != nil {
		return a, fmt.Errorf("record checkout of attempt %d: %w", a.ID, uerr)
	}
	if err != nil {
		return a, core.E(core.ErrPrecondition, "the payment provider refused: %v", err)
	}
	a.Status, a.CheckoutRef, a.RedirectURL = AttemptRedirected, &co.Ref, &co.RedirectURL
	return a, nil
}

func cut(s string) string {
	if len(s) > 2000 {
		return s[:2000]
	}
	return s
}

// Attempt returns one attempt in the caller's subtree.
func (s *Service) Attempt(ctx context.Context, scope tenancy.Scope, id int64) (Attempt, error) {
	var a Attempt
	err := s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")).Where("id = ?", id).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || !scope.Valid() {
		return a, core.E(core.ErrNotFound, "payment attempt %d not found", id)
	}
	return a, err
}

// Complete finishes attempt id on the payer's return: the gateway
// captures and says how it went (outside any transaction), and the
// outcome is applied as an event would be, so the webhook saying the
// same later (or earlier) counts once.
func (s *Service) Complete(ctx context.Context, scope tenancy.Scope, id int64) (Attempt, error) {
	a, err := s.Attempt(ctx, scope, id)
	if err != nil {
		return a, err
	}
	if a.Status == AttemptSucceeded || a.Status == AttemptFailed || a.CheckoutRef == nil {
		return a, nil
	}
	g, err := s.gateway(ctx, a.SellerID, a.Gateway)
	if err != nil {
		return a, err
	}
	ev, err := g.Complete(ctx, *a.CheckoutRef, a.Key()+"-complete")
	if err != nil {
		return a, core.E(core.ErrPrecondition, "the payment provider did not confirm the payment: %v", err)
	}
	ev.Key = a.Key()
	if err := s.db.WithTx(ctx, func(ctx context.Context) error { return s.apply(ctx, a.Gateway, a.SellerID, ev) }); err != nil {
		return a, err
	}
	return s.Attempt(ctx, scope, id)
}

// ErrUnknownPayment is an event about no attempt of ours.
var ErrUnknownPayment = errors.New("the event names no payment attempt of this seller")

// apply merges one provider event into the payments, in the caller's
// transaction. The merge commutes: any order and any repetition of a
// payment's events ends in the same state. A payment is recorded once
// (its provider reference is unique); received, it is allocated to its
// invoice as far as it is open, the rest credit; a refund is noted once
// (its provider reference is unique) and taken off when the payment is
// received; a failure after receipt changes nothing.
func (s *Service) apply(ctx context.Context, gateway string, seller int64, ev Event) error {
	a, err := s.attemptOf(ctx, gateway, seller, ev)
	if err != nil {
		return err
	}
	if ev.PaymentRef == "" {
		if ev.Kind == EventFailed {
			return s.failAttempt(ctx, a, ev.Reason)
		}
		return core.Invalid("payment_ref", "event %s names no payment", ev.ID)
	}
	if ev.Currency != "" && ev.Currency != a.Currency {
		return core.Invalid("currency", "event %s is in %s, the attempt in %s", ev.ID, ev.Currency, a.Currency)
	}
	p, err := s.paymentOf(ctx, a, ev)
	if err != nil {
		return err
	}
	switch ev.Kind {
	case EventSucceeded:
		return s.received(ctx, a, &p, ev)
	case EventPending:
		return nil
	case EventFailed:
		if p.Status != StatusPending {
			return nil
		}
		if err := s.db.Conn(ctx).Model(&Payment{}).Where("id = ?", p.ID).Updates(map[string]any{"status": StatusFailed, "updated_at": s.now()}).Error; err != nil {
			return fmt.Errorf("payment %d failed: %w", p.ID, err)
		}
		return s.failAttempt(ctx, a, ev.Reason)
	case EventRefunded:
		return s.refunded(ctx, &p, ev)
	}
	return core.Invalid("kind", "unknown event kind %q", ev.Kind)
}

func (s *Service) attemptOf(ctx context.Context, gateway string, seller int64, ev Event) (Attempt, error) {
	var a Attempt
	q := s.db.Conn(ctx).Where("gateway = ? AND seller_id = ?", gateway, seller)
	if id, ok := attemptOfKey(ev.Key); ok {
		q = q.Where("id = ?", id)
	} else if ev.CheckoutRef != "" {
		q = q.Where("checkout_ref = ?", ev.CheckoutRef)
	} else if ev.PaymentRef != "" {
		// A refund may name only the provider's payment.
		q = q.Where("id = (SELECT attempt_id FROM payments WHERE seller_id = ? AND gateway = ? AND provider_ref = ?)", seller, gateway, ev.PaymentRef)
	} else {
		return a, ErrUnknownPayment
	}
	err := q.Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, ErrUnknownPayment
	}
	return a, err
}

func (s *Service) failAttempt(ctx context.Context, a Attempt, reason string) error {
	return s.db.Conn(ctx).Model(&Attempt{}).Where("id = ? AND status IN ?", a.ID, []string{AttemptStarted, AttemptRedirected}).
		Updates(map[string]any{"status": AttemptFailed, "last_error": cut(reason), "updated_at": s.now()}).Error
}

// paymentOf finds (locked) or creates (pending) the payment an event is
// about.
func (s *Service) paymentOf(ctx context.Context, a Attempt, ev Event) (Payment, error) {
	now := s.now()
	ref := ev.PaymentRef
	p := Payment{SellerID: a.SellerID, CustomerID: a.CustomerID, CustomerPath: a.CustomerPath, Gateway: a.Gateway, Method: a.Gateway,
		Reference: ref, ProviderRef: &ref, AmountMinor: a.AmountMinor, Currency: a.Currency, Status: StatusPending, ReceivedOn: core.DateOf(now).String(),
		CreatedBy: "gateway:" + a.Gateway, CreatedAt: now, UpdatedAt: now, AttemptID: &a.ID}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&p).Error; err != nil {
		return p, fmt.Errorf("record payment %s: %w", ref, err)
	}
	q := s.db.Conn(ctx)
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var got Payment
	if err := q.Where("seller_id = ? AND gateway = ? AND provider_ref = ?", a.SellerID, a.Gateway, ref).Take(&got).Error; err != nil {
		return got, fmt.Errorf("load payment %s: %w", ref, err)
	}
	ps := []Payment{got}
	err := s.attach(ctx, ps)
	return ps[0], err
}

// received books a payment the provider received: allocated to its
// invoice as far as that is open, the rest credit; then the refunds
// noted before it.
func (s *Service) received(ctx context.Context, a Attempt, p *Payment, ev Event) error {
	if p.Status != StatusPending && p.Status != StatusFailed {
		return nil // counted already
	}
	amount := ev.AmountMinor
	if amount <= 0 {
		return core.Invalid("amount_minor", "event %s received no money", ev.ID)
	}
	var noted int64
	if err := s.db.Conn(ctx).Model(&Refund{}).Where("payment_id = ? AND booked = ?", p.ID, false).Select("COALESCE(SUM(amount_minor), 0)").Scan(&noted).Error; err != nil {
		return fmt.Errorf("read noted refunds: %w", err)
	}
	if noted > amount {
		return core.Invalid("amount_minor", "refunds of %d exceed the payment of %d", noted, amount)
	}
	p.AmountMinor, p.Status = amount, StatusSucceeded
	if err := s.db.Conn(ctx).Model(&Payment{}).Where("id = ?", p.ID).
		Updates(map[string]any{"amount_minor": amount, "status": StatusSucceeded, "received_on": core.DateOf(s.now()).String(), "updated_at": s.now()}).Error; err != nil {
		return fmt.Errorf("payment %d received: %w", p.ID, err)
	}
	if err := s.db.Conn(ctx).Model(&Attempt{}).Where("id = ?", a.ID).Updates(map[string]any{"status": AttemptSucceeded, "updated_at": s.now()}).Error; err != nil {
		return fmt.Errorf("attempt %d succeeded: %w", a.ID, err)
	}
	if err := s.bill.LockInvoices(ctx, a.InvoiceID); err != nil {
		return err
	}
	var inv billing.Invoice
	if err := s.db.Conn(ctx).Where("id = ?", a.InvoiceID).Take(&inv).Error; err != nil {
		return fmt.Errorf("load invoice %d: %w", a.InvoiceID, err)
	}
	allocs := map[int64]int64{}
	if n := min(amount, inv.OpenMinor()); n > 0 && inv.Status != billing.InvoiceStatusCancelled {
		allocs[inv.ID] = n
	}
	if err := s.place(ctx, p, allocs); err != nil {
		return err
	}
	if a.SaveMethod && ev.SavedCustomer != "" && ev.SavedMethod != "" {
		if err := s.saveMethod(ctx, a, ev); err != nil {
			return err
		}
	}
	var pending []Refund
	if err := s.db.Conn(ctx).Where("payment_id = ? AND booked = ?", p.ID, false).Order("id").Find(&pending).Error; err != nil {
		return fmt.Errorf("read noted refunds: %w", err)
	}
	for _, r := range pending {
		if err := s.bookNoted(ctx, p, r); err != nil {
			return err
		}
	}
	return nil
}

// refunded notes a provider's refund once; a received payment gives it
// back at once, a pending one when it is received.
func (s *Service) refunded(ctx context.Context, p *Payment, ev Event) error {
	if ev.RefundRef == "" || ev.AmountMinor <= 0 {
		return core.Invalid("refund_ref", "event %s names no refund and amount", ev.ID)
	}
	ref, reason, by := ev.RefundRef, ev.Reason, audit.Label(ctx)
	if reason == "" {
		reason, by = "refund at "+p.Gateway, "gateway:"+p.Gateway
	}
	// The payment's row is locked: one refund reference is looked up and
	// noted by one transaction at a time (the unique key stays the last
	// word).
	var seen int64
	if err := s.db.Conn(ctx).Model(&Refund{}).Where("payment_id = ? AND provider_ref = ?", p.ID, ref).Count(&seen).Error; err != nil {
		return fmt.Errorf("read refund %s: %w", ref, err)
	}
	if seen > 0 {
		return nil // noted before
	}
	r := Refund{PaymentID: p.ID, AmountMinor: ev.AmountMinor, Reason: reason, ProviderRef: &ref, CreatedBy: by, CreatedAt: s.now()}
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("note refund %s: %w", ref, err)
	}
	if p.Status == StatusPending || p.Status == StatusFailed {
		return nil // booked when the payment is received
	}
	return s.bookNoted(ctx, p, r)
}

// bookNoted takes a noted refund off its received payment.
func (s *Service) bookNoted(ctx context.Context, p *Payment, r Refund) error {
	if r.AmountMinor > p.AmountMinor-p.RefundedMinor {
		return core.Invalid("amount_minor", "refund %d is more than is left of payment %d", r.ID, p.ID)
	}
	if err := s.refund(ctx, p, r.AmountMinor, r.Reason, r.ProviderRef, false); err != nil {
		return err
	}
	return s.db.Conn(ctx).Model(&Refund{}).Where("id = ?", r.ID).Update("booked", true).Error
}
