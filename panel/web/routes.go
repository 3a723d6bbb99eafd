package web

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes registers the pages, the API and the static files. Every route
// with an :id joins the cross-tenant test by one line in its table.
func (s *Server) routes() {
	e := s.e
	static, _ := fs.Sub(s.deps.Theme.FS(), "static")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServer(http.FS(static)))))

	pub := e.Group("", s.secureHeaders, middleware.BodyLimit("1M"), s.loadSession, s.csrf())
	pub.GET("/login", s.loginForm)
	pub.POST("/login", s.login)
	pub.GET("/login/2fa", s.mfaForm)
	pub.POST("/login/2fa", s.mfa)
	pub.POST("/logout", s.logout)
	pub.GET("/password/forgot", s.forgotForm)
	pub.POST("/password/forgot", s.forgot)
	pub.GET("/password/reset", s.resetForm)
	pub.POST("/password/reset", s.reset)

	in := pub.Group("", s.requireUser)
	in.GET("/", s.dashboard)
	in.GET("/tenants", s.tenantList)
	in.GET("/tenants/new", s.tenantNew)
	in.POST("/tenants/new", s.tenantCreate)
	tenant := s.byID("tenant", "/tenants/", s.tenantPage, []string{"name", "email", "country", "language", "status"}, s.saveTenant)
	in.GET("/tenants/:id", tenant)
	in.POST("/tenants/:id", tenant)
	in.GET("/users", s.userList)
	in.GET("/users/new", s.userNew)
	in.POST("/users/new", s.userCreate)
	user := s.byID("user", "/users/", s.userPage, []string{"name", "role", "language", "status"}, s.saveUser)
	in.GET("/users/:id", user)
	in.POST("/users/:id", user)
	in.GET("/apikeys", s.keyList)
	in.POST("/apikeys", s.keyCreate)
	in.POST("/apikeys/:id/revoke", s.keyRevoke)
	in.GET("/audit", s.auditList)
	in.GET("/brand", s.brandForm)
	in.POST("/brand", s.brandUpdate)
	in.GET("/settings/security", s.securityForm)
	in.POST("/settings/security", s.securityUpdate)
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
	in.GET("/profile", s.profile)
	in.POST("/profile", s.profileUpdate)
	in.POST("/profile/password", s.passwordChange)
	in.GET("/profile/2fa", s.totpForm)
	in.POST("/profile/2fa", s.totpConfirm)
	in.POST("/profile/2fa/disable", s.totpDisable)
	in.POST("/profile/signout-all", s.signOutAll)

	e.GET("/api/v1/openapi.json", s.openAPI)
	api := e.Group("/api/v1", middleware.BodyLimit("1M"), s.apiAuth, s.idempotency)
	api.GET("/me", s.apiMe)
	api.GET("/tenants", s.apiTenants)
	api.POST("/tenants", s.apiTenantCreate)
	api.GET("/tenants/:id", s.apiTenant)
	api.PATCH("/tenants/:id", s.apiTenantUpdate)
	api.GET("/users", s.apiUsers)
	api.POST("/users", s.apiUserCreate)
	api.GET("/users/:id", s.apiUser)
	api.PATCH("/users/:id", s.apiUserUpdate)
	api.GET("/audit", s.apiAudit)
	api.GET("/apikeys", s.apiKeys)
	api.POST("/apikeys", s.apiKeyCreate)
	api.DELETE("/apikeys/:id", s.apiKeyRevoke)
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
}

// secureHeaders sets the headers every page carries: no framing, no MIME
// sniffing, no referrer leaks, and a policy that allows only this site's
// scripts and styles (the layout's brand colours are an inline style).
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https: http:; style-src 'self' 'unsafe-inline'; script-src 'none'; frame-ancestors 'none'; form-action 'self'")
		return next(c)
	}
}
