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

type contractRow struct {
	billing.Contract
	Customer string
}

type contractsView struct {
	web.ListView[contractRow]
	Customers []identity.Tenant
	Products  []billing.Product
	Cycles    []billing.Cycle
	Statuses  []string
	Seller    bool
}

func (s *area) contractsPage(c echo.Context) (*web.Page, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	p := s.NewPage(c, "billing.contracts")
	p.Fill(c, "status", "customer_id", "subproject")
	v := contractsView{Cycles: billing.Cycles, Statuses: []string{billing.ContractActive, billing.ContractTerminated}, Seller: caller.Can(identity.PermContracts)}
	f, err := contractFilter(c)
	if err != nil {
		return nil, err
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	items, err := s.Deps.Billing.Contracts(ctx, caller.Scope, f, core.Page{Before: before, Limit: web.PageSize})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(items))
	for i, ct := range items {
		ids[i] = ct.CustomerID
	}
	names := s.TenantNames(c, ids)
	for _, ct := range items {
		v.Items = append(v.Items, contractRow{ct, names[ct.CustomerID]})
	}
	v.Next = web.NextLink(c, items, web.PageSize, func(r billing.Contract) int64 { return r.ID })
	if v.Seller {
		if v.Customers, err = s.customers(c); err != nil {
			return nil, err
		}
		all, err := s.Deps.Billing.Products(ctx, caller.Scope)
		if err != nil {
			return nil, err
		}
		for _, pr := range all {
			if pr.SellerID == caller.Scope.TenantID && pr.Active {
				v.Products = append(v.Products, pr)
			}
		}
	}
	p.Data = v
	p.Form["currency"], p.Form["cycle"] = "EUR", string(billing.CycleMonthly)
	return p, nil
}

func (s *area) saveContract(c echo.Context, p *web.Page) (int64, error) {
	if err := web.Need(c, identity.PermContracts); err != nil {
		return 0, err
	}
	p.Fill(c, "customer_id", "product_id", "cycle", "currency", "name", "start")
	in := billing.ContractInput{CustomerID: web.FormInt(p.Form["customer_id"]), ProductID: web.FormInt(p.Form["product_id"]), Cycle: billing.Cycle(p.Form["cycle"]),
		Currency: p.Form["currency"], Name: p.Form["name"], Start: p.Form["start"]}
	ct, err := s.Deps.Billing.CreateContract(c.Request().Context(), web.CallerOf(c).Scope, in)
	return ct.ID, err
}

type contractView struct {
	Contract billing.Contract
	Customer string
	Product  billing.Product
	Invoices []billing.Invoice
	Seller   bool
}

func (s *area) contractPage(c echo.Context, id int64) (*web.Page, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	ct, err := s.Deps.Billing.Contract(ctx, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	v := contractView{Contract: ct, Customer: s.TenantNames(c, []int64{ct.CustomerID})[ct.CustomerID],
		Seller: ct.SellerID == caller.Scope.TenantID && caller.Can(identity.PermContracts)}
	if v.Product, err = s.Deps.Billing.Product(ctx, caller.Scope, ct.ProductID); err != nil {
		// The operator oversees a reseller's contracts but not its catalog.
		v.Product = billing.Product{ID: ct.ProductID, Name: "#" + strconv.FormatInt(ct.ProductID, 10)}
	}
	if v.Invoices, err = s.Deps.Billing.Invoices(ctx, caller.Scope, billing.InvoiceFilter{CustomerID: ct.CustomerID, Subproject: ct.Subproject}, core.Page{Limit: 20}); err != nil {
		return nil, err
	}
	p := s.NewPage(c, "billing.contract")
	p.Data = v
	return p, nil
}

func (s *area) contractPost(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	err = nil
	if c.Param("action") == "terminate" {
		err = web.Confirmed(c)
	}
	if err == nil {
		_, err = s.contractAction(c, id, c.Param("action"), c.FormValue("code"))
	}
	if err != nil {
		p, perr := s.contractPage(c, id)
		if perr != nil {
			return perr
		}
		p.Fill(c, "code")
		return s.FormError(c, "billing_contract", p, err)
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/contracts/"+strconv.FormatInt(id, 10))
}
