// Package gatewaytest is a payment gateway for tests, registered as
// "testpay": an in-process provider with checkouts the test approves,
// captures, refunds, and webhook deliveries signed with HMAC-SHA256 of
// the body under the seller's signing secret (header X-Testpay-Signature).
// It follows the shape real providers have: an order the payer approves,
// a capture on return, and events that may come twice or out of order.
package gatewaytest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"faktura/billing/payment"
)

// Name is the gateway's registered name.
const Name = "testpay"

func init() {
	payment.Register(Name, open, payment.Field{Name: "account", Required: true}, payment.Field{Name: "signing_secret", Secret: true, Required: true})
}

// Provider is the pretend payment provider all testpay gateways talk to.
var Provider = &provider{checkouts: map[string]*checkout{}}

type checkout struct {
	ref, key, account string
	amount            int64
	currency          string
	approved          bool
	payment           string
	save              bool
}

type provider struct {
	mu        sync.Mutex
	n         int
	checkouts map[string]*checkout
	byKey     map[string]string
	Refunds   []string
	Charges   int // automatic charges made
	declined  int64
}

// Approve is the payer approving checkout ref at the provider.
func (p *provider) Approve(ref string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.checkouts[ref]; ok {
		c.approved = true
	}
}

type gateway struct {
	account, secret string
}

func open(cfg payment.GatewayConfig) (payment.Gateway, error) {
	if cfg.Values["account"] == "" || cfg.Values["signing_secret"] == "" {
		return nil, errors.New("testpay: account and signing_secret are required")
	}
	return &gateway{account: cfg.Values["account"], secret: cfg.Values["signing_secret"]}, nil
}

// Begin creates a checkout once per key (a retried call gets the same).
func (g *gateway) Begin(_ context.Context, r payment.BeginRequest) (payment.Checkout, error) {
	p := Provider
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byKey == nil {
		p.byKey = map[string]string{}
	}
	if ref, ok := p.byKey[r.Key]; ok {
		return payment.Checkout{Ref: ref, RedirectURL: "https://pay.test/checkout/" + ref}, nil
	}
	if r.AmountMinor <= 0 {
		return payment.Checkout{}, errors.New("testpay: amount must be positive")
	}
	p.n++
	ref := fmt.Sprintf("co_%d", p.n)
	p.checkouts[ref] = &checkout{ref: ref, key: r.Key, account: g.account, amount: r.AmountMinor, currency: r.Currency, save: r.SaveMethod}
	p.byKey[r.Key] = ref
	return payment.Checkout{Ref: ref, RedirectURL: "https://pay.test/checkout/" + ref}, nil
}

// Complete captures an approved checkout (once: a second call reads the
// same capture).
func (g *gateway) Complete(_ context.Context, ref, _ string) (payment.Event, error) {
	p := Provider
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.checkouts[ref]
	switch {
	case !ok:
		return payment.Event{}, fmt.Errorf("testpay: no checkout %s", ref)
	case !c.approved:
		return payment.Event{}, fmt.Errorf("testpay: checkout %s is not approved", ref)
	}
	if c.payment == "" {
		p.n++
		c.payment = fmt.Sprintf("pay_%d", p.n)
	}
	return Succeeded(c), nil
}

// Succeeded is the event of a captured checkout; a checkout that saved
// the card names it.
func Succeeded(c *checkout) payment.Event {
	ev := payment.Event{ID: "evt_" + c.payment + "_succeeded", Kind: payment.EventSucceeded, Key: c.key, CheckoutRef: c.ref,
		PaymentRef: c.payment, AmountMinor: c.amount, Currency: c.currency}
	if c.save {
		ev.SavedCustomer, ev.SavedMethod, ev.MethodLabel = "cus_"+c.ref, "pm_"+c.ref, "test card ending 4242"
	}
	return ev
}

// Declines makes charges of amount fail (a card that stopped working).
func (p *provider) Declines(amount int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.declined = amount
}

// Charge charges a saved method once per key.
func (g *gateway) Charge(_ context.Context, r payment.ChargeRequest) (payment.Event, error) {
	p := Provider
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.ProviderMethod == "" {
		return payment.Event{}, errors.New("testpay: no payment method")
	}
	p.Charges++
	if p.declined == r.AmountMinor {
		return payment.Event{ID: "evt_declined_" + r.Key, Kind: payment.EventFailed, Key: r.Key, Reason: "card declined"}, nil
	}
	p.n++
	pay := fmt.Sprintf("pay_%d", p.n)
	return payment.Event{ID: "evt_" + pay + "_succeeded", Kind: payment.EventSucceeded, Key: r.Key, PaymentRef: pay, AmountMinor: r.AmountMinor, Currency: r.Currency}, nil
}

// Captured returns the succeeded event of checkout ref after capturing
// it (the provider's own capture, as for an automatic charge).
func (p *provider) Captured(ref string) payment.Event {
	p.Approve(ref)
	ev, err := (&gateway{}).Complete(context.Background(), ref, "")
	if err != nil {
		panic(err)
	}
	return ev
}

// Refund gives money back.
func (g *gateway) Refund(_ context.Context, paymentRef string, amount int64, _, key string) (string, error) {
	p := Provider
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	ref := fmt.Sprintf("re_%d", p.n)
	p.Refunds = append(p.Refunds, ref)
	return ref, nil
}

// delivery is a webhook body.
type delivery struct {
	Events []payment.Event `json:"events"`
}

// Header is the signature header.
const Header = "X-Testpay-Signature"

// Sign returns a delivery of events and its signature under secret.
func Sign(secret string, evs ...payment.Event) ([]byte, string) {
	body, _ := json.Marshal(delivery{Events: evs})
	return body, signature(secret, body)
}

func signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Receive verifies the signature and reads the events.
func (g *gateway) Receive(_ context.Context, h http.Header, body []byte) ([]payment.Event, error) {
	sig := h.Get(Header)
	if sig == "" {
		return nil, errors.New("testpay: unsigned delivery")
	}
	if !hmac.Equal([]byte(sig), []byte(signature(g.secret, body))) {
		return nil, errors.New("testpay: the signature does not match")
	}
	var d delivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("testpay: %w", err)
	}
	return d.Events, nil
}

var (
	_ payment.Charger         = (*gateway)(nil)
	_ payment.Refunder        = (*gateway)(nil)
	_ payment.WebhookReceiver = (*gateway)(nil)
)

// Reset forgets every checkout (a fresh provider for a fresh database).
func (p *provider) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkouts, p.byKey, p.Refunds, p.Charges, p.declined = map[string]*checkout{}, map[string]string{}, nil, 0, 0
}
