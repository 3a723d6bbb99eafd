package hosting

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/provisioning"
)

// accountJSON is an account with its domains and subdomains.
type accountJSON struct {
	provisioning.Account
	Domains []provisioning.Domain `json:"domains"`
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
	a, err := s.account(c.Request().Context(), web.CallerOf(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, a)
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

// The module calls the API answers with.

func accountFilter(c echo.Context) (provisioning.AccountFilter, error) {
	return provisioning.AccountFilter{Query: c.QueryParam("q"), State: provisioning.State(c.QueryParam("state")),
		TenantID: web.FormInt(c.QueryParam("tenant_id"))}, nil
}

func (s *area) accounts(ctx context.Context, c identity.Caller, f provisioning.AccountFilter, p core.Page) ([]provisioning.Account, error) {
	return s.Deps.Hosting.Accounts(ctx, c.Scope, f, p)
}

func (s *area) servers(ctx context.Context, _ identity.Caller) ([]provisioning.Server, error) {
	return s.Deps.Hosting.Servers(ctx)
}

func (s *area) createServer(ctx context.Context, _ identity.Caller, in provisioning.ServerInput) (provisioning.Server, error) {
	if len(in.Settings) > 0 && !json.Valid(in.Settings) {
		return provisioning.Server{}, web.InvalidJSON("settings")
	}
	return s.Deps.Hosting.CreateServer(ctx, in)
}

func (s *area) updateServer(ctx context.Context, _ identity.Caller, id int64, in provisioning.UpdateServerInput) (provisioning.Server, error) {
	return s.Deps.Hosting.UpdateServer(ctx, id, in)
}

func (s *area) testServer(ctx context.Context, _ identity.Caller, id int64) (provisioning.Server, error) {
	return s.Deps.Hosting.TestServer(ctx, id)
}

func (s *area) packages(ctx context.Context, c identity.Caller) ([]provisioning.Package, error) {
	return s.Deps.Hosting.Packages(ctx, c.Scope)
}

func (s *area) resellers(ctx context.Context, c identity.Caller) ([]provisioning.ResellerAccount, error) {
	return s.Deps.Hosting.ListResellers(ctx, c.Scope)
}

// account is the account with its domains as they are now.
func (s *area) account(ctx context.Context, c identity.Caller, id int64) (accountJSON, error) {
	a, err := s.Deps.Hosting.GetAccount(ctx, c.Scope, id)
	if err != nil {
		return accountJSON{}, err
	}
	doms, err := s.Deps.Hosting.Domains(ctx, c.Scope, id)
	if doms == nil {
		doms = []provisioning.Domain{}
	}
	return accountJSON{a, doms}, err
}

func (s *area) createAccount(ctx context.Context, c identity.Caller, in provisioning.CreateAccountInput) (accountJSON, error) {
	a, err := s.Deps.Hosting.CreateAccount(ctx, c.Scope, in)
	if err != nil {
		return accountJSON{}, err
	}
	return s.account(ctx, c, a.ID)
}

// domainInput is the body of POST /accounts/:id/domains.
type domainInput struct {
	Name string `json:"name"`
}

func (s *area) addDomain(ctx context.Context, c identity.Caller, id int64, in domainInput) (provisioning.Domain, error) {
	return s.Deps.Hosting.AddDomain(ctx, c.Scope, id, in.Name)
}
