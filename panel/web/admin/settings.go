package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

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
	v := web.ListView[audit.Record]{Items: rows}
	v.Next = web.NextLink(c, rows, pg.Limit, func(r audit.Record) int64 { return r.ID })
	p.Data = v
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
