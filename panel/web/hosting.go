package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/provisioning"
)

// The hosting handlers shared by the pages and the API: each checks the
// caller's permission on the server, then hands the caller's scope to
// provisioning, which keeps every query inside it.

// need returns a forbidden error unless the caller holds p.
func need(c echo.Context, p identity.Perm) error { return callerOf(c).Require(p) }

// needOperator refuses callers outside the operator's tenant.
func needOperator(c echo.Context, p identity.Perm) error {
	if callerOf(c).Scope.Kind != tenancy.KindOperator {
		return core.E(core.ErrForbidden, "only the operator may %s", p)
	}
	return need(c, p)
}

// accountAction runs a named action on an account: suspend (with reason),
// unsuspend, terminate, retry, package (with package_id) or password.
func (s *Server) accountAction(c echo.Context, id int64, action string, reason, packageID, password string) (provisioning.Account, error) {
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	h := s.deps.Hosting
	if action == "password" {
		if err := need(c, identity.PermSubdomains); err != nil {
			return provisioning.Account{}, err
		}
		return h.ChangePassword(ctx, scope, id, password)
	}
	if err := need(c, identity.PermHostingWrite); err != nil {
		return provisioning.Account{}, err
	}
	switch action {
	case "suspend":
		return h.SuspendAccount(ctx, scope, id, provisioning.Reason(reason))
	case "unsuspend":
		return h.UnsuspendAccount(ctx, scope, id)
	case "terminate":
		return h.TerminateAccount(ctx, scope, id)
	case "retry":
		return h.RetryAccount(ctx, scope, id)
	case "package":
		pid, err := strconv.ParseInt(strings.TrimSpace(packageID), 10, 64)
		if err != nil {
			return provisioning.Account{}, core.Invalid("package_id", "must be a package id")
		}
		return h.ChangePackage(ctx, scope, id, pid)
	}
	return provisioning.Account{}, core.E(core.ErrNotFound, "no action %q; use suspend, unsuspend, terminate, retry, package or password", action)
}

// resellerAction runs suspend (with reason), unsuspend or terminate on a
// reseller account.
func (s *Server) resellerAction(c echo.Context, id int64, action, reason string) (provisioning.ResellerAccount, error) {
	if err := needOperator(c, identity.PermResellerLimit); err != nil {
		return provisioning.ResellerAccount{}, err
	}
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	switch action {
	case "suspend":
		return s.deps.Hosting.SuspendReseller(ctx, scope, id, provisioning.Reason(reason))
	case "unsuspend":
		return s.deps.Hosting.UnsuspendReseller(ctx, scope, id)
	case "terminate":
		return s.deps.Hosting.TerminateReseller(ctx, scope, id)
	}
	return provisioning.ResellerAccount{}, core.E(core.ErrNotFound, "no action %q; use suspend, unsuspend or terminate", action)
}

// addSubdomain checks the caller may add subdomains; provisioning checks
// the package lets a client do so.
func (s *Server) addSubdomain(c echo.Context, domainID int64, label string) (provisioning.Domain, error) {
	if err := need(c, identity.PermSubdomains); err != nil {
		return provisioning.Domain{}, err
	}
	return s.deps.Hosting.AddSubdomain(c.Request().Context(), callerOf(c).Scope, domainID, label)
}

// removeDomain removes a domain (hosting.write) or a subdomain (also
// subdomains.write).
func (s *Server) removeDomain(c echo.Context, id int64) (provisioning.Domain, error) {
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	d, err := s.deps.Hosting.GetDomain(ctx, scope, id)
	if err != nil {
		return d, err
	}
	perm := identity.PermHostingWrite
	if d.IsSubdomain() {
		perm = identity.PermSubdomains
	}
	if err := need(c, perm); err != nil {
		return d, err
	}
	return s.deps.Hosting.RemoveDomain(ctx, scope, id)
}

func invalidJSON(field string) error { return core.Invalid(field, "must be a JSON object") }
