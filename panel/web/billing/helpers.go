package billing

import (
	"encoding/json"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// invoiceFilter reads the invoice list's filters from the query string.
func invoiceFilter(c echo.Context) (billing.InvoiceFilter, error) {
	f := billing.InvoiceFilter{Kind: c.QueryParam("kind"), Status: c.QueryParam("status"), Number: strings.TrimSpace(c.QueryParam("number")),
		From: c.QueryParam("from"), To: c.QueryParam("to")}
	var v core.ValidationError
	f.CustomerID, f.SellerID, f.CreditsID = web.QueryID(c, &v, "customer_id"), web.QueryID(c, &v, "seller_id"), web.QueryID(c, &v, "credits_id")
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
	f.CustomerID = web.QueryID(c, &v, "customer_id")
	return f, v.Err()
}

// invoiceAction runs finalize, approve or delete on a document the
// caller issues.
func (s *area) invoiceAction(c echo.Context, id int64, action string) (billing.Invoice, error) {
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	b := s.Deps.Billing
	switch action {
	case "finalize":
		if err := web.Need(c, identity.PermInvoices); err != nil {
			return billing.Invoice{}, err
		}
		return b.Finalize(ctx, scope, id)
	case "approve":
		if err := web.Need(c, identity.PermApprove); err != nil {
			return billing.Invoice{}, err
		}
		return b.Approve(ctx, scope, id)
	case "delete":
		if err := web.Need(c, identity.PermInvoices); err != nil {
			return billing.Invoice{}, err
		}
		return billing.Invoice{}, b.DeleteDraft(ctx, scope, id)
	}
	return billing.Invoice{}, core.E(core.ErrNotFound, "no action %q; use finalize, approve, delete, line or credit", action)
}

// contractAction terminates a contract or applies a coupon code to it.
func (s *area) contractAction(c echo.Context, id int64, action, code string) (billing.Contract, error) {
	if err := web.Need(c, identity.PermContracts); err != nil {
		return billing.Contract{}, err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	switch action {
	case "terminate":
		return s.Deps.Billing.TerminateContract(ctx, scope, id)
	case "coupon":
		return s.Deps.Billing.ApplyCoupon(ctx, scope, id, code)
	}
	return billing.Contract{}, core.E(core.ErrNotFound, "no action %q; use terminate or coupon", action)
}

// profileFor loads a tenant's billing profile after checking the caller
// may read it; the scope check comes first, so a foreign id is a 404
// whatever the request holds.
func (s *area) profileFor(c echo.Context, tenantID int64) (billing.Profile, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return billing.Profile{}, err
	}
	return s.Deps.Billing.Profile(c.Request().Context(), web.CallerOf(c).Scope, tenantID)
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

// majorString writes minor units as a plain decimal ("1234.50") for a
// form field.
func majorString(minor int64, cur string) string {
	return money.Money{Amount: minor, Currency: money.Currency(cur)}.Decimal().StringFixed(money.Currency(cur).Exponent())
}
