package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/provisioning"
)

type hostingListView struct {
	listView[provisioning.Account]
	States []provisioning.State
}

func (s *Server) hostingList(c echo.Context) error {
	if err := need(c, identity.PermHostingRead); err != nil {
		return err
	}
	p := s.newPage(c, "nav.hosting")
	p.fill(c, "q", "state")
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	items, err := s.deps.Hosting.Accounts(c.Request().Context(), callerOf(c).Scope,
		provisioning.AccountFilter{Query: p.Form["q"], State: provisioning.State(p.Form["state"])}, core.Page{Before: before, Limit: pageSize})
	if err != nil {
		return err
	}
	v := hostingListView{listView: listView[provisioning.Account]{Items: items},
		States: []provisioning.State{provisioning.StatePending, provisioning.StateActive, provisioning.StateSuspended, provisioning.StateTerminated, provisioning.StateFailed}}
	if len(items) > 0 {
		v.Next = nextLink(c, len(items), pageSize, items[len(items)-1].ID)
	}
	p.Data = v
	return s.render(c, http.StatusOK, "hosting", p)
}

type hostingNewView struct {
	Owners   []identity.Tenant
	Packages []provisioning.Package
	Servers  []provisioning.Server
}

func (s *Server) hostingNewPage(c echo.Context) (*page, error) {
	if err := need(c, identity.PermHostingWrite); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), callerOf(c)
	owners, err := s.deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{}, core.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	pkgs, err := s.deps.Hosting.Packages(ctx, caller.Scope)
	if err != nil {
		return nil, err
	}
	v := hostingNewView{Packages: pkgs}
	for _, t := range owners {
		if t.Kind != tenancy.KindOperator {
			v.Owners = append(v.Owners, t)
		}
	}
	if caller.Scope.Kind == tenancy.KindOperator {
		if v.Servers, err = s.deps.Hosting.Servers(ctx); err != nil {
			return nil, err
		}
	}
	p := s.newPage(c, "hosting.new")
	p.Data = v
	return p, nil
}

func (s *Server) hostingNew(c echo.Context) error {
	p, err := s.hostingNewPage(c)
	if err != nil {
		return err
	}
	p.Form["tenant_id"] = c.QueryParam("tenant_id")
	return s.render(c, http.StatusOK, "hosting_new", p)
}

