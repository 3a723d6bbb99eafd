package admin

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
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
