package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
)

// listView is a page of rows and the link to the next page.
type listView[T any] struct {
	Items []T
	Next  string
}

// nextLink is the URL of the page after rows, or "" when this was the last.
func nextLink(c echo.Context, n, limit int, lastID int64) string {
	if n < limit {
		return ""
	}
	q := c.Request().URL.Query()
	q.Set("before", strconv.FormatInt(lastID, 10))
	return c.Request().URL.Path + "?" + q.Encode()
}

const pageSize = 50

func pageOf(c echo.Context) core.Page {
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	return core.Page{Before: before, Limit: pageSize}
}

// idParam parses the :id path parameter; a malformed id is simply not
// found.
func idParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.E(core.ErrNotFound, "no such object")
	}
	return id, nil
}

type dashboardView struct {
	Tenant                    identity.Tenant
	Resellers, Clients, Users int64
}

func (s *Server) dashboard(c echo.Context) error {
	ctx, caller, a := c.Request().Context(), callerOf(c), authOf(c)
	v := dashboardView{Tenant: a.Tenant}
	var err error
	if caller.Can(identity.PermTenantsRead) {
		if v.Resellers, err = s.deps.Identity.CountTenants(ctx, caller, identity.TenantFilter{Kind: tenancy.KindReseller}); err != nil {
			return err
		}
		if v.Clients, err = s.deps.Identity.CountTenants(ctx, caller, identity.TenantFilter{Kind: tenancy.KindClient}); err != nil {
			return err
		}
	}
	if caller.Can(identity.PermUsersRead) {
		if v.Users, err = s.deps.Identity.CountUsers(ctx, caller, identity.UserFilter{}); err != nil {
			return err
		}
	}
	p := s.newPage(c, "nav.dashboard")
	p.Data = v
	return s.render(c, http.StatusOK, "dashboard", p)
}

func (s *Server) tenantList(c echo.Context) error {
	kind := tenancy.KindClient
	if c.QueryParam("kind") == string(tenancy.KindReseller) {
		kind = tenancy.KindReseller
	}
	p := s.newPage(c, "nav."+string(kind)+"s")
	p.Form["kind"], p.Form["q"] = string(kind), c.QueryParam("q")
	pg := pageOf(c)
	items, err := s.deps.Identity.ListTenants(c.Request().Context(), callerOf(c), identity.TenantFilter{Kind: kind, Query: p.Form["q"]}, pg)
	if err != nil {
		return err
	}
	v := listView[identity.Tenant]{Items: items}
	if len(items) > 0 {
		v.Next = nextLink(c, len(items), pg.Limit, items[len(items)-1].ID)
	}
	p.Data = v
	return s.render(c, http.StatusOK, "tenants", p)
}

type tenantNewView struct{ Parents []identity.Tenant }

// sellers lists who may sell to a new tenant of kind: the operator for a
// reseller; the operator and its resellers for a client created by the
// operator; the caller's own tenant otherwise.
func (s *Server) sellers(c echo.Context, kind tenancy.Kind) ([]identity.Tenant, error) {
	ctx, caller := c.Request().Context(), callerOf(c)
	own, err := s.deps.Identity.GetTenant(ctx, caller, caller.Scope.TenantID)
	if err != nil {
		return nil, err
	}
	out := []identity.Tenant{own}
	if kind == tenancy.KindClient && caller.Scope.Kind == tenancy.KindOperator {
		rs, err := s.deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{Kind: tenancy.KindReseller}, core.Page{Limit: 200})
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func (s *Server) tenantNewPage(c echo.Context, kind tenancy.Kind) (*page, error) {
	if !callerOf(c).Can(identity.PermTenantsWrite) {
		return nil, core.E(core.ErrForbidden, "your role may not create tenants")
	}
	parents, err := s.sellers(c, kind)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "tenants.new_"+string(kind))
	p.Form["kind"], p.Form["language"] = string(kind), p.Lang
	p.Data = tenantNewView{Parents: parents}
	return p, nil
}

func kindParam(v string) tenancy.Kind {
	if v == string(tenancy.KindReseller) {
		return tenancy.KindReseller
	}
	return tenancy.KindClient
}

func (s *Server) tenantNew(c echo.Context) error {
	p, err := s.tenantNewPage(c, kindParam(c.QueryParam("kind")))
	if err != nil {
		return err
	}
	p.Form["parent_id"] = c.QueryParam("parent_id")
	return s.render(c, http.StatusOK, "tenant_new", p)
}