func (s *Server) hostingCreate(c echo.Context) error {
	p, err := s.hostingNewPage(c)
	if err != nil {
		return err
	}
	p.fill(c, "tenant_id", "package_id", "server_id", "username", "domain")
	in := provisioning.CreateAccountInput{TenantID: formInt(p.Form["tenant_id"]), PackageID: formInt(p.Form["package_id"]),
		Username: p.Form["username"], Domain: p.Form["domain"]}
	if callerOf(c).Scope.Kind == tenancy.KindOperator {
		in.ServerID = formInt(p.Form["server_id"])
	}
	a, err := s.deps.Hosting.CreateAccount(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return s.formError(c, "hosting_new", p, err)
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/hosting/"+strconv.FormatInt(a.ID, 10))
}

// formInt reads a form id; anything else is 0, which the input checks
// report as missing.
func formInt(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

type accountView struct {
	Account  provisioning.Account
	Owner    identity.Tenant
	Package  provisioning.Package
	Packages []provisioning.Package
	Domains  []provisioning.Domain
	Jobs     []provisioning.Job
	Reasons  []provisioning.Reason
}

func (s *Server) accountPage(c echo.Context, id int64) (*page, error) {
	if err := need(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), callerOf(c)
	a, err := s.deps.Hosting.GetAccount(ctx, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	v := accountView{Account: a, Reasons: provisioning.Reasons}
	if v.Owner, err = s.deps.Identity.GetTenant(ctx, caller, a.TenantID); err != nil {
		return nil, err
	}
	if v.Domains, err = s.deps.Hosting.Domains(ctx, caller.Scope, id); err != nil {
		return nil, err
	}
	if v.Jobs, err = s.deps.Hosting.Jobs(ctx, caller.Scope, id, 10); err != nil {
		return nil, err
	}
	pkgs, err := s.deps.Hosting.Packages(ctx, caller.Scope)
	if err != nil {
		return nil, err
	}
	for _, pk := range pkgs {
		if pk.ID == a.PackageID {
			v.Package = pk
		}
		if pk.TenantID == a.SellerID || pk.TenantID == 1 {
			v.Packages = append(v.Packages, pk)
		}
	}
	p := s.newPage(c, "hosting.account")
	p.Data = v
	return p, nil
}

func (s *Server) accountShow(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := s.accountPage(c, id)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "account", p)
}

// accountPost handles the account page's forms: an action, a new domain,
// a new subdomain or a domain's removal, then shows the account again.
func (s *Server) accountPost(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	var opErr error
	switch action := c.Param("action"); action {
	case "domains":
		if opErr = need(c, identity.PermHostingWrite); opErr == nil {
			_, opErr = s.deps.Hosting.AddDomain(ctx, scope, id, c.FormValue("name"))
		}
	case "subdomains":
		_, opErr = s.addSubdomain(c, formInt(c.FormValue("domain_id")), c.FormValue("label"))
	case "remove-domain":
		_, opErr = s.removeDomain(c, formInt(c.FormValue("domain_id")))
	default:
		_, opErr = s.accountAction(c, id, action, c.FormValue("reason"), c.FormValue("package_id"), c.FormValue("password"))
	}
	if opErr != nil {
		p, err := s.accountPage(c, id)
		if err != nil {
			return err
		}
		p.fill(c, "name", "label", "domain_id", "reason", "package_id")
		return s.formError(c, "account", p, opErr)
	}
	flash(c, "queued")
	return c.Redirect(http.StatusSeeOther, "/hosting/"+strconv.FormatInt(id, 10))
}

type serversView struct {
	Servers []provisioning.Server
	Drivers []string
}

func (s *Server) serversPage(c echo.Context) (*page, error) {
	if err := needOperator(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	list, err := s.deps.Hosting.Servers(c.Request().Context())
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "nav.servers")
	p.Data = serversView{Servers: list, Drivers: provisioning.DriverNames()}
	p.Form["settings"] = "{}"
	return p, nil
}

func (s *Server) serverList(c echo.Context) error {
	p, err := s.serversPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "servers", p)
}

func (s *Server) serverCreate(c echo.Context) error {
	p, err := s.serversPage(c)
	if err != nil {
		return err
	}
	if err := needOperator(c, identity.PermServers); err != nil {
		return err
	}
	p.fill(c, "name", "driver", "settings", "capacity")
	capacity, _ := strconv.Atoi(p.Form["capacity"])
	in := provisioning.ServerInput{Name: p.Form["name"], Driver: p.Form["driver"], Settings: json.RawMessage(p.Form["settings"]), Capacity: capacity}
	if !json.Valid(in.Settings) {
		return s.formError(c, "servers", p, invalidJSON("settings"))
	}
	if _, err := s.deps.Hosting.CreateServer(c.Request().Context(), in); err != nil {
		return s.formError(c, "servers", p, err)
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/servers")
}

func (s *Server) serverTest(c echo.Context) error {
	if err := needOperator(c, identity.PermServers); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Hosting.TestServer(c.Request().Context(), id); err != nil {
		return err
	}
	flash(c, "tested")
	return c.Redirect(http.StatusSeeOther, "/servers")
}

func (s *Server) packagesPage(c echo.Context) (*page, error) {
	if err := need(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	list, err := s.deps.Hosting.Packages(c.Request().Context(), callerOf(c).Scope)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "nav.packages")
	p.Data = list
	return p, nil
}

func (s *Server) packageList(c echo.Context) error {
	p, err := s.packagesPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "packages", p)
}

func (s *Server) packageCreate(c echo.Context) error {
	p, err := s.packagesPage(c)
	if err != nil {
		return err
	}
	if err := need(c, identity.PermHostingWrite); err != nil {
		return err
	}
	p.fill(c, "code", "name", "disk_mb", "traffic_mb", "max_domains", "max_subdomains")
	in := provisioning.PackageInput{Code: p.Form["code"], Name: p.Form["name"], DiskMB: formInt(p.Form["disk_mb"]),
		TrafficMB: formInt(p.Form["traffic_mb"]), MaxDomains: int(formInt(p.Form["max_domains"])),
		MaxSubdomains: int(formInt(p.Form["max_subdomains"])), ClientSubdomains: c.FormValue("client_subdomains") == "on"}
	if _, err := s.deps.Hosting.CreatePackage(c.Request().Context(), callerOf(c).Scope, in); err != nil {
		return s.formError(c, "packages", p, err)
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/packages")
}

type resellerAccountsView struct {
	Accounts  []provisioning.ResellerAccount
	Resellers []identity.Tenant
	Reasons   []provisioning.Reason
}

func (s *Server) resellerAccountsPage(c echo.Context) (*page, error) {
	if err := need(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), callerOf(c)
	list, err := s.deps.Hosting.ListResellers(ctx, caller.Scope)
	if err != nil {
		return nil, err
	}
	v := resellerAccountsView{Accounts: list, Reasons: provisioning.Reasons}
	if caller.Can(identity.PermResellerLimit) {
		if v.Resellers, err = s.deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{Kind: tenancy.KindReseller}, core.Page{Limit: 200}); err != nil {
			return nil, err
		}
	}
	p := s.newPage(c, "nav.reseller_accounts")
	p.Data = v
	return p, nil
}

func (s *Server) resellerAccountList(c echo.Context) error {
	p, err := s.resellerAccountsPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "reseller_accounts", p)
}

// resellerAccountPost opens a reseller account (no id) or changes one:
// new limits, or suspend / unsuspend / terminate.
func (s *Server) resellerAccountPost(c echo.Context) error {
	p, err := s.resellerAccountsPage(c)
	if err != nil {
		return err
	}
	if err := needOperator(c, identity.PermResellerLimit); err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	p.fill(c, "tenant_id", "package", "max_clients", "disk_mb", "traffic_mb")
	in := provisioning.ResellerInput{TenantID: formInt(p.Form["tenant_id"]), Package: p.Form["package"], MaxClients: int(formInt(p.Form["max_clients"])),
		DiskMB: formInt(p.Form["disk_mb"]), TrafficMB: formInt(p.Form["traffic_mb"])}
	if c.Param("id") == "" {
		_, err = s.deps.Hosting.CreateReseller(ctx, scope, in)
	} else if id, perr := idParam(c); perr != nil {
		return perr
	} else if action := c.FormValue("action"); action == "update" {
		_, err = s.deps.Hosting.UpdateReseller(ctx, scope, id, in)
	} else {
		_, err = s.resellerAction(c, id, action, c.FormValue("reason"))
	}
	if err != nil {
		return s.formError(c, "reseller_accounts", p, err)
	}
	flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/reseller-accounts")
}
