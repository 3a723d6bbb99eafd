// Package payment is money received: payments (by hand or through a
// gateway), their allocations to invoices, the customer's credit balance
// with a seller (what is received and not allocated), and refunds. Every
// change runs in one transaction with the invoices it settles (through
// billing.Service.Settle, which moves their status and publishes
// InvoicePaid) and its audit entry. The invariant, per seller, customer
// and currency: allocations + credit balance == succeeded payments -
// refunds; no invoice is allocated more than its total.
package payment

import (
	"context"
	"time"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/outbox"
	"faktura/panel/core/secret"
	"faktura/panel/core/settings"
)

// Payment statuses.
const (
	StatusPending       = "pending"
	StatusSucceeded     = "succeeded"
	StatusFailed        = "failed"
	StatusPartlyRefunds = "partially_refunded"
	StatusRefunded      = "refunded"
)

// counted are the statuses whose money is held: allocated or credit.
var counted = []string{StatusSucceeded, StatusPartlyRefunds}

// GatewayManual is the gateway of payments staff record by hand.
const GatewayManual = "manual"

// ManualMethods are how money recorded by hand arrived.
var ManualMethods = []string{"bank_transfer", "cash", "cheque", "other"}

// ApplyCredit: a customer's credit balance pays its new invoices (and
// its open ones when a payment leaves credit), oldest first.
var ApplyCredit = settings.Bool("billing.apply_credit", true).At(settings.LevelPanel, settings.LevelSeller, settings.LevelCustomer)

// Payment is money received from a customer for a seller.
type Payment struct {
	ID            int64        `json:"id"`
	SellerID      int64        `json:"seller_id"`
	CustomerID    int64        `json:"customer_id"`
	CustomerPath  string       `json:"-"`
	Gateway       string       `json:"gateway"`
	Method        string       `json:"method"`
	Reference     string       `json:"reference,omitempty"`
	ProviderRef   *string      `json:"provider_ref,omitempty"`
	AmountMinor   int64        `json:"amount_minor"`
	RefundedMinor int64        `json:"refunded_minor"`
	Currency      string       `json:"currency"`
	Status        string       `json:"status"`
	ReceivedOn    string       `json:"received_on"`
	Note          string       `json:"note,omitempty"`
	CreatedBy     string       `json:"created_by"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
	AttemptID     *int64       `json:"attempt_id,omitempty"`
	Allocations   []Allocation `json:"allocations" gorm:"-"`
	// UnallocatedMinor is the part neither allocated nor refunded: the
	// customer's credit from this payment.
	UnallocatedMinor int64 `json:"unallocated_minor" gorm:"-"`
}

// TableName is the table's name.
func (Payment) TableName() string { return "payments" }

// Allocation is the part of a payment that pays one invoice.
type Allocation struct {
	ID          int64     `json:"id"`
	PaymentID   int64     `json:"payment_id"`
	InvoiceID   int64     `json:"invoice_id"`
	AmountMinor int64     `json:"amount_minor"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// TableName is the table's name.
func (Allocation) TableName() string { return "payment_allocations" }

// Refund is money given back from a payment.
type Refund struct {
	ID          int64     `json:"id"`
	PaymentID   int64     `json:"payment_id"`
	AmountMinor int64     `json:"amount_minor"`
	Reason      string    `json:"reason"`
	ProviderRef *string   `json:"provider_ref,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	Booked      bool      `json:"-"` // taken off the payment (false while its payment is not received yet)
}

// TableName is the table's name.
func (Refund) TableName() string { return "payment_refunds" }

// Balance is a customer's credit with a seller in one currency.
type Balance struct {
	SellerID     int64     `json:"seller_id"`
	CustomerID   int64     `json:"customer_id"`
	Currency     string    `json:"currency"`
	CustomerPath string    `json:"-"`
	BalanceMinor int64     `json:"balance_minor"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// TableName is the table's name.
func (Balance) TableName() string { return "credit_balances" }

// Service records payments, allocates them and keeps credit balances.
type Service struct {
	db       *db.Handle
	clock    core.Clock
	audit    *audit.Log
	settings *settings.Store
	bill     *billing.Service
	box      *secret.Box // seals gateway credentials
	wake     chan struct{}
}

// New returns the service on billing's tables.
func New(h *db.Handle, clock core.Clock, log *audit.Log, st *settings.Store, bill *billing.Service) *Service {
	return &Service{db: h, clock: clock, audit: log, settings: st, bill: bill, wake: make(chan struct{}, 1)}
}

// SettingDefs lists the payment keys for the settings pages and API.
func (s *Service) SettingDefs() []settings.Def { return []settings.Def{ApplyCredit.Def()} }

// Bind applies credit to each new invoice when the seller's setting
// says so (in the delivery's transaction, so a redelivery applies
// nothing twice).
func (s *Service) Bind(b *outbox.Bus) error {
	return outbox.On(b, "payment.apply_credit", 20, func(ctx context.Context, _ outbox.Meta, ev billing.InvoiceFinalized) error {
		if ev.Kind != billing.DocInvoice {
			return nil
		}
		_, err := s.autoApply(ctx, ev.SellerID, ev.CustomerID, ev.Currency)
		return err
	})
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// LeftMinor is what of the payment is not refunded.
func (p Payment) LeftMinor() int64 { return p.AmountMinor - p.RefundedMinor }
