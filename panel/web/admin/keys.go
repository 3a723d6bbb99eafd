package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"faktura/panel/identity"
	"faktura/panel/web"
)

type keyRow struct {
	identity.APIKey
	TenantName string
}

type keysView struct {
	web.ListView[keyRow]
	Roles []identity.Role
	Token string
}

func (s *area) keysPage(c echo.Context) (*web.Page, error) {
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	pg := web.PageOf(c)
	keys, err := s.Deps.Identity.ListAPIKeys(ctx, caller, pg)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(keys))
	for i, k := range keys {
		ids[i] = k.TenantID
	}
	names := s.TenantNames(c, ids)
	v := keysView{}
	for _, r := range identity.RolesFor(caller.Scope.Kind) {
		if identity.Covers(caller.Scope.Kind, caller.Role, r) {
			v.Roles = append(v.Roles, r)
		}
	}
	for _, k := range keys {
		v.Items = append(v.Items, keyRow{k, names[k.TenantID]})
	}
	v.Next = web.NextLink(c, keys, pg.Limit, func(r identity.APIKey) int64 { return r.ID })
	p := s.NewPage(c, "nav.apikeys")
	p.Data = &v
	return p, nil
}

func (s *area) keyCreate(c echo.Context) error {
	in := identity.CreateKeyInput{Name: c.FormValue("name"), Role: identity.Role(c.FormValue("role"))}
	_, token, err := s.Deps.Identity.CreateAPIKey(c.Request().Context(), web.CallerOf(c), in)
	p, perr := s.keysPage(c)
	if perr != nil {
		return perr
	}
	if err != nil {
		p.Fill(c, "name")
		return s.FormError(c, "apikeys", p, err)
	}
	p.Data.(*keysView).Token = token
	p.Flash = p.T("flash.created")
	return s.Render(c, http.StatusOK, "apikeys", p)
}

func (s *area) keyRevoke(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if _, err := s.Deps.Identity.RevokeAPIKey(c.Request().Context(), web.CallerOf(c), id); err != nil {
		return err
	}
	web.Flash(c, "revoked")
	return c.Redirect(http.StatusSeeOther, "/apikeys")
}
