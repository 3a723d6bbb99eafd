package payment

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
)

// A gateway takes payments for one seller with that seller's credentials.
// Gateways are plugins (plugins/<name>) that register here in init(),
// the database/sql way; billing stores what they return and they never
// touch billing's tables. A gateway call never runs inside a database
// transaction: the attempt is recorded and committed first, and every
// call carries a key derived from the attempt's id, so a retried call is
// the same call at the provider.
type Gateway interface {
	// Begin starts paying: it creates the provider's checkout (an order,
	// a session) and says where to send the payer.
	Begin(ctx context.Context, r BeginRequest) (Checkout, error)
	// Complete finishes a checkout the payer approved (the return page):
	// it captures where the provider needs that, and reads the outcome.
	Complete(ctx context.Context, checkoutRef string, key string) (Event, error)
}

// Refunder is a gateway that gives money back.
type Refunder interface {
	Refund(ctx context.Context, paymentRef string, amountMinor int64, currency, key string) (refundRef string, err error)
}

// Charger is a gateway that charges a saved payment method without the
// payer present (an invoice falling due, with the customer's consent).
type Charger interface {
	Charge(ctx context.Context, r ChargeRequest) (Event, error)
}

// ChargeRequest charges a saved method.
type ChargeRequest struct {
	Key              string // ours, from the attempt: the idempotency key
	AmountMinor      int64
	Currency         string
	Description      string
	ProviderCustomer string
	ProviderMethod   string
}

// WebhookReceiver is a gateway whose provider notifies us. Receive checks
// the delivery's signature (an unsigned or forged one is an error that
// changes nothing) and reads its events.
type WebhookReceiver interface {
	Receive(ctx context.Context, header http.Header, body []byte) ([]Event, error)
}

// BeginRequest is what a checkout is for.
type BeginRequest struct {
	Key         string // ours, from the attempt: the idempotency key and the reference the provider echoes back
	AmountMinor int64
	Currency    string
	Description string // "Invoice INV-2026-000042"
	ReturnURL   string // where the provider sends the payer after approving
	CancelURL   string
	SaveMethod  bool // the payer agrees to be charged automatically later (gateways that can)
}

// Checkout is a started payment at the provider.
type Checkout struct {
	Ref         string // the provider's checkout id (an order, a session)
	RedirectURL string // where the payer approves it
}

// Event kinds.
const (
	EventSucceeded = "succeeded" // money received
	EventPending   = "pending"   // accepted, money not yet received (a SEPA debit)
	EventFailed    = "failed"    // declined, expired or returned before it was received
	EventRefunded  = "refunded"  // money given back (RefundRef names the refund)
)

// Event is something a provider says about a payment, by webhook or as
// Complete's answer.
type Event struct {
	ID          string `json:"id"`           // the provider's event id (Complete: derived from the payment)
	Kind        string `json:"kind"`         // EventSucceeded, ...
	Key         string `json:"key"`          // ours, as given to Begin
	CheckoutRef string `json:"checkout_ref"` // the checkout it belongs to
	PaymentRef  string `json:"payment_ref"`  // the provider's payment (a capture, a payment intent)
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	RefundRef   string `json:"refund_ref,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// A method the payer saved for later charges (with SaveMethod).
	SavedCustomer string `json:"saved_customer,omitempty"`
	SavedMethod   string `json:"saved_method,omitempty"`
	MethodLabel   string `json:"method_label,omitempty"` // "visa ending 4242"
}

// Field is a setting a gateway takes from each seller.
type Field struct {
	Name     string // "client_id"
	Secret   bool   // sealed at rest, never shown again
	Required bool
}

// GatewayConfig is one seller's configuration of a gateway, secrets open.
type GatewayConfig struct {
	SellerID int64
	Values   map[string]string
}

// Factory opens a gateway on a seller's configuration.
type Factory func(GatewayConfig) (Gateway, error)

type registered struct {
	factory Factory
	fields  []Field
}

var (
	regMu    sync.RWMutex
	registry = map[string]registered{}
)

// Register makes a gateway available under name with the settings it
// takes. It panics when name is empty, taken, or reserved ("manual"),
// from a plugin's init().
func Register(name string, f Factory, fields ...Field) {
	regMu.Lock()
	defer regMu.Unlock()
	if name == "" || name == GatewayManual || f == nil {
		panic(fmt.Sprintf("payment: register gateway %q: empty, reserved or no factory", name))
	}
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("payment: gateway %q registered twice", name))
	}
	registry[name] = registered{factory: f, fields: slices.Clone(fields)}
}

// Gateways lists the registered gateways by name.
func Gateways() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []string
	for n := range registry {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// FieldsOf lists a registered gateway's settings (false when unknown).
func FieldsOf(name string) ([]Field, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	r, ok := registry[name]
	return slices.Clone(r.fields), ok
}

func factoryOf(name string) (Factory, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	r, ok := registry[name]
	return r.factory, ok
}
