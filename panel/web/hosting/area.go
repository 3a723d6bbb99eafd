// Package hosting is the panel's hosting area: accounts with their
// domains and subdomains, packages, servers and reseller accounts, as
// pages and as /api/v1 handlers. Every handler checks the caller's
// permission on the server, then hands the caller's scope to
// provisioning, which keeps every query inside it.
package hosting

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/provisioning"
)

// Area registers the hosting area.
type Area struct{}

type area struct{ *web.Server }

// Routes implements web.Area.
func (Area) Routes(r *web.Router) {
	s := &area{r.Server}
	in := r.Pages
	in.GET("/hosting", s.hostingList)
	in.GET("/hosting/new", s.Show("hosting_new", s.hostingNewPage))
	in.POST("/hosting/new", s.SubmitNew("hosting_new", "/hosting/", s.hostingNewPage, s.saveAccount))
	in.GET("/hosting/:id", s.ShowPage("account", s.accountPage))
	in.POST("/hosting/:id/:action", s.accountPost)
	in.GET("/packages", s.Show("packages", s.packagesPage))
	in.POST("/packages", s.Submit("packages", "/packages", "created", s.packagesPage, s.savePackage))
	in.GET("/servers", s.Show("servers", s.serversPage))
	in.POST("/servers", s.Submit("servers", "/servers", "created", s.serversPage, s.saveServer))
	in.POST("/servers/:id/test", s.serverTest)
	srv := s.ByID("server", "/servers/", s.serverPage, []string{"name", "capacity", "settings", "enabled"}, s.saveServerEdit)
	in.GET("/servers/:id", srv)
	in.POST("/servers/:id", srv)
	in.POST("/servers/:id/delete", s.serverDelete)
	in.GET("/reseller-accounts", s.Show("reseller_accounts", s.resellerAccountsPage))
	in.POST("/reseller-accounts", s.resellerAccountPost)
	in.POST("/reseller-accounts/:id", s.resellerAccountPost)

	h := s.Deps.Hosting
	read, write := web.Perm(identity.PermHostingRead), web.Perm(identity.PermHostingWrite)
	api := r.API
	api.GET("/accounts", web.Paged(read, accountFilter, s.accounts, func(a provisioning.Account) int64 { return a.ID }))
	api.POST("/accounts", web.JSON(write, false, true, http.StatusAccepted, web.IgnoreID(s.createAccount)))
	api.GET("/accounts/:id", web.Get(read, s.account))
	api.POST("/accounts/:id/domains", web.JSON(write, true, true, http.StatusAccepted, s.addDomain))
	api.POST("/accounts/:id/:action", s.apiAccountAction)
	api.GET("/domains/:id", web.Get(read, web.Scoped(h.GetDomain)))
	api.DELETE("/domains/:id", web.JSON(nil, true, false, http.StatusAccepted, s.removeDomain))
	api.POST("/domains/:id/subdomains", web.JSON(nil, true, true, http.StatusAccepted, s.addSubdomain))
	api.GET("/packages", web.All(read, s.packages))
	api.POST("/packages", web.Create(write, web.Scoped(h.CreatePackage)))
	api.GET("/servers", web.All(web.OperatorPerm(identity.PermHostingRead), s.servers))
	api.POST("/servers", web.Create(web.OperatorPerm(identity.PermServers), s.createServer))
	api.PATCH("/servers/:id", web.Change(web.OperatorPerm(identity.PermServers), http.StatusOK, s.updateServer))
	api.POST("/servers/:id/test", web.Get(web.OperatorPerm(identity.PermServers), s.testServer))
	api.DELETE("/servers/:id", web.Get(web.OperatorPerm(identity.PermServers), s.deleteServer))
	api.GET("/reseller-accounts", web.All(read, s.resellers))
	api.POST("/reseller-accounts", web.Create(web.OperatorPerm(identity.PermResellerLimit), web.Scoped(h.CreateReseller)))
	api.PATCH("/reseller-accounts/:id", web.Change(web.OperatorPerm(identity.PermResellerLimit), http.StatusOK, web.ScopedID(h.UpdateReseller)))
	api.POST("/reseller-accounts/:id/:action", s.apiResellerAccountAction)

	op := []tenancy.Kind{tenancy.KindOperator}
	is := func(p string) func(string, string) bool { return func(path, _ string) bool { return path == p } }
	r.Nav(
		web.NavEntry{Order: 30, Href: "/hosting", Label: "nav.hosting", Group: "nav.group.hosting", Perm: identity.PermHostingRead,
			Active: func(path, _ string) bool { return strings.HasPrefix(path, "/hosting") }},
		web.NavEntry{Order: 40, Href: "/packages", Label: "nav.packages", Group: "nav.group.hosting", Perm: identity.PermHostingRead,
			Kinds: []tenancy.Kind{tenancy.KindOperator, tenancy.KindReseller}, Active: is("/packages")},
		web.NavEntry{Order: 50, Href: "/reseller-accounts", Label: "nav.reseller_accounts", Group: "nav.group.hosting", Perm: identity.PermHostingRead, Kinds: op, Active: is("/reseller-accounts")},
		web.NavEntry{Order: 60, Href: "/servers", Label: "nav.servers", Group: "nav.group.hosting", Perm: identity.PermHostingRead, Kinds: op, Active: is("/servers")},
	)
}

