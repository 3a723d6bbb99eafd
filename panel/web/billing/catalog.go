package billing

import (
	"cmp"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/usage"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

func (s *area) billingHome(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/billing/invoices")
}

// customers lists the tenants the caller sells to (its direct clients or
// resellers), for the forms that pick a customer.
func (s *area) customers(c echo.Context) ([]identity.Tenant, error) {
	caller := web.CallerOf(c)
	if caller.Scope.Kind == tenancy.KindClient || !caller.Can(identity.PermTenantsRead) {
		return nil, nil
	}
	return s.Deps.Identity.ListTenants(c.Request().Context(), caller, identity.TenantFilter{ParentID: caller.Scope.TenantID}, core.Page{Limit: 200})
}

type catalogView struct {
	Products []billing.Product
	OwnID    int64
	Kinds    []billing.ProductKind
	Cycles   []billing.Cycle
	Rows     int              // price rows; the template ranges over seq Rows
	Product  *billing.Product // the product being edited
	Editable bool

	// Usage prices of the product, edited in rows of their own.
	Meters    []usage.Meter
	Models    []string
	UsageRows int
}

func (s *area) catalogPage(c echo.Context, title string) (*web.Page, *catalogView, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, nil, err
	}
	caller := web.CallerOf(c)
	v := &catalogView{OwnID: caller.Scope.TenantID, Kinds: billing.ProductKinds, Cycles: billing.Cycles, Rows: priceRows,
		Editable: caller.Can(identity.PermCatalog)}
	p := s.NewPage(c, title)
	p.Data = v
	return p, v, nil
}

func (s *area) catalogList(c echo.Context) error {
	p, v, err := s.catalogPage(c, "billing.catalog")
	if err != nil {
		return err
	}
	if v.Products, err = s.Deps.Billing.Products(c.Request().Context(), web.CallerOf(c).Scope); err != nil {
		return err
	}
	p.Form["active"], p.Form["currency_0"], p.Form["cycle_0"] = "on", "EUR", string(billing.CycleMonthly)
	return s.Render(c, http.StatusOK, "billing_catalog", p)
}

// productForm reads the product form: its fields and the price rows that
// hold an amount.
func productForm(c echo.Context, p *web.Page) billing.ProductInput {
	p.Fill(c, "code", "name", "kind", "match_code", "included", "trial_days", "active")
	in := billing.ProductInput{Code: p.Form["code"], Name: p.Form["name"], Kind: billing.ProductKind(p.Form["kind"]), MatchCode: p.Form["match_code"],
		Included: int(web.FormInt(p.Form["included"])), TrialDays: int(web.FormInt(p.Form["trial_days"]))}
	active := p.Form["active"] == "on"
	in.Active = &active
	for i := range priceRows {
		n := strconv.Itoa(i)
		p.Fill(c, "currency_"+n, "cycle_"+n, "amount_"+n, "setup_"+n)
		if p.Form["amount_"+n] == "" && p.Form["setup_"+n] == "" {
			continue
		}
		in.Prices = append(in.Prices, billing.PriceInput{Currency: p.Form["currency_"+n], Cycle: billing.Cycle(p.Form["cycle_"+n]),
			Amount: p.Form["amount_"+n], Setup: cmp.Or(p.Form["setup_"+n], "0")})
	}
	return in
}

// productErrors moves the price problems onto the form rows they came
// from (the service numbers only the rows that were sent).
func productErrors(p *web.Page, err error) error {
	rows := []int{}
	for i := range priceRows {
		n := strconv.Itoa(i)
		if p.Form["amount_"+n] != "" || p.Form["setup_"+n] != "" {
			rows = append(rows, i)
		}
	}
	return web.RowErrors(err, "prices", web.ByRow(rows))
}

func (s *area) productCreate(c echo.Context) error {
	p, v, err := s.catalogPage(c, "billing.catalog")
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermCatalog); err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	in := productForm(c, p)
	created, err := s.Deps.Billing.CreateProduct(ctx, scope, in)
	if err != nil {
		var lerr error
		if v.Products, lerr = s.Deps.Billing.Products(ctx, scope); lerr != nil {
			return lerr
		}
		return s.FormError(c, "billing_catalog", p, productErrors(p, err))
	}
	web.Flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/billing/catalog/"+strconv.FormatInt(created.ID, 10))
}

