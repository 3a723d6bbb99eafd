package hosting

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing/usage"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/provisioning"
)

type hostingListView struct {
	web.ListView[provisioning.Account]
	States   []provisioning.State
	Owners   map[int64]string // tenant id -> name
	Domains  map[int64]string // account id -> main domain
	Packages map[int64]string // package id -> name
	Servers  map[int64]string // server id -> name (the operator's view)
}

func (s *area) hostingList(c echo.Context) error {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return err
	}
	p := s.NewPage(c, "nav.hosting")
	p.Fill(c, "q", "state")
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	items, err := s.Deps.Hosting.Accounts(c.Request().Context(), web.CallerOf(c).Scope,
		provisioning.AccountFilter{Query: p.Form["q"], State: provisioning.State(p.Form["state"])}, core.Page{Before: before, Limit: web.PageSize})
	if err != nil {
		return err
	}
	v := hostingListView{ListView: web.ListOf(c, items, web.PageSize, func(r provisioning.Account) int64 { return r.ID }),
		States: []provisioning.State{provisioning.StatePending, provisioning.StateActive, provisioning.StateSuspended, provisioning.StateTerminated, provisioning.StateFailed}}
	if err := s.listNames(c, items, &v); err != nil {
		return err
	}
	p.Data = v
	return s.Render(c, http.StatusOK, "hosting", p)
}

type hostingNewView struct {
	Owners   []identity.Tenant
	Packages []provisioning.Package
	Servers  []provisioning.Server
}

func (s *area) hostingNewPage(c echo.Context) (*web.Page, error) {
	if err := web.Need(c, identity.PermHostingWrite); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	owners, err := s.Deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{}, core.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	pkgs, err := s.Deps.Hosting.Packages(ctx, caller.Scope)
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
		if v.Servers, err = s.Deps.Hosting.Servers(ctx); err != nil {
			return nil, err
		}
	}
	p := s.NewPage(c, "hosting.new")
	p.Data = v
	p.Form["tenant_id"] = c.QueryParam("tenant_id")
	return p, nil
}

func (s *area) saveAccount(c echo.Context, p *web.Page) (int64, error) {
	p.Fill(c, "tenant_id", "package_id", "server_id", "username", "domain")
	in := provisioning.CreateAccountInput{TenantID: web.FormInt(p.Form["tenant_id"]), PackageID: web.FormInt(p.Form["package_id"]),
		Username: p.Form["username"], Domain: p.Form["domain"]}
	if web.CallerOf(c).Scope.Kind == tenancy.KindOperator {
		in.ServerID = web.FormInt(p.Form["server_id"])
	}
	a, err := s.Deps.Hosting.CreateAccount(c.Request().Context(), web.CallerOf(c).Scope, in)
	return a.ID, err
}

type accountView struct {
	Account  provisioning.Account
	Owner    identity.Tenant
	Package  provisioning.Package
	Packages []provisioning.Package
	Domains  []provisioning.Domain
	Jobs     []provisioning.Job
	Reasons  []provisioning.Reason
	Usage    usageView
}

