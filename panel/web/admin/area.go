// Package admin is the panel's administration area: the dashboard,
// tenants (resellers and clients), users, API keys, the audit log, the
// brand, the security settings and the user's own profile, as pages and
// as /api/v1 handlers. Identity keeps every query inside the caller's
// tenant; the handlers check the caller's permission first.
package admin

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
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
	in.POST("/tenants/new", s.SubmitNew("tenant_new", "/tenants/", s.tenantFormPage, s.saveNewTenant))
	tenant := s.ByID("tenant", "/tenants/", s.tenantPage, []string{"name", "email", "country", "language", "status"}, s.saveTenant)
	in.GET("/tenants/:id", tenant)
	in.POST("/tenants/:id", tenant)
	in.GET("/users", s.userList)
	in.GET("/users/new", s.userNew)
	in.POST("/users/new", s.SubmitNew("user_new", "/users/", s.userFormPage, s.saveNewUser))
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
		web.NavEntry{Order: 10, Href: "/tenants?kind=reseller", Label: "nav.resellers", Group: "nav.group.customers", Perm: identity.PermTenantsRead, Kinds: []tenancy.Kind{tenancy.KindOperator},
			Active: func(path, kind string) bool { return strings.HasPrefix(path, "/tenants") && kind == "reseller" }},
		web.NavEntry{Order: 20, Href: "/tenants?kind=client", Label: "nav.clients", Group: "nav.group.customers", Perm: identity.PermTenantsRead, Kinds: sellers,
			Active: func(path, kind string) bool { return strings.HasPrefix(path, "/tenants") && kind != "reseller" }},
		web.NavEntry{Order: 80, Href: "/users", Label: "nav.users", Group: "nav.group.admin", Perm: identity.PermUsersRead, Active: under("/users")},
		web.NavEntry{Order: 90, Href: "/apikeys", Label: "nav.apikeys", Group: "nav.group.admin", Perm: identity.PermKeysRead, Active: under("/apikeys")},
		web.NavEntry{Order: 100, Href: "/audit", Label: "nav.audit", Group: "nav.group.admin", Perm: identity.PermAuditRead, Active: is("/audit")},
		web.NavEntry{Order: 110, Href: "/brand", Label: "nav.brand", Group: "nav.group.admin", Perm: identity.PermBrand, Active: is("/brand")},
		web.NavEntry{Order: 120, Href: "/settings/security", Label: "nav.security", Group: "nav.group.admin", Perm: identity.PermSecurity, Kinds: []tenancy.Kind{tenancy.KindOperator},
			Active: is("/settings/security")},
		web.NavEntry{Order: 1000, Href: "/profile", Label: "nav.profile", Active: under("/profile")},
	)
}

type meView struct {
	APIKeyID    int64           `json:"api_key_id"`
	Role        identity.Role   `json:"role"`
	Tenant      identity.Tenant `json:"tenant"`
	Permissions []identity.Perm `json:"permissions"`
}

func (s *area) apiMe(c echo.Context) error {
	caller := web.CallerOf(c)
	t, err := s.Deps.Identity.GetTenant(c.Request().Context(), caller, caller.Scope.TenantID)
	if err != nil {
		return err
	}
	v := meView{APIKeyID: caller.APIKeyID, Role: caller.Role, Tenant: t, Permissions: []identity.Perm{}}
	for _, p := range identity.All() {
		if caller.Can(p) {
			v.Permissions = append(v.Permissions, p)
		}
	}
	return c.JSON(http.StatusOK, v)
}

// tenantFilter reads ?q=, ?kind= and ?parent_id= of GET /tenants.
func tenantFilter(c echo.Context) (identity.TenantFilter, error) {
	f := identity.TenantFilter{Query: c.QueryParam("q")}
	switch k := tenancy.Kind(c.QueryParam("kind")); k {
	case "", tenancy.KindOperator, tenancy.KindReseller, tenancy.KindClient:
		f.Kind = k
	default:
		return f, core.Invalid("kind", "must be operator, reseller or client")
	}
	var err error
	if v := c.QueryParam("parent_id"); v != "" {
		if f.ParentID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return f, core.Invalid("parent_id", "must be a tenant id")
		}
	}
	return f, nil
}

// userFilter reads ?q= and ?tenant_id= of GET /users.
func userFilter(c echo.Context) (identity.UserFilter, error) {
	f := identity.UserFilter{Query: c.QueryParam("q")}
	var err error
	if v := c.QueryParam("tenant_id"); v != "" {
		if f.TenantID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return f, core.Invalid("tenant_id", "must be a tenant id")
		}
	}
	return f, nil
}

