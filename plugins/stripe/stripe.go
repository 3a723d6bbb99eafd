// Package stripe is the Stripe gateway (github.com/stripe/stripe-go):
// a Checkout Session per attempt for card and SEPA Direct Debit (the
// attempt's key as idempotency key, client reference and metadata), the
// session read on the payer's return, refunds of its payment intent, and
// webhooks verified with the seller's signing secret. SEPA debits settle
// days later: the session completes unpaid (pending) and the
// async_payment_succeeded or _failed event decides.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	stripe "github.com/stripe/stripe-go/v86"
	"github.com/stripe/stripe-go/v86/webhook"

	"faktura/billing/payment"
)

// Name is the gateway's registered name.
const Name = "stripe"

func init() {
	payment.Register(Name, open,
		payment.Field{Name: "secret_key", Secret: true, Required: true},
		payment.Field{Name: "webhook_secret", Secret: true},
		payment.Field{Name: "methods"},  // payment method types, comma-separated (default card,sepa_debit)
		payment.Field{Name: "api_base"}) // another Stripe-compatible address (stripe-mock)
}

type gateway struct {
	c             *stripe.Client
	webhookSecret string
	methods       []*string
}

func open(cfg payment.GatewayConfig) (payment.Gateway, error) {
	key := cfg.Values["secret_key"]
	if key == "" {
		return nil, errors.New("stripe: secret_key is required")
	}
	var opts []stripe.ClientOption
	if base := cfg.Values["api_base"]; base != "" {
		b := strings.TrimSuffix(base, "/")
		opts = append(opts, stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{URL: &b, MaxNetworkRetries: stripe.Int64(0)})))
	}
	g := &gateway{c: stripe.NewClient(key, opts...), webhookSecret: cfg.Values["webhook_secret"]}
	methods := cfg.Values["methods"]
	if methods == "" {
		methods = "card,sepa_debit"
	}
	for _, m := range strings.Split(methods, ",") {
		if m = strings.TrimSpace(m); m != "" {
			g.methods = append(g.methods, stripe.String(m))
		}
	}
	return g, nil
}

// Begin creates a Checkout Session, once per key.
func (g *gateway) Begin(ctx context.Context, r payment.BeginRequest) (payment.Checkout, error) {
	cur := strings.ToLower(r.Currency)
	success := r.ReturnURL
	params := &stripe.CheckoutSessionCreateParams{
		Mode:               stripe.String(string(stripe.CheckoutSessionModePayment)),
		SuccessURL:         stripe.String(success),
		ClientReferenceID:  stripe.String(r.Key),
		PaymentMethodTypes: g.methods,
		Metadata:           map[string]string{"faktura_key": r.Key},
		LineItems: []*stripe.CheckoutSessionCreateLineItemParams{{Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionCreateLineItemPriceDataParams{Currency: stripe.String(cur), UnitAmount: stripe.Int64(r.AmountMinor),
				ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(orDefault(r.Description, "Invoice"))}}}},
		PaymentIntentData: &stripe.CheckoutSessionCreatePaymentIntentDataParams{Metadata: map[string]string{"faktura_key": r.Key}, Description: stripe.String(r.Description)},
	}
	if r.CancelURL != "" {
		params.CancelURL = stripe.String(r.CancelURL)
	}
	if r.SaveMethod {
		// The payer agreed to later charges: a Stripe customer keeps the
		// method the session collects, for use without the payer present.
		cp := &stripe.CustomerCreateParams{Description: stripe.String(orDefault(r.Description, "Faktura customer")), Metadata: map[string]string{"faktura_key": r.Key}}
		cp.SetIdempotencyKey(r.Key + "-customer")
		c, err := g.c.V1Customers.Create(ctx, cp)
		if err != nil {
			return payment.Checkout{}, fmt.Errorf("stripe: create customer: %w", err)
		}
		params.Customer = stripe.String(c.ID)
		params.PaymentIntentData.SetupFutureUsage = stripe.String("off_session")
	}
	params.SetIdempotencyKey(r.Key)
	s, err := g.c.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return payment.Checkout{}, fmt.Errorf("stripe: create checkout session: %w", err)
	}
	if s.URL == "" {
		return payment.Checkout{}, fmt.Errorf("stripe: session %s has no URL", s.ID)
	}
	return payment.Checkout{Ref: s.ID, RedirectURL: s.URL}, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Complete reads the session on the payer's return: paid is received,
// unpaid with a processing payment (a SEPA debit) pending.
func (g *gateway) Complete(ctx context.Context, sessionID, _ string) (payment.Event, error) {
	p := &stripe.CheckoutSessionRetrieveParams{}
	p.AddExpand("payment_intent")
	p.AddExpand("payment_intent.payment_method")
	s, err := g.c.V1CheckoutSessions.Retrieve(ctx, sessionID, p)
	if err != nil {
		return payment.Event{}, fmt.Errorf("stripe: read session %s: %w", sessionID, err)
	}
	return sessionEvent("session:"+s.ID+":"+string(s.PaymentStatus), s, payment.EventSucceeded)
}

