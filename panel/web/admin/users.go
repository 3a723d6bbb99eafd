package admin

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// userRow is a user with its tenant's name, for lists.
type userRow struct {
	identity.User
	TenantName string
}

func (s *area) userList(c echo.Context) error {
	p := s.NewPage(c, "nav.users")
	p.Form["q"] = c.QueryParam("q")
	pg := web.PageOf(c)
	users, err := s.Deps.Identity.ListUsers(c.Request().Context(), web.CallerOf(c), identity.UserFilter{Query: p.Form["q"]}, pg)
	if err != nil {
		return err
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.TenantID
	}
	names := s.TenantNames(c, ids)
	v := web.ListView[userRow]{}
	for _, u := range users {
		v.Items = append(v.Items, userRow{u, names[u.TenantID]})
	}
	v.Next = web.NextLink(c, users, pg.Limit, func(r identity.User) int64 { return r.ID })
	p.Data = v
	return s.Render(c, http.StatusOK, "users", p)
}

type userNewView struct {
	Tenants []identity.Tenant
	Roles   []identity.Role
}

func (s *area) userNewPage(c echo.Context, tenantID int64) (*web.Page, error) {
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	if !caller.Can(identity.PermUsersWrite) {
		return nil, core.E(core.ErrForbidden, "your role may not add users")
	}
	if tenantID == 0 {
		tenantID = caller.Scope.TenantID
	}
	t, err := s.Deps.Identity.GetTenant(ctx, caller, tenantID)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "users.new")
	p.Form["tenant_id"], p.Form["language"] = strconv.FormatInt(t.ID, 10), t.Language
	p.Data = userNewView{Tenants: []identity.Tenant{t}, Roles: identity.RolesFor(t.Kind)}
	return p, nil
}

func (s *area) userNew(c echo.Context) error {
	tid, _ := strconv.ParseInt(c.QueryParam("tenant_id"), 10, 64)
	p, err := s.userNewPage(c, tid)
	if err != nil {
		return err
	}
	return s.Render(c, http.StatusOK, "user_new", p)
}

// userFormPage is the new-user page for the form's tenant.
func (s *area) userFormPage(c echo.Context) (*web.Page, error) {
	tid, err := strconv.ParseInt(c.FormValue("tenant_id"), 10, 64)
	if err != nil {
		return nil, core.Invalid("tenant_id", "must be a tenant id")
	}
	return s.userNewPage(c, tid)
}

func (s *area) saveNewUser(c echo.Context, p *web.Page) (int64, error) {
	p.Fill(c, "email", "name", "role", "language")
	in := identity.CreateUserInput{TenantID: web.FormInt(c.FormValue("tenant_id")), Email: c.FormValue("email"), Name: c.FormValue("name"),
		Role: identity.Role(c.FormValue("role")), Language: c.FormValue("language"), Password: c.FormValue("password")}
	u, err := s.Deps.Identity.CreateUser(c.Request().Context(), web.CallerOf(c), in)
	return u.ID, err
}

type userView struct {
	User     identity.User
	Tenant   identity.Tenant
	Roles    []identity.Role
	Statuses []string
}

func (s *area) userPage(c echo.Context, id int64) (*web.Page, error) {
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	u, err := s.Deps.Identity.GetUser(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	t, err := s.Deps.Identity.GetTenant(ctx, caller, u.TenantID)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "users.title")
	p.Form = map[string]string{"name": u.Name, "role": string(u.Role), "language": u.Language, "status": u.Status}
	p.Data = userView{User: u, Tenant: t, Roles: identity.RolesFor(t.Kind), Statuses: []string{identity.UserActive, identity.UserDisabled}}
	return p, nil
}

func (s *area) saveUser(c echo.Context, id int64) error {
	in := identity.UpdateUserInput{Name: web.FormPtr(c, "name"), Language: web.FormPtr(c, "language"), Status: web.FormPtr(c, "status")}
	if r := web.FormPtr(c, "role"); r != nil {
		role := identity.Role(*r)
		in.Role = &role
	}
	_, err := s.Deps.Identity.UpdateUser(c.Request().Context(), web.CallerOf(c), id, in)
	return err
}