func (s *area) productPage(c echo.Context) (*web.Page, error) {
	id, err := web.IDParam(c)
	if err != nil {
		return nil, err
	}
	p, v, err := s.catalogPage(c, "billing.product")
	if err != nil {
		return nil, err
	}
	pr, err := s.Deps.Billing.Product(c.Request().Context(), web.CallerOf(c).Scope, id)
	if err != nil {
		return nil, err
	}
	v.Product = &pr
	v.Editable = v.Editable && pr.SellerID == web.CallerOf(c).Scope.TenantID
	p.Form = map[string]string{"code": pr.Code, "name": pr.Name, "kind": string(pr.Kind), "match_code": pr.MatchCode,
		"included": strconv.Itoa(pr.Included), "trial_days": strconv.Itoa(pr.TrialDays)}
	if pr.Active {
		p.Form["active"] = "on"
	}
	if err := s.usageForm(c, p, v, pr.ID); err != nil {
		return nil, err
	}
	for i, price := range pr.Prices {
		if i >= priceRows {
			break
		}
		n := strconv.Itoa(i)
		p.Form["currency_"+n], p.Form["cycle_"+n] = price.Currency, string(price.Cycle)
		p.Form["amount_"+n], p.Form["setup_"+n] = majorString(price.AmountMinor, price.Currency), majorString(price.SetupMinor, price.Currency)
	}
	return p, nil
}

func (s *area) productUpdate(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if _, err := s.ownProduct(c, id); err != nil {
		return err
	}
	p, err := s.productPage(c)
	if err != nil {
		return err
	}
	p.Form = map[string]string{}
	in := productForm(c, p)
	if _, err := s.Deps.Billing.UpdateProduct(c.Request().Context(), web.CallerOf(c).Scope, id, in); err != nil {
		return s.FormError(c, "billing_catalog", p, productErrors(p, err))
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/catalog/"+strconv.FormatInt(id, 10))
}

type couponsView struct {
	Coupons  []billing.Coupon
	Products []billing.Product
}

func (s *area) couponsPage(c echo.Context) (*web.Page, error) {
	if err := web.Need(c, identity.PermCatalog); err != nil {
		return nil, err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	var v couponsView
	var err error
	if v.Coupons, err = s.Deps.Billing.Coupons(ctx, scope); err != nil {
		return nil, err
	}
	all, err := s.Deps.Billing.Products(ctx, scope)
	if err != nil {
		return nil, err
	}
	for _, pr := range all {
		if pr.SellerID == scope.TenantID {
			v.Products = append(v.Products, pr)
		}
	}
	p := s.NewPage(c, "billing.coupons")
	p.Data = v
	p.Form["kind"], p.Form["currency"] = billing.CouponPercent, "EUR"
	return p, nil
}

func (s *area) saveCoupon(c echo.Context, p *web.Page) error {
	p.Fill(c, "code", "name", "kind", "percent", "amount", "currency", "cycles", "valid_from", "valid_to")
	in := billing.CouponInput{Code: p.Form["code"], Name: p.Form["name"], Kind: p.Form["kind"], Percent: p.Form["percent"], Currency: p.Form["currency"],
		Cycles: int(web.FormInt(p.Form["cycles"])), Automatic: c.FormValue("automatic") == "on", ValidFrom: p.Form["valid_from"], ValidTo: p.Form["valid_to"]}
	if in.Kind == billing.CouponFixed {
		amount, problem := billing.ParseAmount(p.Form["amount"], p.Form["currency"])
		if problem != "" {
			return core.Invalid("amount_minor", "%s", problem)
		}
		in.AmountMinor = amount
	}
	for _, id := range c.Request().PostForm["product_ids"] {
		in.ProductIDs = append(in.ProductIDs, web.FormInt(id))
	}
	_, err := s.Deps.Billing.CreateCoupon(c.Request().Context(), web.CallerOf(c).Scope, in)
	return err
}
