package billing

import (
	"encoding/json"
	"net/http"
	"strconv"
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

type billingProfileView struct {
	Profile   billing.Profile
	Tenant    identity.Tenant
	Editable  bool
	OwnTenant bool
	Languages []string
	Groupings []string
}

func (s *area) ownBillingProfile(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(web.CallerOf(c).Scope.TenantID, 10)+"/billing")
}

func (s *area) billingProfilePage(c echo.Context, id int64) (*web.Page, error) {
	prof, err := s.profileFor(c, id)
	if err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	t, err := s.Deps.Identity.GetTenant(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "billing.profile")
	p.Data = billingProfileView{Profile: prof, Tenant: t, Editable: caller.Can(identity.PermProfile), OwnTenant: id == caller.Scope.TenantID,
		Languages: core.Languages, Groupings: []string{billing.GroupSubproject, billing.GroupCustomer}}
	p.Form = map[string]string{"legal_name": prof.LegalName, "address1": prof.Address1, "address2": prof.Address2, "postal_code": prof.PostalCode,
		"city": prof.City, "region": prof.Region, "country": prof.Country, "email": prof.Email, "vat_id": prof.VATID, "registration_id": prof.RegistrationID,
		"currency": prof.Currency, "language": prof.Language, "invoice_grouping": prof.InvoiceGrouping, "tax_exempt_reason": prof.TaxExemptReason,
		"timezone": prof.Timezone, "invoice_prefix": prof.InvoicePrefix, "credit_prefix": prof.CreditPrefix}
	if prof.TaxExempt {
		p.Form["tax_exempt"] = "on"
	}
	return p, nil
}

func (s *area) billingProfileSave(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	p, err := s.billingProfilePage(c, id)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermProfile); err != nil {
		return err
	}
	p.Fill(c, "legal_name", "address1", "address2", "postal_code", "city", "region", "country", "email", "vat_id", "registration_id",
		"currency", "language", "invoice_grouping", "tax_exempt", "tax_exempt_reason", "timezone", "invoice_prefix", "credit_prefix")
	in := billing.ProfileInput{LegalName: p.Form["legal_name"], Address1: p.Form["address1"], Address2: p.Form["address2"], PostalCode: p.Form["postal_code"],
		City: p.Form["city"], Region: p.Form["region"], Country: p.Form["country"], Email: p.Form["email"], VATID: p.Form["vat_id"],
		RegistrationID: p.Form["registration_id"], Currency: p.Form["currency"], Language: p.Form["language"], InvoiceGrouping: p.Form["invoice_grouping"],
		TaxExempt: p.Form["tax_exempt"] == "on", TaxExemptReason: p.Form["tax_exempt_reason"], Timezone: p.Form["timezone"],
		InvoicePrefix: p.Form["invoice_prefix"], CreditPrefix: p.Form["credit_prefix"]}
	if _, err := s.Deps.Billing.SaveProfile(c.Request().Context(), web.CallerOf(c).Scope, id, in); err != nil {
		return s.FormError(c, "billing_profile", p, err)
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(id, 10)+"/billing")
}