func (s *Server) tenantCreate(c echo.Context) error {
	kind := kindParam(c.FormValue("kind"))
	p, err := s.tenantNewPage(c, kind)
	if err != nil {
		return err
	}
	p.fill(c, "parent_id", "name", "email", "country", "language", "owner_email", "owner_name")
	in := identity.CreateTenantInput{Kind: kind, Name: c.FormValue("name"), Email: c.FormValue("email"),
		Country: c.FormValue("country"), Language: c.FormValue("language")}
	if v := c.FormValue("parent_id"); v != "" {
		if in.ParentID, err = strconv.ParseInt(v, 10, 64); err != nil {
			p.Errs["parent_id"] = "no such seller in your scope"
			return s.render(c, http.StatusUnprocessableEntity, "tenant_new", p)
		}
	}
	if c.FormValue("owner_email") != "" || c.FormValue("owner_password") != "" {
		in.Owner = &identity.OwnerInput{Email: c.FormValue("owner_email"), Name: c.FormValue("owner_name"), Password: c.FormValue("owner_password")}
	}
	t, err := s.deps.Identity.CreateTenant(c.Request().Context(), callerOf(c), in)
	if err != nil {
		return s.formError(c, "tenant_new", p, err)
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(t.ID, 10))
}

type tenantView struct {
	Tenant   identity.Tenant
	Editable bool
	Users    []identity.User
	Clients  []identity.Tenant
	Statuses []string
}

func (s *Server) tenantPage(c echo.Context, id int64) (*page, error) {
	ctx, caller := c.Request().Context(), callerOf(c)
	t, err := s.deps.Identity.GetTenant(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	v := tenantView{Tenant: t, Statuses: []string{identity.StatusActive, identity.StatusSuspended, identity.StatusClosed},
		Editable: caller.Can(identity.PermTenantsWrite) && (t.ID != caller.Scope.TenantID || t.Kind == tenancy.KindOperator)}
	if caller.Can(identity.PermUsersRead) {
		if v.Users, err = s.deps.Identity.ListUsers(ctx, caller, identity.UserFilter{TenantID: t.ID}, core.Page{Limit: 200}); err != nil {
			return nil, err
		}
	}
	if t.Kind == tenancy.KindReseller {
		if v.Clients, err = s.deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{ParentID: t.ID}, core.Page{Limit: 200}); err != nil {
			return nil, err
		}
	}
	p := s.newPage(c, "tenants.title")
	p.Form = map[string]string{"name": t.Name, "email": t.Email, "country": t.Country, "language": t.Language, "status": t.Status}
	p.Data = v
	return p, nil
}

// formPtr is a form field for a PATCH-like input: nil when the form lacks it.
func formPtr(c echo.Context, name string) *string {
	if _, ok := c.Request().PostForm[name]; !ok {
		return nil
	}
	v := c.FormValue(name)
	return &v
}

// userRow is a user with its tenant's name, for lists.
type userRow struct {
	identity.User
	TenantName string
}

func (s *Server) tenantNames(c echo.Context, ids []int64) map[int64]string {
	out := map[int64]string{}
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if t, err := s.deps.Identity.TenantByID(c.Request().Context(), id); err == nil {
			out[id] = t.Name
		}
	}
	return out
}

func (s *Server) userList(c echo.Context) error {
	p := s.newPage(c, "nav.users")
	p.Form["q"] = c.QueryParam("q")
	pg := pageOf(c)
	users, err := s.deps.Identity.ListUsers(c.Request().Context(), callerOf(c), identity.UserFilter{Query: p.Form["q"]}, pg)
	if err != nil {
		return err
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.TenantID
	}
	names := s.tenantNames(c, ids)
	v := listView[userRow]{}
	for _, u := range users {
		v.Items = append(v.Items, userRow{u, names[u.TenantID]})
	}
	if len(users) > 0 {
		v.Next = nextLink(c, len(users), pg.Limit, users[len(users)-1].ID)
	}
	p.Data = v
	return s.render(c, http.StatusOK, "users", p)
}

type userNewView struct {
	Tenants []identity.Tenant
	Roles   []identity.Role
}

func (s *Server) userNewPage(c echo.Context, tenantID int64) (*page, error) {
	ctx, caller := c.Request().Context(), callerOf(c)
	if !caller.Can(identity.PermUsersWrite) {
		return nil, core.E(core.ErrForbidden, "your role may not add users")
	}
	if tenantID == 0 {
		tenantID = caller.Scope.TenantID
	}
	t, err := s.deps.Identity.GetTenant(ctx, caller, tenantID)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "users.new")
	p.Form["tenant_id"], p.Form["language"] = strconv.FormatInt(t.ID, 10), t.Language
	p.Data = userNewView{Tenants: []identity.Tenant{t}, Roles: identity.RolesFor(t.Kind)}
	return p, nil
}

