// Package hosting is the panel's hosting area: accounts with their
// domains and subdomains, packages, servers and reseller accounts, as
// pages and as /api/v1 handlers. Every handler checks the caller's
// permission on the server, then hands the caller's scope to
// provisioning, which keeps every query inside it.
package hosting

import (
	"net/http"
	"strings"

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
	in.GET("/hosting/:id", s.accountShow)
	in.POST("/hosting/:id/:action", s.accountPost)
	in.GET("/packages", s.Show("packages", s.packagesPage))
	in.POST("/packages", s.Submit("packages", "/packages", "created", s.packagesPage, s.savePackage))
	in.GET("/servers", s.Show("servers", s.serversPage))
	in.POST("/servers", s.Submit("servers", "/servers", "created", s.serversPage, s.saveServer))
	in.POST("/servers/:id/test", s.serverTest)
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
	api.DELETE("/domains/:id", s.apiDomainDelete)
	api.POST("/domains/:id/subdomains", s.apiSubdomainCreate)
	api.GET("/packages", web.All(read, s.packages))
	api.POST("/packages", web.Create(write, web.Scoped(h.CreatePackage)))
	api.GET("/servers", web.All(web.OperatorPerm(identity.PermHostingRead), s.servers))
	api.POST("/servers", web.Create(web.OperatorPerm(identity.PermServers), s.createServer))
	api.PATCH("/servers/:id", web.Change(web.OperatorPerm(identity.PermServers), http.StatusOK, s.updateServer))
	api.POST("/servers/:id/test", web.Get(web.OperatorPerm(identity.PermServers), s.testServer))
	api.GET("/reseller-accounts", web.All(read, s.resellers))
	api.POST("/reseller-accounts", web.Create(web.OperatorPerm(identity.PermResellerLimit), web.Scoped(h.CreateReseller)))
	api.PATCH("/reseller-accounts/:id", web.Change(web.OperatorPerm(identity.PermResellerLimit), http.StatusOK, web.ScopedID(h.UpdateReseller)))
	api.POST("/reseller-accounts/:id/:action", s.apiResellerAccountAction)

	op := []tenancy.Kind{tenancy.KindOperator}
	is := func(p string) func(string, string) bool { return func(path, _ string) bool { return path == p } }
	r.Nav(
		web.NavEntry{Order: 30, Href: "/hosting", Label: "nav.hosting", Perm: identity.PermHostingRead,
			Active: func(path, _ string) bool { return strings.HasPrefix(path, "/hosting") }},
		web.NavEntry{Order: 40, Href: "/packages", Label: "nav.packages", Perm: identity.PermHostingRead,
			Kinds: []tenancy.Kind{tenancy.KindOperator, tenancy.KindReseller}, Active: is("/packages")},
		web.NavEntry{Order: 50, Href: "/reseller-accounts", Label: "nav.reseller_accounts", Perm: identity.PermHostingRead, Kinds: op, Active: is("/reseller-accounts")},
		web.NavEntry{Order: 60, Href: "/servers", Label: "nav.servers", Perm: identity.PermHostingRead, Kinds: op, Active: is("/servers")},
	)
}