func (s *area) listAudit(ctx context.Context, c identity.Caller, f audit.Filter, p core.Page) ([]audit.Record, error) {
	return s.Deps.Identity.Audit().List(ctx, c.Scope, f, p)
}

func (s *area) listKeys(ctx context.Context, c identity.Caller, _ struct{}, p core.Page) ([]identity.APIKey, error) {
	return s.Deps.Identity.ListAPIKeys(ctx, c, p)
}

func noFilter(echo.Context) (struct{}, error) { return struct{}{}, nil }

type newKey struct {
	identity.APIKey
	Token string `json:"token"`
}

// apiKeyCreate answers with the new key's token, shown once: a replay of
// the request (same idempotency key) gets the reply with it blanked.
func (s *area) apiKeyCreate(c echo.Context) error {
	var in identity.CreateKeyInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	k, token, err := s.Deps.Identity.CreateAPIKey(c.Request().Context(), web.CallerOf(c), in)
	if err != nil {
		return err
	}
	web.Redact(c, token)
	return c.JSON(http.StatusCreated, newKey{k, token})
}

// auditFilter reads the audit filters shared by the page and the API.
func auditFilter(c echo.Context) (audit.Filter, error) {
	var v core.ValidationError
	f := audit.Filter{Action: c.QueryParam("action"), Query: c.QueryParam("q")}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if s := c.QueryParam(name); s != "" {
			t, err := time.Parse("2006-01-02", s)
			if err != nil {
				v.Add(name, "must be a date like 2026-01-31")
				continue
			}
			*dst = t
		}
	}
	if !f.Until.IsZero() {
		f.Until = f.Until.AddDate(0, 0, 1)
	}
	if s := c.QueryParam("tenant_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			v.Add("tenant_id", "must be a tenant id")
		}
		f.TenantID = id
	}
	return f, v.Err()
}

func (s *area) auditList(c echo.Context) error {
	caller := web.CallerOf(c)
	if !caller.Can(identity.PermAuditRead) {
		return core.E(core.ErrForbidden, "your role may not read the audit log")
	}
	p := s.NewPage(c, "nav.audit")
	p.Fill(c, "action", "q", "since", "until")
	f, err := auditFilter(c)
	if err != nil {
		p.Data = web.ListView[audit.Record]{}
		return s.FormError(c, "audit", p, err)
	}
	pg := web.PageOf(c)
	rows, err := s.Deps.Identity.Audit().List(c.Request().Context(), caller.Scope, f, pg)
	if err != nil {
		return err
	}
	p.Data = web.ListOf(c, rows, pg.Limit, func(r audit.Record) int64 { return r.ID })
	return s.Render(c, http.StatusOK, "audit", p)
}

func (s *area) brandPage(c echo.Context) (*web.Page, error) {
	caller := web.CallerOf(c)
	if !caller.Can(identity.PermBrand) {
		return nil, core.E(core.ErrForbidden, "your role may not change the brand")
	}
	t, err := s.Deps.Identity.GetTenant(c.Request().Context(), caller, caller.Scope.TenantID)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "nav.brand")
	p.Form = map[string]string{"brand_name": t.BrandName, "brand_logo_url": t.BrandLogoURL, "brand_primary": t.BrandPrimary, "brand_accent": t.BrandAccent}
	return p, nil
}

func (s *area) saveBrand(c echo.Context, p *web.Page) error {
	p.Fill(c, "brand_name", "brand_logo_url", "brand_primary", "brand_accent")
	in := identity.BrandInput{Name: p.Form["brand_name"], LogoURL: p.Form["brand_logo_url"], Primary: p.Form["brand_primary"], Accent: p.Form["brand_accent"]}
	_, err := s.Deps.Identity.UpdateBrand(c.Request().Context(), web.CallerOf(c), in)
	return err
}

func (s *area) securityForm(c echo.Context) error {
	caller := web.CallerOf(c)
	if !caller.Can(identity.PermSecurity) || caller.Scope.Kind != tenancy.KindOperator {
		return core.E(core.ErrForbidden, "only the operator's admins set the security policy")
	}
	rules, err := s.Deps.Identity.TwoFactorPolicy(c.Request().Context())
	if err != nil {
		return err
	}
	p := s.NewPage(c, "nav.security")
	p.Data = rules
	return s.Render(c, http.StatusOK, "security", p)
}

func (s *area) securityUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	rules, err := s.Deps.Identity.TwoFactorPolicy(ctx)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	on := map[string]bool{}
	for _, v := range form["require"] {
		on[v] = true
	}
	for i := range rules {
		rules[i].Required = on[string(rules[i].Kind)+"."+string(rules[i].Role)]
	}
	if err := s.Deps.Identity.SetTwoFactorPolicy(ctx, web.CallerOf(c), rules); err != nil {
		return err
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/settings/security")
}