func (s *Server) userNew(c echo.Context) error {
	tid, _ := strconv.ParseInt(c.QueryParam("tenant_id"), 10, 64)
	p, err := s.userNewPage(c, tid)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "user_new", p)
}

func (s *Server) userCreate(c echo.Context) error {
	tid, err := strconv.ParseInt(c.FormValue("tenant_id"), 10, 64)
	if err != nil {
		return core.Invalid("tenant_id", "must be a tenant id")
	}
	p, err := s.userNewPage(c, tid)
	if err != nil {
		return err
	}
	p.fill(c, "email", "name", "role", "language")
	in := identity.CreateUserInput{TenantID: tid, Email: c.FormValue("email"), Name: c.FormValue("name"),
		Role: identity.Role(c.FormValue("role")), Language: c.FormValue("language"), Password: c.FormValue("password")}
	u, err := s.deps.Identity.CreateUser(c.Request().Context(), callerOf(c), in)
	if err != nil {
		return s.formError(c, "user_new", p, err)
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/users/"+strconv.FormatInt(u.ID, 10))
}

type userView struct {
	User     identity.User
	Tenant   identity.Tenant
	Roles    []identity.Role
	Statuses []string
}

func (s *Server) userPage(c echo.Context, id int64) (*page, error) {
	ctx, caller := c.Request().Context(), callerOf(c)
	u, err := s.deps.Identity.GetUser(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	t, err := s.deps.Identity.GetTenant(ctx, caller, u.TenantID)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "users.title")
	p.Form = map[string]string{"name": u.Name, "role": string(u.Role), "language": u.Language, "status": u.Status}
	p.Data = userView{User: u, Tenant: t, Roles: identity.RolesFor(t.Kind), Statuses: []string{identity.UserActive, identity.UserDisabled}}
	return p, nil
}

type keyRow struct {
	identity.APIKey
	TenantName string
}

type keysView struct {
	listView[keyRow]
	Roles []identity.Role
	Token string
}

func (s *Server) keysPage(c echo.Context) (*page, error) {
	ctx, caller := c.Request().Context(), callerOf(c)
	pg := pageOf(c)
	keys, err := s.deps.Identity.ListAPIKeys(ctx, caller, pg)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(keys))
	for i, k := range keys {
		ids[i] = k.TenantID
	}
	names := s.tenantNames(c, ids)
	v := keysView{}
	for _, r := range identity.RolesFor(caller.Scope.Kind) {
		if identity.Covers(caller.Scope.Kind, caller.Role, r) {
			v.Roles = append(v.Roles, r)
		}
	}
	for _, k := range keys {
		v.Items = append(v.Items, keyRow{k, names[k.TenantID]})
	}
	if len(keys) > 0 {
		v.Next = nextLink(c, len(keys), pg.Limit, keys[len(keys)-1].ID)
	}
	p := s.newPage(c, "nav.apikeys")
	p.Data = &v
	return p, nil
}

func (s *Server) keyList(c echo.Context) error {
	p, err := s.keysPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "apikeys", p)
}

func (s *Server) keyCreate(c echo.Context) error {
	in := identity.CreateKeyInput{Name: c.FormValue("name"), Role: identity.Role(c.FormValue("role"))}
	_, token, err := s.deps.Identity.CreateAPIKey(c.Request().Context(), callerOf(c), in)
	p, perr := s.keysPage(c)
	if perr != nil {
		return perr
	}
	if err != nil {
		p.fill(c, "name")
		return s.formError(c, "apikeys", p, err)
	}
	p.Data.(*keysView).Token = token
	p.Flash = p.T("flash.created")
	return s.render(c, http.StatusOK, "apikeys", p)
}

