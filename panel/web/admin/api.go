package admin

import (
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

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

func (s *area) apiTenants(c echo.Context) error {
	pg, err := web.APIPage(c)
	if err != nil {
		return err
	}
	f := identity.TenantFilter{Query: c.QueryParam("q")}
	switch k := tenancy.Kind(c.QueryParam("kind")); k {
	case "", tenancy.KindOperator, tenancy.KindReseller, tenancy.KindClient:
		f.Kind = k
	default:
		return core.Invalid("kind", "must be operator, reseller or client")
	}
	if v := c.QueryParam("parent_id"); v != "" {
		if f.ParentID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return core.Invalid("parent_id", "must be a tenant id")
		}
	}
	rows, err := s.Deps.Identity.ListTenants(c.Request().Context(), web.CallerOf(c), f, pg)
	if err != nil {
		return err
	}
	out := web.List[identity.Tenant]{Data: rows}
	if len(rows) > 0 {
		out.NextCursor = web.CursorAfter(len(rows), pg.Limit, rows[len(rows)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *area) apiTenantCreate(c echo.Context) error {
	var in identity.CreateTenantInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	t, err := s.Deps.Identity.CreateTenant(c.Request().Context(), web.CallerOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, t)
}

func (s *area) apiTenant(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	t, err := s.Deps.Identity.GetTenant(c.Request().Context(), web.CallerOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *area) apiTenantUpdate(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in identity.UpdateTenantInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	t, err := s.Deps.Identity.UpdateTenant(c.Request().Context(), web.CallerOf(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *area) apiUsers(c echo.Context) error {
	pg, err := web.APIPage(c)
	if err != nil {
		return err
	}
	f := identity.UserFilter{Query: c.QueryParam("q")}
	if v := c.QueryParam("tenant_id"); v != "" {
		if f.TenantID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return core.Invalid("tenant_id", "must be a tenant id")
		}
	}
	rows, err := s.Deps.Identity.ListUsers(c.Request().Context(), web.CallerOf(c), f, pg)
	if err != nil {
		return err
	}
	out := web.List[identity.User]{Data: rows}
	if len(rows) > 0 {
		out.NextCursor = web.CursorAfter(len(rows), pg.Limit, rows[len(rows)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *area) apiUserCreate(c echo.Context) error {
	var in identity.CreateUserInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	u, err := s.Deps.Identity.CreateUser(c.Request().Context(), web.CallerOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

func (s *area) apiUser(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	u, err := s.Deps.Identity.GetUser(c.Request().Context(), web.CallerOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *area) apiUserUpdate(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in identity.UpdateUserInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	u, err := s.Deps.Identity.UpdateUser(c.Request().Context(), web.CallerOf(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *area) apiAudit(c echo.Context) error {
	caller := web.CallerOf(c)
	if !caller.Can(identity.PermAuditRead) {
		return core.E(core.ErrForbidden, "your role may not read the audit log")
	}
	pg, err := web.APIPage(c)
	if err != nil {
		return err
	}
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	rows, err := s.Deps.Identity.Audit().List(c.Request().Context(), caller.Scope, f, pg)
	if err != nil {
		return err
	}
	out := web.List[audit.Record]{Data: rows}
	if len(rows) > 0 {
		out.NextCursor = web.CursorAfter(len(rows), pg.Limit, rows[len(rows)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *area) apiKeys(c echo.Context) error {
	pg, err := web.APIPage(c)
	if err != nil {
		return err
	}
	rows, err := s.Deps.Identity.ListAPIKeys(c.Request().Context(), web.CallerOf(c), pg)
	if err != nil {
		return err
	}
	out := web.List[identity.APIKey]{Data: rows}
	if len(rows) > 0 {
		out.NextCursor = web.CursorAfter(len(rows), pg.Limit, rows[len(rows)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

type newKey struct {
	identity.APIKey
	Token string `json:"token"`
}

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

func (s *area) apiKeyRevoke(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	k, err := s.Deps.Identity.RevokeAPIKey(c.Request().Context(), web.CallerOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}
