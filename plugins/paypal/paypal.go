// Package paypal is the PayPal gateway (Orders v2 through
// github.com/plutov/paypal/v4): an order per attempt (the attempt's key
// as PayPal-Request-Id and custom_id), capture on the payer's return,
// refunds of a capture, and webhooks checked with PayPal's
// verify-webhook-signature call. Each seller uses its own REST app:
// client id and secret, and the id of the webhook it registered at
// PayPal for its address in the panel.
package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/plutov/paypal/v4"
	"github.com/shopspring/decimal"

	"faktura/billing/payment"
	"faktura/panel/core/money"
)

// Name is the gateway's registered name.
const Name = "paypal"

func init() {
	payment.Register(Name, open,
		payment.Field{Name: "client_id", Required: true},
		payment.Field{Name: "client_secret", Secret: true, Required: true},
		payment.Field{Name: "webhook_id"},
		payment.Field{Name: "mode"},     // "live" or "sandbox" (default)
		payment.Field{Name: "api_base"}) // another PayPal-compatible address (a test server)
}

type gateway struct {
	c         *paypal.Client
	webhookID string
}

func open(cfg payment.GatewayConfig) (payment.Gateway, error) {
	base := paypal.APIBaseSandBox
	switch cfg.Values["mode"] {
	case "", "sandbox":
	case "live":
		base = paypal.APIBaseLive
	default:
		return nil, fmt.Errorf("paypal: mode must be live or sandbox, got %q", cfg.Values["mode"])
	}
	if b := cfg.Values["api_base"]; b != "" {
		base = strings.TrimSuffix(b, "/")
	}
	c, err := paypal.NewClient(cfg.Values["client_id"], cfg.Values["client_secret"], base)
	if err != nil {
		return nil, fmt.Errorf("paypal: %w", err)
	}
	return &gateway{c: c, webhookID: cfg.Values["webhook_id"]}, nil
}

// major writes minor units as PayPal's decimal string.
func major(minor int64, cur string) string {
	m := money.Money{Amount: minor, Currency: money.Currency(cur)}
	return m.Decimal().StringFixed(m.Currency.Exponent())
}

// minor reads PayPal's decimal string.
func minor(value, cur string) (int64, error) {
	d, err := decimal.NewFromString(value)
	if err != nil {
		return 0, fmt.Errorf("paypal: amount %q: %w", value, err)
	}
	m, err := money.FromDecimal(d, money.Currency(cur), money.RoundLine)
	return m.Amount, err
}

// Begin creates an order to capture, once per key.
func (g *gateway) Begin(ctx context.Context, r payment.BeginRequest) (payment.Checkout, error) {
	units := []paypal.PurchaseUnitRequest{{ReferenceID: r.Key, CustomID: r.Key, Description: r.Description,
		Amount: &paypal.PurchaseUnitAmount{Currency: r.Currency, Value: major(r.AmountMinor, r.Currency)}}}
	appCtx := &paypal.ApplicationContext{ReturnURL: r.ReturnURL, CancelURL: r.CancelURL, UserAction: "PAY_NOW", ShippingPreference: "NO_SHIPPING"}
	o, err := g.c.CreateOrderWithPaypalRequestID(ctx, paypal.OrderIntentCapture, units, nil, appCtx, r.Key)
	if err != nil {
		return payment.Checkout{}, fmt.Errorf("paypal: create order: %w", err)
	}
	for _, l := range o.Links {
		if l.Rel == "approve" || l.Rel == "payer-action" {
			return payment.Checkout{Ref: o.ID, RedirectURL: l.Href}, nil
		}
	}
	return payment.Checkout{}, fmt.Errorf("paypal: order %s has no approve link", o.ID)
}

// Complete captures an approved order (once per key); an order captured
// already is read instead.
func (g *gateway) Complete(ctx context.Context, orderID, key string) (payment.Event, error) {
	res, err := g.c.CaptureOrderWithPaypalRequestId(ctx, orderID, paypal.CaptureOrderRequest{}, key, nil)
	if err != nil {
		var pe *paypal.ErrorResponse
		if !errors.As(err, &pe) || !hasIssue(pe, "ORDER_ALREADY_CAPTURED") {
			return payment.Event{}, fmt.Errorf("paypal: capture order %s: %w", orderID, err)
		}
		o, gerr := g.c.GetOrder(ctx, orderID)
		if gerr != nil {
			return payment.Event{}, fmt.Errorf("paypal: read order %s: %w", orderID, gerr)
		}
		res = &paypal.CaptureOrderResponse{ID: o.ID, Status: o.Status}
		for _, u := range o.PurchaseUnits {
			res.PurchaseUnits = append(res.PurchaseUnits, paypal.CapturedPurchaseUnit{ReferenceID: u.ReferenceID, Payments: u.Payments})
		}
	}
	for _, u := range res.PurchaseUnits {
		if u.Payments == nil {
			continue
		}
		for _, c := range u.Payments.Captures {
			return captureEvent(orderID, c)
		}
	}
	return payment.Event{}, fmt.Errorf("paypal: order %s was not captured (status %s)", orderID, res.Status)
}

