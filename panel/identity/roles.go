package identity

import (
	"slices"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
)

// Role is what a user or API key may do within its tenant.
type Role string

// Operator staff roles.
const (
	RoleAdmin   Role = "admin"
	RoleBilling Role = "billing"
	RoleSupport Role = "support"
	RoleAuditor Role = "auditor"
)

// Reseller and client roles. Both kinds have an owner; a reseller adds
// staff, a client adds the users its owner invites.
const (
	RoleOwner Role = "owner"
	RoleStaff Role = "staff"
	RoleUser  Role = "user"
)

// Perm is one permission a role grants.
type Perm string

// The permissions. Reads and writes are separate so the auditor role is
// read-only by construction.
const (
	PermTenantsRead  Perm = "tenants.read"
	PermTenantsWrite Perm = "tenants.write"
	PermUsersRead    Perm = "users.read"
	PermUsersWrite   Perm = "users.write"
	PermAuditRead    Perm = "audit.read"
	PermKeysRead     Perm = "apikeys.read"
	PermKeysWrite    Perm = "apikeys.write"
	PermBrand        Perm = "brand.write"
	PermSecurity     Perm = "security.write"
	// Hosting: reading accounts, domains and packages; creating, suspending
	// and terminating them; adding subdomains (a client only where its
	// package allows); servers (the operator's); reseller accounts and
	// their limits (the operator's).
	PermHostingRead   Perm = "hosting.read"
	PermHostingWrite  Perm = "hosting.write"
	PermSubdomains    Perm = "subdomains.write"
	PermServers       Perm = "servers.write"
	PermResellerLimit Perm = "resellers.write"
	// Billing: reading catalog, contracts, invoices and profiles; the
	// seller's catalog and coupons; contracts (manual ones, termination,
	// coupons); invoices (drafts, lines, finalizing, credit notes);
	// approving held invoices; billing profiles.
	PermBillingRead Perm = "billing.read"
	PermCatalog     Perm = "catalog.write"
	PermContracts   Perm = "contracts.write"
	PermInvoices    Perm = "invoices.write"
	PermApprove     Perm = "invoices.approve"
	PermProfile     Perm = "billing_profile.write"
	// PermSettings reads and changes the business rules of the caller's
	// own levels of the settings chain.
	PermSettings Perm = "settings.write"
	// PermPayments records payments received, applies credit, moves
	// allocations and refunds.
	PermPayments Perm = "payments.write"
	// PermLedger keeps the books: the chart of accounts, the export
	// formats' options, closing months.
	PermLedger Perm = "ledger.write"
)

type roleKey struct {
	kind tenancy.Kind
	role Role
}

var all = []Perm{PermTenantsRead, PermTenantsWrite, PermUsersRead, PermUsersWrite, PermAuditRead, PermKeysRead, PermKeysWrite, PermBrand, PermSecurity,
	PermHostingRead, PermHostingWrite, PermSubdomains, PermServers, PermResellerLimit,
	PermBillingRead, PermCatalog, PermContracts, PermInvoices, PermApprove, PermProfile, PermSettings, PermPayments, PermLedger}

// billingAll is every billing permission.
var billingAll = []Perm{PermBillingRead, PermCatalog, PermContracts, PermInvoices, PermApprove, PermProfile, PermSettings, PermPayments, PermLedger}

// All lists every permission.
func All() []Perm { return slices.Clone(all) }

// grants lists each role's permissions; a role missing here does not exist
// for that tenant kind.
var grants = map[roleKey][]Perm{
	{tenancy.KindOperator, RoleAdmin}: all,
	{tenancy.KindOperator, RoleBilling}: append([]Perm{PermTenantsRead, PermTenantsWrite, PermUsersRead, PermHostingRead, PermResellerLimit},
		billingAll...),
	{tenancy.KindOperator, RoleSupport}: {PermTenantsRead, PermUsersRead, PermHostingRead, PermHostingWrite, PermSubdomains, PermBillingRead},
	{tenancy.KindOperator, RoleAuditor}: {PermTenantsRead, PermUsersRead, PermAuditRead, PermKeysRead, PermHostingRead, PermBillingRead},
	{tenancy.KindReseller, RoleOwner}: append([]Perm{PermTenantsRead, PermTenantsWrite, PermUsersRead, PermUsersWrite, PermAuditRead, PermKeysRead, PermKeysWrite, PermBrand,
		PermHostingRead, PermHostingWrite, PermSubdomains}, billingAll...),
	{tenancy.KindReseller, RoleStaff}: {PermTenantsRead, PermTenantsWrite, PermUsersRead, PermHostingRead, PermHostingWrite, PermSubdomains,
		PermBillingRead, PermContracts, PermInvoices, PermProfile, PermPayments},
	{tenancy.KindClient, RoleOwner}: {PermTenantsRead, PermUsersRead, PermUsersWrite, PermKeysRead, PermKeysWrite, PermHostingRead, PermSubdomains,
		PermBillingRead, PermProfile},
	{tenancy.KindClient, RoleUser}: {PermTenantsRead, PermHostingRead, PermBillingRead},
}

// RolesFor lists the roles a tenant of kind k can give, most powerful
// first.
func RolesFor(k tenancy.Kind) []Role {
	switch k {
	case tenancy.KindOperator:
		return []Role{RoleAdmin, RoleBilling, RoleSupport, RoleAuditor}
	case tenancy.KindReseller:
		return []Role{RoleOwner, RoleStaff}
	case tenancy.KindClient:
		return []Role{RoleOwner, RoleUser}
	}
	return nil
}

// ValidRole reports whether r exists for tenants of kind k.
func ValidRole(k tenancy.Kind, r Role) bool {
	_, ok := grants[roleKey{k, r}]
	return ok
}

// Allows reports whether role r in a tenant of kind k grants p.
func Allows(k tenancy.Kind, r Role, p Perm) bool {
	return slices.Contains(grants[roleKey{k, r}], p)
}

// covers reports whether (k, r) holds every permission of (k2, r2): a
// caller may only hand out what it has itself.
func covers(k tenancy.Kind, r Role, k2 tenancy.Kind, r2 Role) bool {
	for _, p := range grants[roleKey{k2, r2}] {
		if !Allows(k, r, p) {
			return false
		}
	}
	return true
}

// Caller is who makes a request: a signed-in user or an API key, with its
// role and the tenant subtree it may see. Every service method takes one.
type Caller struct {
	UserID   int64
	APIKeyID int64
	Role     Role
	Scope    tenancy.Scope
	Label    string
}

// SystemCaller acts as the operator's admin; the CLI uses it.
func SystemCaller(label string) Caller {
	return Caller{Role: RoleAdmin, Label: label, Scope: tenancy.Scope{
		TenantID: tenancy.OperatorID, Kind: tenancy.KindOperator, Path: tenancy.PathOf("/", tenancy.OperatorID)}}
}

// Can reports whether the caller holds p.
func (c Caller) Can(p Perm) bool { return c.Scope.Valid() && Allows(c.Scope.Kind, c.Role, p) }

// Require returns a forbidden error unless the caller holds p.
func (c Caller) Require(p Perm) error {
	if !c.Can(p) {
		return core.E(core.ErrForbidden, "your role %s may not %s", c.Role, p)
	}
	return nil
}

// Covers reports whether role r of a tenant of kind k holds every
// permission of role r2 of the same kind: what r may hand out.
func Covers(k tenancy.Kind, r, r2 Role) bool { return covers(k, r, k, r2) }

// knownRole reports whether r is a role of any tenant kind.
func knownRole(r Role) bool {
	for k := range grants {
		if k.role == r {
			return true
		}
	}
	return false
}
