// Package hosting is the panel's hosting area: accounts with their
// domains and subdomains, packages, servers and reseller accounts, as
// pages and as /api/v1 handlers. Every handler checks the caller's
// permission on the server, then hands the caller's scope to
// provisioning, which keeps every query inside it.
package hosting

import (
	"strings"

	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// Area registers the hosting area.
type Area struct{}

type area struct{ *web.Server }

// Routes implements web.Area.
func (Area) Routes(r *web.Router) {
	s := &area{r.Server}
	in := r.Pages
	in.GET("/hosting", s.hostingList)
	in.GET("/hosting/new", s.hostingNew)
	in.POST("/hosting/new", s.hostingCreate)
	in.GET("/hosting/:id", s.accountShow)
	in.POST("/hosting/:id/:action", s.accountPost)
	in.GET("/packages", s.packageList)
	in.POST("/packages", s.packageCreate)
	in.GET("/servers", s.serverList)
	in.POST("/servers", s.serverCreate)
	in.POST("/servers/:id/test", s.serverTest)
	in.GET("/reseller-accounts", s.resellerAccountList)
	in.POST("/reseller-accounts", s.resellerAccountPost)
	in.POST("/reseller-accounts/:id", s.resellerAccountPost)

	api := r.API
	api.GET("/accounts", s.apiAccounts)
	api.POST("/accounts", s.apiAccountCreate)
	api.GET("/accounts/:id", s.apiAccount)
	api.POST("/accounts/:id/domains", s.apiDomainCreate)
	api.POST("/accounts/:id/:action", s.apiAccountAction)
	api.GET("/domains/:id", s.apiDomain)
	api.DELETE("/domains/:id", s.apiDomainDelete)
	api.POST("/domains/:id/subdomains", s.apiSubdomainCreate)
	api.GET("/packages", s.apiPackages)
	api.POST("/packages", s.apiPackageCreate)
	api.GET("/servers", s.apiServers)
	api.POST("/servers", s.apiServerCreate)
	api.PATCH("/servers/:id", s.apiServerUpdate)
	api.POST("/servers/:id/test", s.apiServerTest)
	api.GET("/reseller-accounts", s.apiResellerAccounts)
	api.POST("/reseller-accounts", s.apiResellerAccountCreate)
	api.PATCH("/reseller-accounts/:id", s.apiResellerAccountUpdate)
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