// accountJSON is an account with its domains and subdomains.
type accountJSON struct {
	provisioning.Account
	Domains []provisioning.Domain `json:"domains"`
}

// accountActionInput is the body of POST /accounts/:id/:action.
type accountActionInput struct {
	Reason    string `json:"reason"`
	PackageID int64  `json:"package_id"`
	Password  string `json:"password"`
}

func (s *area) apiAccountAction(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in accountActionInput
	if c.Request().ContentLength != 0 {
		if err := web.Bind(c, &in); err != nil {
			return err
		}
	}
	pkg := ""
	if in.PackageID != 0 {
		pkg = strconv.FormatInt(in.PackageID, 10)
	}
	if _, err := s.accountAction(c, id, c.Param("action"), in.Reason, pkg, in.Password); err != nil {
		return err
	}
	a, err := s.account(c.Request().Context(), web.CallerOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, a)
}

func (s *area) apiResellerAccountAction(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if c.Request().ContentLength != 0 {
		if err := web.Bind(c, &in); err != nil {
			return err
		}
	}
	r, err := s.resellerAction(c, id, c.Param("action"), in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// The module calls the API answers with.

func accountFilter(c echo.Context) (provisioning.AccountFilter, error) {
	return provisioning.AccountFilter{Query: c.QueryParam("q"), State: provisioning.State(c.QueryParam("state")),
		TenantID: web.FormInt(c.QueryParam("tenant_id"))}, nil
}

func (s *area) accounts(ctx context.Context, c identity.Caller, f provisioning.AccountFilter, p core.Page) ([]provisioning.Account, error) {
	return s.Deps.Hosting.Accounts(ctx, c.Scope, f, p)
}

func (s *area) servers(ctx context.Context, _ identity.Caller) ([]provisioning.Server, error) {
	return s.Deps.Hosting.Servers(ctx)
}

func (s *area) createServer(ctx context.Context, _ identity.Caller, in provisioning.ServerInput) (provisioning.Server, error) {
	if len(in.Settings) > 0 && !json.Valid(in.Settings) {
		return provisioning.Server{}, web.InvalidJSON("settings")
	}
	return s.Deps.Hosting.CreateServer(ctx, in)
}

func (s *area) updateServer(ctx context.Context, _ identity.Caller, id int64, in provisioning.UpdateServerInput) (provisioning.Server, error) {
	return s.Deps.Hosting.UpdateServer(ctx, id, in)
}

func (s *area) testServer(ctx context.Context, _ identity.Caller, id int64) (provisioning.Server, error) {
	return s.Deps.Hosting.TestServer(ctx, id)
}

func (s *area) packages(ctx context.Context, c identity.Caller) ([]provisioning.Package, error) {
	return s.Deps.Hosting.Packages(ctx, c.Scope)
}

func (s *area) resellers(ctx context.Context, c identity.Caller) ([]provisioning.ResellerAccount, error) {
	return s.Deps.Hosting.ListResellers(ctx, c.Scope)
}

// account is the account with its domains as they are now.
func (s *area) account(ctx context.Context, c identity.Caller, id int64) (accountJSON, error) {
	a, err := s.Deps.Hosting.GetAccount(ctx, c.Scope, id)
	if err != nil {
		return accountJSON{}, err
	}
	doms, err := s.Deps.Hosting.Domains(ctx, c.Scope, id)
	if doms == nil {
		doms = []provisioning.Domain{}
	}
	return accountJSON{a, doms}, err
}

func (s *area) createAccount(ctx context.Context, c identity.Caller, in provisioning.CreateAccountInput) (accountJSON, error) {
	a, err := s.Deps.Hosting.CreateAccount(ctx, c.Scope, in)
	if err != nil {
		return accountJSON{}, err
	}
	return s.account(ctx, c, a.ID)
}

// domainInput is the body of POST /accounts/:id/domains.
type domainInput struct {
	Name string `json:"name"`
}

func (s *area) addDomain(ctx context.Context, c identity.Caller, id int64, in domainInput) (provisioning.Domain, error) {
	return s.Deps.Hosting.AddDomain(ctx, c.Scope, id, in.Name)
}

func (s *area) deleteServer(ctx context.Context, _ identity.Caller, id int64) (provisioning.Server, error) {
	return s.Deps.Hosting.DeleteServer(ctx, id)
}
