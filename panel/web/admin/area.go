// Package admin is the panel's administration area: the dashboard,
// tenants (resellers and clients), users, API keys, the audit log, the
// brand, the security settings and the user's own profile, as pages and
// as /api/v1 handlers. Identity keeps every query inside the caller's
// tenant; the handlers check the caller's permission first.
package admin

import (
	"net/http"
	"strings"

	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// Area registers the administration area.
type Area struct{}

type area struct{ *web.Server }

var sellers = []tenancy.Kind{tenancy.KindOperator, tenancy.KindReseller}

// Routes implements web.Area.
func (Area) Routes(r *web.Router) {
	s := &area{r.Server}
	in := r.Pages
	in.GET("/", s.dashboard)
	in.GET("/tenants", s.tenantList)
	in.GET("/tenants/new", s.tenantNew)
	in.POST("/tenants/new", s.tenantCreate)
	tenant := s.ByID("tenant", "/tenants/", s.tenantPage, []string{"name", "email", "country", "language", "status"}, s.saveTenant)
	in.GET("/tenants/:id", tenant)
	in.POST("/tenants/:id", tenant)
	in.GET("/users", s.userList)
	in.GET("/users/new", s.userNew)
	in.POST("/users/new", s.userCreate)
	user := s.ByID("user", "/users/", s.userPage, []string{"name", "role", "language", "status"}, s.saveUser)
	in.GET("/users/:id", user)
	in.POST("/users/:id", user)
	in.GET("/apikeys", s.Show("apikeys", s.keysPage))
	in.POST("/apikeys", s.keyCreate)
	in.POST("/apikeys/:id/revoke", s.keyRevoke)
	in.GET("/audit", s.auditList)
	in.GET("/brand", s.Show("brand", s.brandPage))
	in.POST("/brand", s.Submit("brand", "/brand", "saved", s.brandPage, s.saveBrand))
	in.GET("/settings/security", s.securityForm)
	in.POST("/settings/security", s.securityUpdate)
	in.GET("/profile", s.Show("profile", s.profilePage))
	in.POST("/profile", s.Submit("profile", "/profile", "saved", s.profilePage, s.saveProfile))
	in.POST("/profile/password", s.passwordChange)
	in.GET("/profile/2fa", s.totpForm)
	in.POST("/profile/2fa", s.totpConfirm)
	in.POST("/profile/2fa/disable", s.totpDisable)
	in.POST("/profile/signout-all", s.signOutAll)

	// Identity checks the caller's permissions on these itself.
	id := s.Deps.Identity
	api := r.API
	api.GET("/me", s.apiMe)
	api.GET("/tenants", web.Paged(nil, tenantFilter, id.ListTenants, func(t identity.Tenant) int64 { return t.ID }))
	api.POST("/tenants", web.Create(nil, id.CreateTenant))
	api.GET("/tenants/:id", web.Get(nil, id.GetTenant))
	api.PATCH("/tenants/:id", web.Change(nil, http.StatusOK, id.UpdateTenant))
	api.GET("/users", web.Paged(nil, userFilter, id.ListUsers, func(u identity.User) int64 { return u.ID }))
	api.POST("/users", web.Create(nil, id.CreateUser))
	api.GET("/users/:id", web.Get(nil, id.GetUser))
	api.PATCH("/users/:id", web.Change(nil, http.StatusOK, id.UpdateUser))
	api.GET("/audit", web.Paged(web.Perm(identity.PermAuditRead), auditFilter, s.listAudit, func(r audit.Record) int64 { return r.ID }))
	api.GET("/apikeys", web.Paged(nil, noFilter, s.listKeys, func(k identity.APIKey) int64 { return k.ID }))
	api.POST("/apikeys", s.apiKeyCreate)
	api.DELETE("/apikeys/:id", web.Get(nil, id.RevokeAPIKey))

	is := func(p string) func(string, string) bool { return func(path, _ string) bool { return path == p } }
	under := func(p string) func(string, string) bool {
		return func(path, _ string) bool { return strings.HasPrefix(path, p) }
	}
	r.Nav(
		web.NavEntry{Order: 0, Href: "/", Label: "nav.dashboard", Active: is("/")},
		web.NavEntry{Order: 10, Href: "/tenants?kind=reseller", Label: "nav.resellers", Perm: identity.PermTenantsRead, Kinds: []tenancy.Kind{tenancy.KindOperator},
			Active: func(path, kind string) bool { return strings.HasPrefix(path, "/tenants") && kind == "reseller" }},
		web.NavEntry{Order: 20, Href: "/tenants?kind=client", Label: "nav.clients", Perm: identity.PermTenantsRead, Kinds: sellers,
			Active: func(path, kind string) bool { return strings.HasPrefix(path, "/tenants") && kind != "reseller" }},
		web.NavEntry{Order: 80, Href: "/users", Label: "nav.users", Perm: identity.PermUsersRead, Active: under("/users")},
		web.NavEntry{Order: 90, Href: "/apikeys", Label: "nav.apikeys", Perm: identity.PermKeysRead, Active: under("/apikeys")},
		web.NavEntry{Order: 100, Href: "/audit", Label: "nav.audit", Perm: identity.PermAuditRead, Active: is("/audit")},
		web.NavEntry{Order: 110, Href: "/brand", Label: "nav.brand", Perm: identity.PermBrand, Active: is("/brand")},
		web.NavEntry{Order: 120, Href: "/settings/security", Label: "nav.security", Perm: identity.PermSecurity, Kinds: []tenancy.Kind{tenancy.KindOperator},
			Active: is("/settings/security")},
		web.NavEntry{Order: 1000, Href: "/profile", Label: "nav.profile", Active: under("/profile")},
	)
}
