package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/panel/identity"
	"faktura/provisioning"
)

// accountJSON is an account with its domains and subdomains.
type accountJSON struct {
	provisioning.Account
	Domains []provisioning.Domain `json:"domains"`
}

func (s *Server) apiAccounts(c echo.Context) error {
	if err := need(c, identity.PermHostingRead); err != nil {
		return err
	}
	pg, err := apiPage(c)
	if err != nil {
		return err
	}
	f := provisioning.AccountFilter{Query: c.QueryParam("q"), State: provisioning.State(c.QueryParam("state")), TenantID: formInt(c.QueryParam("tenant_id"))}
	items, err := s.deps.Hosting.Accounts(c.Request().Context(), callerOf(c).Scope, f, pg)
	if err != nil {
		return err
	}
	out := list[provisioning.Account]{Data: items}
	if len(items) > 0 {
		out.NextCursor = cursorAfter(len(items), pg.Limit, items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiAccountCreate(c echo.Context) error {
	if err := need(c, identity.PermHostingWrite); err != nil {
		return err
	}
	var in provisioning.CreateAccountInput
	if err := bind(c, &in); err != nil {
		return err
	}
	a, err := s.deps.Hosting.CreateAccount(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return s.accountReply(c, http.StatusAccepted, a.ID)
}

// accountReply answers with the account and its domains as they are now.
func (s *Server) accountReply(c echo.Context, status int, id int64) error {
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	a, err := s.deps.Hosting.GetAccount(ctx, scope, id)
	if err != nil {
		return err
	}
	doms, err := s.deps.Hosting.Domains(ctx, scope, id)
	if err != nil {
		return err
	}
	if doms == nil {
		doms = []provisioning.Domain{}
	}
	return c.JSON(status, accountJSON{a, doms})
}

func (s *Server) apiAccount(c echo.Context) error {
	if err := need(c, identity.PermHostingRead); err != nil {
		return err
	}
	id, err := idParam(c)
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

func (s *Server) apiAccountAction(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in accountActionInput
	if c.Request().ContentLength != 0 {
		if err := bind(c, &in); err != nil {
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

func (s *Server) apiDomainCreate(c echo.Context) error {
	if err := need(c, identity.PermHostingWrite); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	d, err := s.deps.Hosting.AddDomain(c.Request().Context(), callerOf(c).Scope, id, in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}

func (s *Server) apiSubdomainCreate(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Label string `json:"label"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	d, err := s.addSubdomain(c, id, in.Label)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}

func (s *Server) apiDomain(c echo.Context) error {
	if err := need(c, identity.PermHostingRead); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	d, err := s.deps.Hosting.GetDomain(c.Request().Context(), callerOf(c).Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (s *Server) apiDomainDelete(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	d, err := s.removeDomain(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, d)
}

func (s *Server) apiServers(c echo.Context) error {
	if err := needOperator(c, identity.PermHostingRead); err != nil {
		return err
	}
	items, err := s.deps.Hosting.Servers(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[provisioning.Server]{Data: items})
}

func (s *Server) apiServerCreate(c echo.Context) error {
	if err := needOperator(c, identity.PermServers); err != nil {
		return err
	}
	var in provisioning.ServerInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if len(in.Settings) > 0 && !json.Valid(in.Settings) {
		return invalidJSON("settings")
	}
	srv, err := s.deps.Hosting.CreateServer(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, srv)
}

func (s *Server) apiServerUpdate(c echo.Context) error {
	if err := needOperator(c, identity.PermServers); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in provisioning.UpdateServerInput
	if err := bind(c, &in); err != nil {
		return err
	}
	srv, err := s.deps.Hosting.UpdateServer(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, srv)
}

func (s *Server) apiServerTest(c echo.Context) error {
	if err := needOperator(c, identity.PermServers); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	srv, err := s.deps.Hosting.TestServer(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, srv)
}

func (s *Server) apiPackages(c echo.Context) error {
	if err := need(c, identity.PermHostingRead); err != nil {
		return err
	}
	items, err := s.deps.Hosting.Packages(c.Request().Context(), callerOf(c).Scope)
	if err != nil {
		return err
	}
	if items == nil {
		items = []provisioning.Package{}
	}
	return c.JSON(http.StatusOK, list[provisioning.Package]{Data: items})
}

func (s *Server) apiPackageCreate(c echo.Context) error {
	if err := need(c, identity.PermHostingWrite); err != nil {
		return err
	}
	var in provisioning.PackageInput
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := s.deps.Hosting.CreatePackage(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *Server) apiResellerAccounts(c echo.Context) error {
	if err := need(c, identity.PermHostingRead); err != nil {
		return err
	}
	items, err := s.deps.Hosting.ListResellers(c.Request().Context(), callerOf(c).Scope)
	if err != nil {
		return err
	}
	if items == nil {
		items = []provisioning.ResellerAccount{}
	}
	return c.JSON(http.StatusOK, list[provisioning.ResellerAccount]{Data: items})
}

func (s *Server) apiResellerAccountCreate(c echo.Context) error {
	if err := needOperator(c, identity.PermResellerLimit); err != nil {
		return err
	}
	var in provisioning.ResellerInput
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := s.deps.Hosting.CreateReseller(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, r)
}

func (s *Server) apiResellerAccountUpdate(c echo.Context) error {
	if err := needOperator(c, identity.PermResellerLimit); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in provisioning.ResellerInput
	if err := bind(c, &in); err != nil {
		return err
	}
	r, err := s.deps.Hosting.UpdateReseller(c.Request().Context(), callerOf(c).Scope, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) apiResellerAccountAction(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if c.Request().ContentLength != 0 {
		if err := bind(c, &in); err != nil {
			return err
		}
	}
	r, err := s.resellerAction(c, id, c.Param("action"), in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
