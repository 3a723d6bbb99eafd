package billing

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// taxView is a seller's tax page.
type taxView struct {
	Tax      billing.SellerTax
	Tenant   identity.Tenant
	Editable bool
	Schemes  []string
	Modes    []string
	Used     int // percent of the threshold this year's tally uses
	PrevYear int
	// CanCorrect: the caller issues this seller's invoices and may
	// correct them.
	CanCorrect bool
}

// ownTax sends a seller to its own tax page.
func (s *area) ownTax(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(web.CallerOf(c).Scope.TenantID, 10)+"/tax")
}

func (s *area) taxPage(c echo.Context, id int64) (*web.Page, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	tax, err := s.sellerTax(c.Request().Context(), web.CallerOf(c), id)
	if err != nil {
		return nil, err
	}
	t, err := s.Deps.Identity.GetTenant(c.Request().Context(), web.CallerOf(c), id)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "billing.tax")
	caller := web.CallerOf(c)
	v := taxView{Tax: tax, Tenant: t, Editable: caller.Can(identity.PermProfile), Schemes: billing.Schemes, Modes: billing.OSSModes,
		PrevYear: tax.Tally.Year - 1, CanCorrect: id == caller.Scope.TenantID && caller.Can(identity.PermInvoices)}
	if th := tax.Tally.ThresholdMinor(); th > 0 {
		v.Used = int(min(100, max(0, tax.Tally.ThisYear*100/th)))
	}
	p.Data = v
	p.Form["tax_scheme"], p.Form["oss_mode"] = tax.Scheme, tax.OSSMode
	return p, nil
}

func (s *area) taxSave(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	p, err := s.taxPage(c, id)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermProfile); err != nil {
		return err
	}
	p.Fill(c, "tax_scheme", "oss_mode")
	in := billing.SellerTaxInput{Scheme: p.Form["tax_scheme"], OSSMode: p.Form["oss_mode"]}
	if _, err := s.Deps.Billing.SaveSellerTax(c.Request().Context(), web.CallerOf(c).Scope, id, in); err != nil {
		return s.FormError(c, "billing_tax", p, err)
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(id, 10)+"/tax")
}

// sellerTax is a seller's tax page data as of its own today.
func (s *area) sellerTax(ctx context.Context, c identity.Caller, id int64) (billing.SellerTax, error) {
	day, err := s.Deps.Billing.SellerDay(ctx, id)
	if err != nil {
		return billing.SellerTax{}, err
	}
	return s.Deps.Billing.SellerTax(ctx, c.Scope, id, day)
}

func (s *area) saveSellerTax(ctx context.Context, c identity.Caller, id int64, in billing.SellerTaxInput) (billing.SellerTax, error) {
	return s.Deps.Billing.SaveSellerTax(ctx, c.Scope, id, in)
}

// rateCorrection is the answer to a rate correction: the credit note and
// the new draft.
type rateCorrection struct {
	CreditNote  invoiceJSON `json:"credit_note"`
	Replacement invoiceJSON `json:"replacement"`
}

// apiCorrectRate answers POST /invoices/:id/correct-rate (no body).
func (s *area) apiCorrectRate(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermInvoices); err != nil {
		return err
	}
	cn, repl, err := s.Deps.Billing.CorrectRate(c.Request().Context(), web.CallerOf(c).Scope, inv.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, rateCorrection{CreditNote: invoiceOut(cn), Replacement: invoiceOut(repl)})
}
