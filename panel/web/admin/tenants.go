package admin

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/dunning"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/automation"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/provisioning"
)

type dashboardView struct {
	Tenant                    identity.Tenant
	Resellers, Clients, Users int64
	Receivables               []billing.Balance // what the caller's clients owe it, per currency
	Awaiting                  int64             // its documents awaiting approval
	Payables                  []billing.Balance // what the caller owes its seller, per currency
	Services                  int64             // its hosting accounts
	LastRun                   *automation.Record
	Collections               *dunning.ClientStatus // what the caller has overdue, and when its services are suspended
}

func (s *area) dashboard(c echo.Context) error {
	ctx, caller, a := c.Request().Context(), web.CallerOf(c), web.AuthOf(c)
	v := dashboardView{Tenant: a.Tenant}
	var err error
	if caller.Can(identity.PermTenantsRead) {
		if v.Resellers, err = s.Deps.Identity.CountTenants(ctx, caller, identity.TenantFilter{Kind: tenancy.KindReseller}); err != nil {
			return err
		}
		if v.Clients, err = s.Deps.Identity.CountTenants(ctx, caller, identity.TenantFilter{Kind: tenancy.KindClient}); err != nil {
			return err
		}
	}
	if caller.Can(identity.PermUsersRead) {
		if v.Users, err = s.Deps.Identity.CountUsers(ctx, caller, identity.UserFilter{}); err != nil {
			return err
		}
	}
	if err := s.money(c, caller, &v); err != nil {
		return err
	}
	p := s.NewPage(c, "nav.dashboard")
	p.Data = v
	return s.Render(c, http.StatusOK, "dashboard", p)
}

// money adds what the caller is owed and owes, its services and, for
// sellers, the last daily run to the dashboard.
func (s *area) money(c echo.Context, caller identity.Caller, v *dashboardView) error {
	ctx := c.Request().Context()
	var err error
	if caller.Can(identity.PermBillingRead) {
		if v.Receivables, v.Awaiting, err = s.Deps.Billing.Receivables(ctx, caller.Scope); err != nil {
			return err
		}
		if v.Payables, err = s.Deps.Billing.Payables(ctx, caller.Scope); err != nil {
			return err
		}
		if s.Deps.Dunning != nil && caller.Scope.Kind != tenancy.KindOperator {
			st, err := s.Deps.Dunning.Client(ctx, caller.Scope, core.DateOf(s.Deps.Clock.Now().UTC()))
			if err != nil {
				return err
			}
			if len(st.Overdue) > 0 || st.Suspended > 0 || st.SuspendOn != "" {
				v.Collections = &st
			}
		}
		if caller.Scope.Kind != tenancy.KindClient && s.Deps.Runner != nil {
			if rec, ok, err := s.Deps.Runner.LastRun(ctx); err != nil {
				return err
			} else if ok {
				v.LastRun = &rec
			}
		}
	}
	if caller.Can(identity.PermHostingRead) {
		accts, err := s.Deps.Hosting.Accounts(ctx, caller.Scope, provisioning.AccountFilter{TenantID: caller.Scope.TenantID}, core.Page{Limit: 200})
		if err != nil {
			return err
		}
		v.Services = int64(len(accts))
	}
	return nil
}

func (s *area) tenantList(c echo.Context) error {
	kind := tenancy.KindClient
	if c.QueryParam("kind") == string(tenancy.KindReseller) {
		kind = tenancy.KindReseller
	}
	p := s.NewPage(c, "nav."+string(kind)+"s")
	p.Form["kind"], p.Form["q"] = string(kind), c.QueryParam("q")
	pg := web.PageOf(c)
	items, err := s.Deps.Identity.ListTenants(c.Request().Context(), web.CallerOf(c), identity.TenantFilter{Kind: kind, Query: p.Form["q"]}, pg)
	if err != nil {
		return err
	}
	v := tenantListView{ListView: web.ListOf(c, items, pg.Limit, func(r identity.Tenant) int64 { return r.ID })}
	if kind == tenancy.KindClient && web.CallerOf(c).Scope.Kind == tenancy.KindOperator {
		var parents []int64
		for _, t := range items {
			if t.ParentID != nil {
				parents = append(parents, *t.ParentID)
			}
		}
		v.Sellers = s.TenantNames(c, parents)
	}
	p.Data = v
	return s.Render(c, http.StatusOK, "tenants", p)
}

// tenantListView is a page of tenants; the operator's client list names
// each client's seller (itself or a reseller).
type tenantListView struct {
	web.ListView[identity.Tenant]
	Sellers map[int64]string
}

// SellerOf is the id and name of t's seller (0 and "" for the operator).
func (v tenantListView) SellerOf(t identity.Tenant) (seller struct {
	ID   int64
	Name string
}) {
	if t.ParentID != nil {
		seller.ID, seller.Name = *t.ParentID, v.Sellers[*t.ParentID]
	}
	return seller
}

type tenantNewView struct{ Parents []identity.Tenant }

// sellers lists who may sell to a new tenant of kind: the operator for a
// reseller; the operator and its resellers for a client created by the
// operator; the caller's own tenant otherwise.
func (s *area) sellers(c echo.Context, kind tenancy.Kind) ([]identity.Tenant, error) {
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	own, err := s.Deps.Identity.GetTenant(ctx, caller, caller.Scope.TenantID)
	if err != nil {
		return nil, err
	}
	out := []identity.Tenant{own}
	if kind == tenancy.KindClient && caller.Scope.Kind == tenancy.KindOperator {
		rs, err := s.Deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{Kind: tenancy.KindReseller}, core.Page{Limit: 200})
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func (s *area) tenantNewPage(c echo.Context, kind tenancy.Kind) (*web.Page, error) {
	if !web.CallerOf(c).Can(identity.PermTenantsWrite) {
		return nil, core.E(core.ErrForbidden, "your role may not create tenants")
	}
	parents, err := s.sellers(c, kind)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "tenants.new_"+string(kind))
	p.Form["kind"], p.Form["language"] = string(kind), p.Lang
	p.Data = tenantNewView{Parents: parents}
	return p, nil
}

