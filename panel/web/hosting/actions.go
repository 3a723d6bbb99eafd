package hosting

import (
	"context"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/provisioning"
)

// accountAction runs a named action on an account: suspend (with reason),
// unsuspend, terminate, retry, package (with package_id) or password.
func (s *area) accountAction(c echo.Context, id int64, action string, reason, packageID, password string) (provisioning.Account, error) {
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	h := s.Deps.Hosting
	if action == "password" {
		if err := web.Need(c, identity.PermSubdomains); err != nil {
			return provisioning.Account{}, err
		}
		return h.ChangePassword(ctx, scope, id, password)
	}
	if err := web.Need(c, identity.PermHostingWrite); err != nil {
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
func (s *area) resellerAction(c echo.Context, id int64, action, reason string) (provisioning.ResellerAccount, error) {
	if err := web.NeedOperator(c, identity.PermResellerLimit); err != nil {
		return provisioning.ResellerAccount{}, err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	switch action {
	case "suspend":
		return s.Deps.Hosting.SuspendReseller(ctx, scope, id, provisioning.Reason(reason))
	case "unsuspend":
		return s.Deps.Hosting.UnsuspendReseller(ctx, scope, id)
	case "terminate":
		return s.Deps.Hosting.TerminateReseller(ctx, scope, id)
	}
	return provisioning.ResellerAccount{}, core.E(core.ErrNotFound, "no action %q; use suspend, unsuspend or terminate", action)
}

// addSubdomain checks the caller may add subdomains; provisioning checks
// the package lets a client do so.
func (s *area) addSubdomain(ctx context.Context, c identity.Caller, domainID int64, in labelInput) (provisioning.Domain, error) {
	if err := c.Require(identity.PermSubdomains); err != nil {
		return provisioning.Domain{}, err
	}
	return s.Deps.Hosting.AddSubdomain(ctx, c.Scope, domainID, in.Label)
}

// labelInput is the body of POST /domains/:id/subdomains.
type labelInput struct {
	Label string `json:"label"`
}

// removeDomain removes a domain (hosting.write) or a subdomain (also
// subdomains.write).
func (s *area) removeDomain(ctx context.Context, c identity.Caller, id int64, _ struct{}) (provisioning.Domain, error) {
	scope := c.Scope
	d, err := s.Deps.Hosting.GetDomain(ctx, scope, id)
	if err != nil {
		return d, err
	}
	perm := identity.PermHostingWrite
	if d.IsSubdomain() {
		perm = identity.PermSubdomains
	}
	if err := c.Require(perm); err != nil {
		return d, err
	}
	return s.Deps.Hosting.RemoveDomain(ctx, scope, id)
}