func hasIssue(pe *paypal.ErrorResponse, issue string) bool {
	for _, d := range pe.Details {
		if d.Issue == issue {
			return true
		}
	}
	return false
}

// captureEvent turns a capture into an event.
func captureEvent(orderID string, c paypal.CaptureAmount) (payment.Event, error) {
	ev := payment.Event{ID: "capture:" + c.ID + ":" + c.Status, Key: c.CustomID, CheckoutRef: orderID, PaymentRef: c.ID}
	switch c.Status {
	case "COMPLETED":
		ev.Kind = payment.EventSucceeded
	case "PENDING":
		ev.Kind = payment.EventPending
	case "DECLINED", "FAILED":
		ev.Kind, ev.Reason = payment.EventFailed, "PayPal says "+c.Status
	default:
		return ev, fmt.Errorf("paypal: capture %s has status %q", c.ID, c.Status)
	}
	if c.Amount != nil {
		n, err := minor(c.Amount.Value, c.Amount.Currency)
		if err != nil {
			return ev, err
		}
		ev.AmountMinor, ev.Currency = n, c.Amount.Currency
	}
	return ev, nil
}

// Refund gives back amount of a capture, once per key.
func (g *gateway) Refund(ctx context.Context, captureID string, amount int64, cur, key string) (string, error) {
	r, err := g.c.RefundCaptureWithPaypalRequestId(ctx, captureID, paypal.RefundCaptureRequest{Amount: &paypal.Money{Currency: cur, Value: major(amount, cur)}}, key)
	if err != nil {
		return "", fmt.Errorf("paypal: refund capture %s: %w", captureID, err)
	}
	return r.ID, nil
}

// webhookResource is what the capture and refund events carry.
type webhookResource struct {
	ID                string                     `json:"id"`
	Status            string                     `json:"status"`
	CustomID          string                     `json:"custom_id"`
	Amount            *paypal.PurchaseUnitAmount `json:"amount"`
	Links             []paypal.Link              `json:"links"`
	SupplementaryData struct {
		RelatedIDs struct {
			OrderID string `json:"order_id"`
		} `json:"related_ids"`
	} `json:"supplementary_data"`
}

// Receive verifies a delivery with PayPal (verify-webhook-signature) and
// reads the capture and refund events it carries; other event types are
// acknowledged and ignored.
func (g *gateway) Receive(ctx context.Context, h http.Header, body []byte) ([]payment.Event, error) {
	if g.webhookID == "" {
		return nil, errors.New("paypal: no webhook_id configured for this seller")
	}
	if h.Get("PAYPAL-TRANSMISSION-SIG") == "" {
		return nil, errors.New("paypal: unsigned delivery")
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/", bytes.NewReader(body))
	req.Header = h.Clone()
	req.Body = io.NopCloser(bytes.NewReader(body))
	v, err := g.c.VerifyWebhookSignature(ctx, req, g.webhookID)
	if err != nil {
		return nil, fmt.Errorf("paypal: verify webhook: %w", err)
	}
	if v.VerificationStatus != "SUCCESS" {
		return nil, fmt.Errorf("paypal: the signature does not verify (%s)", v.VerificationStatus)
	}
	var ev struct {
		paypal.Event
		Resource webhookResource `json:"resource"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("paypal: %w", err)
	}
	r := ev.Resource
	switch ev.EventType {
	case "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.PENDING", "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED":
		out, err := captureEvent(r.SupplementaryData.RelatedIDs.OrderID, paypal.CaptureAmount{ID: r.ID, Status: captureStatus(ev.EventType), CustomID: r.CustomID, Amount: r.Amount})
		out.ID = ev.ID
		return []payment.Event{out}, err
	case "PAYMENT.CAPTURE.REFUNDED":
		// The resource is the refund; its "up" link names the capture.
		capture := ""
		for _, l := range r.Links {
			if l.Rel == "up" {
				capture = l.Href[strings.LastIndex(l.Href, "/")+1:]
			}
		}
		if capture == "" || r.Amount == nil {
			return nil, errors.New("paypal: a refund event without its capture or amount")
		}
		n, err := minor(r.Amount.Value, r.Amount.Currency)
		return []payment.Event{{ID: ev.ID, Kind: payment.EventRefunded, Key: r.CustomID, PaymentRef: capture, RefundRef: r.ID,
			AmountMinor: n, Currency: r.Amount.Currency}}, err
	}
	return nil, nil
}

func captureStatus(eventType string) string {
	switch eventType {
	case "PAYMENT.CAPTURE.COMPLETED":
		return "COMPLETED"
	case "PAYMENT.CAPTURE.PENDING":
		return "PENDING"
	}
	return "DECLINED"
}

var (
	_ payment.Refunder        = (*gateway)(nil)
	_ payment.WebhookReceiver = (*gateway)(nil)
)