func kindParam(v string) tenancy.Kind {
	if v == string(tenancy.KindReseller) {
		return tenancy.KindReseller
	}
	return tenancy.KindClient
}

func (s *area) tenantNew(c echo.Context) error {
	p, err := s.tenantNewPage(c, kindParam(c.QueryParam("kind")))
	if err != nil {
		return err
	}
	p.Form["parent_id"] = c.QueryParam("parent_id")
	return s.Render(c, http.StatusOK, "tenant_new", p)
}

// tenantFormPage is the new-tenant page for the form's kind.
func (s *area) tenantFormPage(c echo.Context) (*web.Page, error) {
	return s.tenantNewPage(c, kindParam(c.FormValue("kind")))
}

func (s *area) saveNewTenant(c echo.Context, p *web.Page) (int64, error) {
	p.Fill(c, "parent_id", "name", "email", "country", "language", "owner_email", "owner_name")
	in := identity.CreateTenantInput{Kind: kindParam(c.FormValue("kind")), Name: c.FormValue("name"), Email: c.FormValue("email"),
		Country: c.FormValue("country"), Language: c.FormValue("language")}
	if v := c.FormValue("parent_id"); v != "" {
		var err error
		if in.ParentID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return 0, core.Invalid("parent_id", "no such seller in your scope")
		}
	}
	if c.FormValue("owner_email") != "" || c.FormValue("owner_password") != "" {
		in.Owner = &identity.OwnerInput{Email: c.FormValue("owner_email"), Name: c.FormValue("owner_name"), Password: c.FormValue("owner_password")}
	}
	t, err := s.Deps.Identity.CreateTenant(c.Request().Context(), web.CallerOf(c), in)
	return t.ID, err
}

type tenantView struct {
	Tenant    identity.Tenant
	Editable  bool
	Users     []identity.User
	Clients   []identity.Tenant
	Statuses  []string
	Customer  bool // the caller sells to it: its services and billing follow
	Services  []provisioning.Account
	Contracts []billing.Contract
	Invoices  []billing.Invoice
	Balance   []billing.Balance
	Credit    []payment.Balance // its credit: paid and not allocated
}

func (s *area) tenantPage(c echo.Context, id int64) (*web.Page, error) {
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	t, err := s.Deps.Identity.GetTenant(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	v := tenantView{Tenant: t, Statuses: []string{identity.StatusActive, identity.StatusSuspended, identity.StatusClosed},
		Editable: caller.Can(identity.PermTenantsWrite) && (t.ID != caller.Scope.TenantID || t.Kind == tenancy.KindOperator)}
	if caller.Can(identity.PermUsersRead) {
		if v.Users, err = s.Deps.Identity.ListUsers(ctx, caller, identity.UserFilter{TenantID: t.ID}, core.Page{Limit: 200}); err != nil {
			return nil, err
		}
	}
	if t.Kind == tenancy.KindReseller {
		if v.Clients, err = s.Deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{ParentID: t.ID}, core.Page{Limit: 200}); err != nil {
			return nil, err
		}
	}
	if err := s.customerOf(c, caller, t, &v); err != nil {
		return nil, err
	}
	p := s.NewPage(c, "tenants.title")
	p.Form = map[string]string{"name": t.Name, "email": t.Email, "country": t.Country, "language": t.Language, "status": t.Status}
	p.Data = v
	return p, nil
}

func (s *area) saveTenant(c echo.Context, id int64) error {
	in := identity.UpdateTenantInput{Name: web.FormPtr(c, "name"), Email: web.FormPtr(c, "email"), Country: web.FormPtr(c, "country"),
		Language: web.FormPtr(c, "language"), Status: web.FormPtr(c, "status")}
	_, err := s.Deps.Identity.UpdateTenant(c.Request().Context(), web.CallerOf(c), id, in)
	return err
}

// customerOf adds, for a tenant the caller sells to, its services, its
// contracts, its latest invoices and what it owes.
func (s *area) customerOf(c echo.Context, caller identity.Caller, t identity.Tenant, v *tenantView) error {
	if t.ID == caller.Scope.TenantID || t.Kind == tenancy.KindOperator {
		return nil
	}
	v.Customer = true
	ctx, scope := c.Request().Context(), caller.Scope
	var err error
	if caller.Can(identity.PermHostingRead) {
		if v.Services, err = s.Deps.Hosting.Accounts(ctx, scope, provisioning.AccountFilter{TenantID: t.ID}, core.Page{Limit: 50}); err != nil {
			return err
		}
	}
	if !caller.Can(identity.PermBillingRead) {
		return nil
	}
	if v.Contracts, err = s.Deps.Billing.Contracts(ctx, scope, billing.ContractFilter{CustomerID: t.ID, Status: billing.ContractActive}, core.Page{Limit: 50}); err != nil {
		return err
	}
	if v.Invoices, err = s.Deps.Billing.Invoices(ctx, scope, billing.InvoiceFilter{CustomerID: t.ID}, core.Page{Limit: 10}); err != nil {
		return err
	}
	if v.Balance, err = s.Deps.Billing.CustomerBalances(ctx, scope, t.ID); err != nil {
		return err
	}
	v.Credit, err = s.Deps.Payments.Credits(ctx, scope, t.ID)
	return err
}