func (s *area) accountPage(c echo.Context, id int64) (*web.Page, error) {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	a, err := s.Deps.Hosting.GetAccount(ctx, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	v := accountView{Account: a, Reasons: provisioning.Reasons}
	if v.Owner, err = s.Deps.Identity.GetTenant(ctx, caller, a.TenantID); err != nil {
		return nil, err
	}
	if v.Domains, err = s.Deps.Hosting.Domains(ctx, caller.Scope, id); err != nil {
		return nil, err
	}
	if v.Jobs, err = s.Deps.Hosting.Jobs(ctx, caller.Scope, id, 10); err != nil {
		return nil, err
	}
	pkgs, err := s.Deps.Hosting.Packages(ctx, caller.Scope)
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
	rep, err := s.Deps.Usage.Account(ctx, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	v.Usage = newUsageView(rep)
	p := s.NewPage(c, "hosting.account")
	p.Data = v
	return p, nil
}

// accountPost handles the account page's forms: an action, a new domain,
// a new subdomain or a domain's removal, then shows the account again.
func (s *area) accountPost(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	var opErr error
	switch action := c.Param("action"); action {
	case "domains":
		if opErr = web.Need(c, identity.PermHostingWrite); opErr == nil {
			_, opErr = s.Deps.Hosting.AddDomain(ctx, scope, id, c.FormValue("name"))
		}
	case "subdomains":
		_, opErr = s.addSubdomain(c.Request().Context(), web.CallerOf(c), web.FormInt(c.FormValue("domain_id")), labelInput{c.FormValue("label")})
	case "remove-domain":
		if opErr = web.Confirmed(c); opErr == nil {
			_, opErr = s.removeDomain(c.Request().Context(), web.CallerOf(c), web.FormInt(c.FormValue("domain_id")), struct{}{})
		}
	case "terminate":
		if opErr = web.Confirmed(c); opErr == nil {
			_, opErr = s.accountAction(c, id, action, "", "", "")
		}
	default:
		_, opErr = s.accountAction(c, id, action, c.FormValue("reason"), c.FormValue("package_id"), c.FormValue("password"))
	}
	if opErr != nil {
		p, err := s.accountPage(c, id)
		if err != nil {
			return err
		}
		p.Fill(c, "name", "label", "domain_id", "reason", "package_id")
		return s.FormError(c, "account", p, opErr)
	}
	web.Flash(c, "queued")
	return c.Redirect(http.StatusSeeOther, "/hosting/"+strconv.FormatInt(id, 10))
}

type serversView struct {
	Servers []provisioning.Server
	Drivers []string
}

func (s *area) serversPage(c echo.Context) (*web.Page, error) {
	if err := web.NeedOperator(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	list, err := s.Deps.Hosting.Servers(c.Request().Context())
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "nav.servers")
	p.Data = serversView{Servers: list, Drivers: provisioning.DriverNames()}
	p.Form["settings"] = "{}"
	return p, nil
}

func (s *area) saveServer(c echo.Context, p *web.Page) error {
	if err := web.NeedOperator(c, identity.PermServers); err != nil {
		return err
	}
	p.Fill(c, "name", "driver", "settings", "capacity")
	capacity, _ := strconv.Atoi(p.Form["capacity"])
	in := provisioning.ServerInput{Name: p.Form["name"], Driver: p.Form["driver"], Settings: json.RawMessage(p.Form["settings"]), Capacity: capacity}
	if !json.Valid(in.Settings) {
		return web.InvalidJSON("settings")
	}
	_, err := s.Deps.Hosting.CreateServer(c.Request().Context(), in)
	return err
}

func (s *area) serverTest(c echo.Context) error {
	if err := web.NeedOperator(c, identity.PermServers); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if _, err := s.Deps.Hosting.TestServer(c.Request().Context(), id); err != nil {
		return err
	}
	web.Flash(c, "tested")
	return c.Redirect(http.StatusSeeOther, "/servers")
}

func (s *area) packagesPage(c echo.Context) (*web.Page, error) {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	list, err := s.Deps.Hosting.Packages(c.Request().Context(), web.CallerOf(c).Scope)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "nav.packages")
	p.Data = list
	return p, nil
}

func (s *area) savePackage(c echo.Context, p *web.Page) error {
	if err := web.Need(c, identity.PermHostingWrite); err != nil {
		return err
	}
	p.Fill(c, "code", "name", "disk_mb", "traffic_mb", "max_domains", "max_subdomains")
	in := provisioning.PackageInput{Code: p.Form["code"], Name: p.Form["name"], DiskMB: web.FormInt(p.Form["disk_mb"]),
		TrafficMB: web.FormInt(p.Form["traffic_mb"]), MaxDomains: int(web.FormInt(p.Form["max_domains"])),
		MaxSubdomains: int(web.FormInt(p.Form["max_subdomains"])), ClientSubdomains: c.FormValue("client_subdomains") == "on"}
	_, err := s.Deps.Hosting.CreatePackage(c.Request().Context(), web.CallerOf(c).Scope, in)
	return err
}

type resellerAccountsView struct {
	Accounts  []provisioning.ResellerAccount
	Resellers []identity.Tenant
	Reasons   []provisioning.Reason
}

func (s *area) resellerAccountsPage(c echo.Context) (*web.Page, error) {
	if err := web.Need(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	list, err := s.Deps.Hosting.ListResellers(ctx, caller.Scope)
	if err != nil {
		return nil, err
	}
	v := resellerAccountsView{Accounts: list, Reasons: provisioning.Reasons}
	if caller.Can(identity.PermResellerLimit) {
		if v.Resellers, err = s.Deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{Kind: tenancy.KindReseller}, core.Page{Limit: 200}); err != nil {
			return nil, err
		}
	}
	p := s.NewPage(c, "nav.reseller_accounts")
	p.Data = v
	return p, nil
}

// resellerAccountPost opens a reseller account (no id) or changes one:
// new limits, or suspend / unsuspend / terminate.
func (s *area) resellerAccountPost(c echo.Context) error {
	p, err := s.resellerAccountsPage(c)
	if err != nil {
		return err
	}
	if err := web.NeedOperator(c, identity.PermResellerLimit); err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	p.Fill(c, "tenant_id", "package", "max_clients", "disk_mb", "traffic_mb")
	in := provisioning.ResellerInput{TenantID: web.FormInt(p.Form["tenant_id"]), Package: p.Form["package"], MaxClients: int(web.FormInt(p.Form["max_clients"])),
		DiskMB: web.FormInt(p.Form["disk_mb"]), TrafficMB: web.FormInt(p.Form["traffic_mb"])}
	if c.Param("id") == "" {
		_, err = s.Deps.Hosting.CreateReseller(ctx, scope, in)
	} else if id, perr := web.IDParam(c); perr != nil {
		return perr
	} else if action := c.FormValue("action"); action == "update" {
		_, err = s.Deps.Hosting.UpdateReseller(ctx, scope, id, in)
	} else if err = s.confirmTerminate(c, action); err == nil {
		_, err = s.resellerAction(c, id, action, c.FormValue("reason"))
	}
	if err != nil {
		return s.FormError(c, "reseller_accounts", p, err)
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/reseller-accounts")
}

// serverPage is a server's page: its settings to edit, enabled or not,
// and its removal (the operator's).
func (s *area) serverPage(c echo.Context, id int64) (*web.Page, error) {
	if err := web.NeedOperator(c, identity.PermHostingRead); err != nil {
		return nil, err
	}
	srv, err := s.Deps.Hosting.GetServer(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "servers.edit")
	col, err := s.Deps.Usage.CollectionOf(c.Request().Context(), srv.ID)
	if err != nil {
		return nil, err
	}
	top, err := s.Deps.Usage.TopConsumers(c.Request().Context(), srv.ID, 10)
	if err != nil {
		return nil, err
	}
	p.Data = serverView{Server: srv, Collection: col, Top: top}
	p.Form["name"], p.Form["capacity"], p.Form["settings"] = srv.Name, strconv.Itoa(srv.Capacity), srv.Settings
	if srv.Enabled {
		p.Form["enabled"] = "on"
	}
	return p, nil
}

func (s *area) saveServerEdit(c echo.Context, id int64) error {
	if err := web.NeedOperator(c, identity.PermServers); err != nil {
		return err
	}
	name, settings := strings.TrimSpace(c.FormValue("name")), strings.TrimSpace(c.FormValue("settings"))
	capacity, err := strconv.Atoi(strings.TrimSpace(c.FormValue("capacity")))
	if err != nil {
		return core.Invalid("capacity", "must be a whole number (0: no limit)")
	}
	if !json.Valid([]byte(settings)) {
		return web.InvalidJSON("settings")
	}
	enabled := c.FormValue("enabled") == "on"
	_, err = s.Deps.Hosting.UpdateServer(c.Request().Context(), id, provisioning.UpdateServerInput{Name: &name, Settings: json.RawMessage(settings),
		Capacity: &capacity, Enabled: &enabled})
	return err
}

// serverDelete removes a server that never hosted anything, once the
// operator ticked the confirmation.
func (s *area) serverDelete(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	p, err := s.serverPage(c, id)
	if err != nil {
		return err
	}
	if err := web.NeedOperator(c, identity.PermServers); err != nil {
		return err
	}
	if err := web.Confirmed(c); err != nil {
		return s.FormError(c, "server", p, err)
	}
	if _, err := s.Deps.Hosting.DeleteServer(c.Request().Context(), id); err != nil {
		return s.FormError(c, "server", p, err)
	}
	web.Flash(c, "deleted")
	return c.Redirect(http.StatusSeeOther, "/servers")
}

// listNames puts the owners', main domains', packages' and (for the
// operator) servers' names beside the accounts of a list.
func (s *area) listNames(c echo.Context, items []provisioning.Account, v *hostingListView) error {
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	owners, ids := make([]int64, len(items)), make([]int64, len(items))
	for i, a := range items {
		owners[i], ids[i] = a.TenantID, a.ID
	}
	v.Owners = s.TenantNames(c, owners)
	var err error
	if v.Domains, err = s.Deps.Hosting.MainDomains(ctx, caller.Scope, ids); err != nil {
		return err
	}
	pkgs, err := s.Deps.Hosting.Packages(ctx, caller.Scope)
	if err != nil {
		return err
	}
	v.Packages = map[int64]string{}
	for _, p := range pkgs {
		v.Packages[p.ID] = p.Name
	}
	if caller.Scope.Kind == tenancy.KindOperator {
		srvs, err := s.Deps.Hosting.Servers(ctx)
		if err != nil {
			return err
		}
		v.Servers = map[int64]string{}
		for _, sv := range srvs {
			v.Servers[sv.ID] = sv.Name
		}
	}
	return nil
}

// confirmTerminate asks for the confirmation box when action terminates.
func (s *area) confirmTerminate(c echo.Context, action string) error {
	if action == "terminate" {
		return web.Confirmed(c)
	}
	return nil
}

// serverView is a server's page: the server and where its usage
// collection stands.
type serverView struct {
	provisioning.Server
	Collection *usage.Collection
	Top        []usage.Consumer // the month's top traffic
}

// Fmt formats byte counts in the template.
func (serverView) Fmt(n int64) string { return Bytes(n) }

// CollectFailed reports whether the last usage collection failed.
func (v serverView) CollectFailed() bool {
	c := v.Collection
	return c != nil && c.FailedAt != nil && (c.LastOKAt == nil || c.FailedAt.After(*c.LastOKAt))
}
