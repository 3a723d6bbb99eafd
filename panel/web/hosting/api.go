package hosting

import (
	"encoding/json"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/provisioning"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// accountJSON is an account with its domains and subdomains.
type accountJSON struct {
	provisioning.Account
	Domains []provisioning.Domain `json:"domains"`
}

func (s *area) apiAccounts(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return err
	}
	pg, err := web.APIPage(c)
	if err != nil {
		return err
	}
	f := provisioning.AccountFilter{Query: c.QueryParam("q"), State: provisioning.State(c.QueryParam("state")), TenantID: web.FormInt(c.QueryParam("tenant_id"))}
	items, err := s.Deps.Hosting.Accounts(c.Request().Context(), web.CallerOf(c).Scope, f, pg)
	if err != nil {
		return err
	}
	out := web.List[provisioning.Account]{Data: items}
	if len(items) > 0 {
		out.NextCursor = web.CursorAfter(len(items), pg.Limit, items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *area) apiAccountCreate(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingWrite); err != nil {
		return err
	}
	var in provisioning.CreateAccountInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	a, err := s.Deps.Hosting.CreateAccount(c.Request().Context(), web.CallerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return s.accountReply(c, http.StatusAccepted, a.ID)
}

// accountReply answers with the account and its domains as they are now.
func (s *area) accountReply(c echo.Context, status int, id int64) error {
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	a, err := s.Deps.Hosting.GetAccount(ctx, scope, id)
	if err != nil {
		return err
	}
	doms, err := s.Deps.Hosting.Domains(ctx, scope, id)
	if err != nil {
		return err
	}
	if doms == nil {
		doms = []provisioning.Domain{}
	}
	return c.JSON(status, accountJSON{a, doms})
}

func (s *area) apiAccount(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	return s.accountReply(c, http.StatusOK, id)
}

// accountActionInput is the body of POST /accounts/:id/:action.
type accountActionInput struct {
	Reason    string `json:"reason"`
	PackageID int64  `json:"package_id"`
	Password  string `json:"password"`
}

func (s *area) apiAccountAction(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in accountActionInput
	if c.Request().ContentLength != 0 {
		if err := web.Bind(c, &in); err != nil {
			return err
		}
	}
	pkg := ""
	if in.PackageID != 0 {
		pkg = strconv.FormatInt(in.PackageID, 10)
	}
	if _, err := s.accountAction(c, id, c.Param("action"), in.Reason, pkg, in.Password); err != nil {
		return err
	}
	return s.accountReply(c, http.StatusAccepted, id)
}

func (s *area) apiDomainCreate(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingWrite); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	d, err := s.Deps.Hosting.AddDomain(c.Request().Context(), web.CallerOf(c).Scope, id, in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}

func (s *area) apiSubdomainCreate(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Label string `json:"label"`
	}
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	d, err := s.addSubdomain(c, id, in.Label)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}

func (s *area) apiDomain(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	d, err := s.Deps.Hosting.GetDomain(c.Request().Context(), web.CallerOf(c).Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *area) apiDomainDelete(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	d, err := s.removeDomain(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}

func (s *area) apiServers(c echo.Context) error {
	if err := web.NeedOperator(c, identity.PermHostingRead); err != nil {
		return err
	}
	items, err := s.Deps.Hosting.Servers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.List[provisioning.Server]{Data: items})
}

func (s *area) apiServerCreate(c echo.Context) error {
	if err := web.NeedOperator(c, identity.PermServers); err != nil {
		return err
	}
	var in provisioning.ServerInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	if len(in.Settings) > 0 && !json.Valid(in.Settings) {
		return web.InvalidJSON("settings")
	}
	srv, err := s.Deps.Hosting.CreateServer(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, srv)
}

func (s *area) apiServerUpdate(c echo.Context) error {
	if err := web.NeedOperator(c, identity.PermServers); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in provisioning.UpdateServerInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	srv, err := s.Deps.Hosting.UpdateServer(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, srv)
}

func (s *area) apiServerTest(c echo.Context) error {
	if err := web.NeedOperator(c, identity.PermServers); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	srv, err := s.Deps.Hosting.TestServer(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, srv)
}

func (s *area) apiPackages(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return err
	}
	items, err := s.Deps.Hosting.Packages(c.Request().Context(), web.CallerOf(c).Scope)
	if err != nil {
		return err
	}
	if items == nil {
		items = []provisioning.Package{}
	}
	return c.JSON(http.StatusOK, web.List[provisioning.Package]{Data: items})
}

func (s *area) apiPackageCreate(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingWrite); err != nil {
		return err
	}
	var in provisioning.PackageInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	p, err := s.Deps.Hosting.CreatePackage(c.Request().Context(), web.CallerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *area) apiResellerAccounts(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return err
	}
	items, err := s.Deps.Hosting.ListResellers(c.Request().Context(), web.CallerOf(c).Scope)
	if err != nil {
		return err
	}
	if items == nil {
		items = []provisioning.ResellerAccount{}
	}
	return c.JSON(http.StatusOK, web.List[provisioning.ResellerAccount]{Data: items})
}

func (s *area) apiResellerAccountCreate(c echo.Context) error {
	if err := web.NeedOperator(c, identity.PermResellerLimit); err != nil {
		return err
	}
	var in provisioning.ResellerInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	r, err := s.Deps.Hosting.CreateReseller(c.Request().Context(), web.CallerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

func (s *area) apiResellerAccountUpdate(c echo.Context) error {
	if err := web.NeedOperator(c, identity.PermResellerLimit); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in provisioning.ResellerInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	r, err := s.Deps.Hosting.UpdateReseller(c.Request().Context(), web.CallerOf(c).Scope, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *area) apiResellerAccountAction(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if c.Request().ContentLength != 0 {
		if err := web.Bind(c, &in); err != nil {
			return err
		}
	}
	r, err := s.resellerAction(c, id, c.Param("action"), in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