// sessionEvent turns a session into an event: paid is kind, unpaid
// pending.
func sessionEvent(id string, s *stripe.CheckoutSession, kind string) (payment.Event, error) {
	ev := payment.Event{ID: id, Key: s.ClientReferenceID, CheckoutRef: s.ID, AmountMinor: s.AmountTotal, Currency: strings.ToUpper(string(s.Currency))}
	if k := s.Metadata["faktura_key"]; k != "" {
		ev.Key = k
	}
	if s.PaymentIntent != nil {
		ev.PaymentRef = s.PaymentIntent.ID
		if s.Customer != nil && s.PaymentIntent.PaymentMethod != nil && s.PaymentIntent.SetupFutureUsage != "" {
			ev.SavedCustomer, ev.SavedMethod = s.Customer.ID, s.PaymentIntent.PaymentMethod.ID
			ev.MethodLabel = "Stripe " + s.PaymentIntent.PaymentMethod.ID
			if c := s.PaymentIntent.PaymentMethod.Card; c != nil && c.Last4 != "" {
				ev.MethodLabel = string(c.Brand) + " ending " + c.Last4
			}
		}
	}
	switch {
	case kind == payment.EventFailed:
		ev.Kind, ev.Reason = payment.EventFailed, "the debit failed"
	case s.PaymentStatus == stripe.CheckoutSessionPaymentStatusPaid || s.PaymentStatus == stripe.CheckoutSessionPaymentStatusNoPaymentRequired:
		ev.Kind = kind
	case s.Status == stripe.CheckoutSessionStatusComplete:
		ev.Kind = payment.EventPending
	default:
		return ev, fmt.Errorf("stripe: session %s is %s and %s: not paid", s.ID, s.Status, s.PaymentStatus)
	}
	if ev.PaymentRef == "" && ev.Kind != payment.EventFailed {
		return ev, fmt.Errorf("stripe: session %s has no payment intent", s.ID)
	}
	return ev, nil
}

// Charge charges a saved method without the payer present (off
// session), once per key: succeeded, processing (a SEPA debit: pending),
// or failed (declined, or the bank wants the payer, which the next
// manual payment settles).
func (g *gateway) Charge(ctx context.Context, r payment.ChargeRequest) (payment.Event, error) {
	p := &stripe.PaymentIntentCreateParams{Amount: stripe.Int64(r.AmountMinor), Currency: stripe.String(strings.ToLower(r.Currency)),
		Customer: stripe.String(r.ProviderCustomer), PaymentMethod: stripe.String(r.ProviderMethod), OffSession: stripe.Bool(true), Confirm: stripe.Bool(true),
		Description: stripe.String(r.Description), Metadata: map[string]string{"faktura_key": r.Key}}
	p.SetIdempotencyKey(r.Key)
	pi, err := g.c.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodeCardDeclined {
			return payment.Event{ID: "charge:" + r.Key + ":declined", Kind: payment.EventFailed, Key: r.Key, Reason: "card declined"}, nil
		}
		return payment.Event{}, fmt.Errorf("stripe: charge: %w", err)
	}
	ev := payment.Event{ID: "charge:" + pi.ID + ":" + string(pi.Status), Key: r.Key, PaymentRef: pi.ID, AmountMinor: pi.Amount, Currency: strings.ToUpper(string(pi.Currency))}
	switch pi.Status {
	case stripe.PaymentIntentStatusSucceeded:
		ev.Kind = payment.EventSucceeded
	case stripe.PaymentIntentStatusProcessing:
		ev.Kind = payment.EventPending
	default:
		ev.Kind, ev.Reason = payment.EventFailed, "Stripe says "+string(pi.Status)
	}
	return ev, nil
}

// Refund gives back amount of a payment intent, once per key.
func (g *gateway) Refund(ctx context.Context, paymentIntent string, amount int64, _, key string) (string, error) {
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(paymentIntent), Amount: stripe.Int64(amount)}
	p.SetIdempotencyKey(key)
	r, err := g.c.V1Refunds.Create(ctx, p)
	if err != nil {
		return "", fmt.Errorf("stripe: refund %s: %w", paymentIntent, err)
	}
	return r.ID, nil
}

// Receive verifies the Stripe-Signature header with the seller's signing
// secret and reads checkout and refund events; others are acknowledged.
func (g *gateway) Receive(_ context.Context, h http.Header, body []byte) ([]payment.Event, error) {
	if g.webhookSecret == "" {
		return nil, errors.New("stripe: no webhook_secret configured for this seller")
	}
	ev, err := webhook.ConstructEventWithOptions(body, h.Get("Stripe-Signature"), g.webhookSecret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		return nil, fmt.Errorf("stripe: %w", err)
	}
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed":
		var s stripe.CheckoutSession
		if err := s.UnmarshalJSON(ev.Data.Raw); err != nil {
			return nil, fmt.Errorf("stripe: %w", err)
		}
		kind := payment.EventSucceeded
		if ev.Type == "checkout.session.async_payment_failed" {
			kind = payment.EventFailed
		}
		out, err := sessionEvent(ev.ID, &s, kind)
		return []payment.Event{out}, err
	case "charge.refunded":
		var c stripe.Charge
		if err := c.UnmarshalJSON(ev.Data.Raw); err != nil {
			return nil, fmt.Errorf("stripe: %w", err)
		}
		if c.PaymentIntent == nil || c.Refunds == nil {
			return nil, errors.New("stripe: a refunded charge without its payment intent or refunds")
		}
		var out []payment.Event
		for _, r := range c.Refunds.Data {
			out = append(out, payment.Event{ID: ev.ID + ":" + r.ID, Kind: payment.EventRefunded, Key: c.Metadata["faktura_key"], PaymentRef: c.PaymentIntent.ID,
				RefundRef: r.ID, AmountMinor: r.Amount, Currency: strings.ToUpper(string(r.Currency))})
		}
		return out, nil
	}
	return nil, nil
}

var (
	_ payment.Charger         = (*gateway)(nil)
	_ payment.Refunder        = (*gateway)(nil)
	_ payment.WebhookReceiver = (*gateway)(nil)
)
