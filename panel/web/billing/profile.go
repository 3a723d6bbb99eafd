package billing

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"
)

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