func (s *Server) keyRevoke(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Identity.RevokeAPIKey(c.Request().Context(), callerOf(c), id); err != nil {
		return err
	}
	flash(c, "revoked")
	return c.Redirect(http.StatusSeeOther, "/apikeys")
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

func (s *Server) auditList(c echo.Context) error {
	caller := callerOf(c)
	if !caller.Can(identity.PermAuditRead) {
		return core.E(core.ErrForbidden, "your role may not read the audit log")
	}
	p := s.newPage(c, "nav.audit")
	p.fill(c, "action", "q", "since", "until")
	f, err := auditFilter(c)
	if err != nil {
		p.Data = listView[audit.Record]{}
		return s.formError(c, "audit", p, err)
	}
	pg := pageOf(c)
	rows, err := s.deps.Identity.Audit().List(c.Request().Context(), caller.Scope, f, pg)
	if err != nil {
		return err
	}
	v := listView[audit.Record]{Items: rows}
	if len(rows) > 0 {
		v.Next = nextLink(c, len(rows), pg.Limit, rows[len(rows)-1].ID)
	}
	p.Data = v
	return s.render(c, http.StatusOK, "audit", p)
}

func (s *Server) brandPage(c echo.Context) (*page, error) {
	caller := callerOf(c)
	if !caller.Can(identity.PermBrand) {
		return nil, core.E(core.ErrForbidden, "your role may not change the brand")
	}
	t, err := s.deps.Identity.GetTenant(c.Request().Context(), caller, caller.Scope.TenantID)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "nav.brand")
	p.Form = map[string]string{"brand_name": t.BrandName, "brand_logo_url": t.BrandLogoURL, "brand_primary": t.BrandPrimary, "brand_accent": t.BrandAccent}
	return p, nil
}

func (s *Server) brandForm(c echo.Context) error {
	p, err := s.brandPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "brand", p)
}

func (s *Server) brandUpdate(c echo.Context) error {
	p, err := s.brandPage(c)
	if err != nil {
		return err
	}
	p.fill(c, "brand_name", "brand_logo_url", "brand_primary", "brand_accent")
	in := identity.BrandInput{Name: p.Form["brand_name"], LogoURL: p.Form["brand_logo_url"], Primary: p.Form["brand_primary"], Accent: p.Form["brand_accent"]}
	if _, err := s.deps.Identity.UpdateBrand(c.Request().Context(), callerOf(c), in); err != nil {
		return s.formError(c, "brand", p, err)
	}
	flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/brand")
}

func (s *Server) securityForm(c echo.Context) error {
	caller := callerOf(c)
	if !caller.Can(identity.PermSecurity) || caller.Scope.Kind != tenancy.KindOperator {
		return core.E(core.ErrForbidden, "only the operator's admins set the security policy")
	}
	rules, err := s.deps.Identity.TwoFactorPolicy(c.Request().Context())
	if err != nil {
		return err
	}
	p := s.newPage(c, "nav.security")
	p.Data = rules
	return s.render(c, http.StatusOK, "security", p)
}

func (s *Server) securityUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	rules, err := s.deps.Identity.TwoFactorPolicy(ctx)
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
	if err := s.deps.Identity.SetTwoFactorPolicy(ctx, callerOf(c), rules); err != nil {
		return err
	}
	flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/settings/security")
}

// byID serves GET and POST of an object's page: load builds the page for
// the :id in the caller's scope (not found outside it); on POST, the named
// form fields go back into the page and save applies them, then the
// browser returns to the page, or sees the form again with its problems.
func (s *Server) byID(name, base string, load func(echo.Context, int64) (*page, error), fields []string,
	save func(c echo.Context, id int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		p, err := load(c, id)
		if err != nil {
			return err
		}
		if c.Request().Method != http.MethodPost {
			return s.render(c, http.StatusOK, name, p)
		}
		p.fill(c, fields...)
		if err := save(c, id); err != nil {
			return s.formError(c, name, p, err)
		}
		flash(c, "saved")
		return c.Redirect(http.StatusSeeOther, base+strconv.FormatInt(id, 10))
	}
}

func (s *Server) saveTenant(c echo.Context, id int64) error {
	in := identity.UpdateTenantInput{Name: formPtr(c, "name"), Email: formPtr(c, "email"), Country: formPtr(c, "country"),
		Language: formPtr(c, "language"), Status: formPtr(c, "status")}
	_, err := s.deps.Identity.UpdateTenant(c.Request().Context(), callerOf(c), id, in)
	return err
}

func (s *Server) saveUser(c echo.Context, id int64) error {
	in := identity.UpdateUserInput{Name: formPtr(c, "name"), Language: formPtr(c, "language"), Status: formPtr(c, "status")}
	if r := formPtr(c, "role"); r != nil {
		role := identity.Role(*r)
		in.Role = &role
	}
	_, err := s.deps.Identity.UpdateUser(c.Request().Context(), callerOf(c), id, in)
	return err
}
