package web

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/identity"
)

// The billing handlers shared by the pages and the API. Every one checks
// the caller's permission here; billing keeps each query inside the
// caller's scope and lets only the seller change what it sells.

// invoiceFilter reads the invoice list's filters from the query string.
func invoiceFilter(c echo.Context) (billing.InvoiceFilter, error) {
	f := billing.InvoiceFilter{Kind: c.QueryParam("kind"), Status: c.QueryParam("status"), Number: strings.TrimSpace(c.QueryParam("number")),
		From: c.QueryParam("from"), To: c.QueryParam("to")}
	var v core.ValidationError
	f.CustomerID, f.SellerID, f.CreditsID = queryID(c, &v, "customer_id"), queryID(c, &v, "seller_id"), queryID(c, &v, "credits_id")
	if err := v.Err(); err != nil {
		return f, err
	}
	return f, f.Validate()
}

// contractFilter reads the contract list's filters from the query string.
func contractFilter(c echo.Context) (billing.ContractFilter, error) {
	f := billing.ContractFilter{Status: c.QueryParam("status"), Subproject: strings.TrimSpace(c.QueryParam("subproject"))}
	var v core.ValidationError
	if f.Status != "" && f.Status != billing.ContractActive && f.Status != billing.ContractTerminated {
		v.Add("status", "must be active or terminated")
	}
	f.CustomerID = queryID(c, &v, "customer_id")
	return f, v.Err()
}

// queryID reads an optional id from the query string; anything but a
// positive whole number is a problem with that parameter.
func queryID(c echo.Context, v *core.ValidationError, name string) int64 {
	s := strings.TrimSpace(c.QueryParam(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		v.Add(name, "must be an id")
	}
	return n
}

// invoiceAction runs finalize, approve or delete on a document the
// caller issues.
func (s *Server) invoiceAction(c echo.Context, id int64, action string) (billing.Invoice, error) {
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	b := s.deps.Billing
	switch action {
	case "finalize":
		if err := need(c, identity.PermInvoices); err != nil {
			return billing.Invoice{}, err
		}
		return b.Finalize(ctx, scope, id)
	case "approve":
		if err := need(c, identity.PermApprove); err != nil {
			return billing.Invoice{}, err
		}
		return b.Approve(ctx, scope, id)
	case "delete":
		if err := need(c, identity.PermInvoices); err != nil {
			return billing.Invoice{}, err
		}
		return billing.Invoice{}, b.DeleteDraft(ctx, scope, id)
	}
	return billing.Invoice{}, core.E(core.ErrNotFound, "no action %q; use finalize, approve, delete, line or credit", action)
}

// contractAction terminates a contract or applies a coupon code to it.
func (s *Server) contractAction(c echo.Context, id int64, action, code string) (billing.Contract, error) {
	if err := need(c, identity.PermContracts); err != nil {
		return billing.Contract{}, err
	}
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	switch action {
	case "terminate":
		return s.deps.Billing.TerminateContract(ctx, scope, id)
	case "coupon":
		return s.deps.Billing.ApplyCoupon(ctx, scope, id, code)
	}
	return billing.Contract{}, core.E(core.ErrNotFound, "no action %q; use terminate or coupon", action)
}

// profileFor loads a tenant's billing profile after checking the caller
// may read it; the scope check comes first, so a foreign id is a 404
// whatever the request holds.
func (s *Server) profileFor(c echo.Context, tenantID int64) (billing.Profile, error) {
	if err := need(c, identity.PermBillingRead); err != nil {
		return billing.Profile{}, err
	}
	return s.deps.Billing.Profile(c.Request().Context(), callerOf(c).Scope, tenantID)
}

// invoiceJSON is a document with its seller, buyer and tax summary as
// they were frozen on it.
type invoiceJSON struct {
	billing.Invoice
	Seller json.RawMessage `json:"seller"`
	Buyer  json.RawMessage `json:"buyer"`
	Taxes  json.RawMessage `json:"taxes"`
}

func invoiceOut(inv billing.Invoice) invoiceJSON {
	raw := func(s string) json.RawMessage {
		if s == "" {
			return json.RawMessage("null")
		}
		return json.RawMessage(s)
	}
	return invoiceJSON{Invoice: inv, Seller: raw(inv.Seller), Buyer: raw(inv.Buyer), Taxes: raw(inv.Taxes)}
}

// Money formats an amount in the page's language.
func (p *page) Money(minor int64, cur string) string {
	return document.LocaleFor(p.Lang).Money(minor, cur)
}

// majorString writes minor units as a plain decimal ("1234.50") for a
// form field.
func majorString(minor int64, cur string) string {
	return money.Money{Amount: minor, Currency: money.Currency(cur)}.Decimal().StringFixed(money.Currency(cur).Exponent())
}
