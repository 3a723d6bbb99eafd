package provisioning

import "strconv"

// The lifecycle events. Each is written to the outbox in the transaction
// that makes its transition, so it is published exactly when the change
// is recorded; the outbox's Meta carries the event id, the time and the
// actor. Events about an account, its domains and subdomains share the
// aggregate "account:<id>" and are delivered in order; a reseller's share
// "reseller:<tenant id>".

// AccountRef names an account and who owns and sells it, in every account
// event.
type AccountRef struct {
	AccountID int64  `json:"account_id"`
	TenantID  int64  `json:"tenant_id"`
	SellerID  int64  `json:"seller_id"`
	Username  string `json:"username"`
}

func (r AccountRef) key() string { return "account:" + strconv.FormatInt(r.AccountID, 10) }

// AccountCreated: the server created the account.
type AccountCreated struct {
	AccountRef
	PackageID int64  `json:"package_id"`
	Package   string `json:"package"`
	ServerID  int64  `json:"server_id"`
}

// AccountSuspended: the server suspended the account.
type AccountSuspended struct {
	AccountRef
	Reason Reason `json:"reason"`
}

// AccountUnsuspended: the server restored the account.
type AccountUnsuspended struct {
	AccountRef
}

// AccountTerminated: the server removed the account and its sites.
type AccountTerminated struct {
	AccountRef
}

// AccountPackageChanged: the server applied another package.
type AccountPackageChanged struct {
	AccountRef
	FromPackageID int64  `json:"from_package_id"`
	FromPackage   string `json:"from_package"`
	ToPackageID   int64  `json:"to_package_id"`
	ToPackage     string `json:"to_package"`
}

// DomainAdded: the server serves a new domain on the account.
type DomainAdded struct {
	AccountRef
	DomainID int64  `json:"domain_id"`
	Name     string `json:"name"`
}

// DomainRemoved: the server no longer serves the domain.
type DomainRemoved struct {
	AccountRef
	DomainID int64  `json:"domain_id"`
	Name     string `json:"name"`
}

// SubdomainAdded: the server serves a new subdomain.
type SubdomainAdded struct {
	AccountRef
	SubdomainID int64  `json:"subdomain_id"`
	DomainID    int64  `json:"domain_id"`
	Name        string `json:"name"`
}

// SubdomainRemoved: the server no longer serves the subdomain.
type SubdomainRemoved struct {
	AccountRef
	SubdomainID int64  `json:"subdomain_id"`
	DomainID    int64  `json:"domain_id"`
	Name        string `json:"name"`
}

// ResellerRef names a reseller account in every reseller event.
type ResellerRef struct {
	ResellerID int64  `json:"reseller_id"` // the reseller's tenant id
	AccountID  int64  `json:"reseller_account_id"`
	Package    string `json:"package"`
}

func (r ResellerRef) key() string { return "reseller:" + strconv.FormatInt(r.ResellerID, 10) }

// ResellerCreated: a reseller account was opened.
type ResellerCreated struct{ ResellerRef }

// ResellerSuspended: a reseller account was suspended (its clients'
// accounts follow with reason reseller_suspended).
type ResellerSuspended struct {
	ResellerRef
	Reason Reason `json:"reason"`
}

// ResellerUnsuspended: a reseller account was restored.
type ResellerUnsuspended struct{ ResellerRef }

// ResellerTerminated: a reseller account was closed (its accounts are
// terminated).
type ResellerTerminated struct{ ResellerRef }

// EventName and AggregateKey implement outbox.Event.
func (AccountCreated) EventName() string             { return "provisioning.account_created" }
func (AccountSuspended) EventName() string           { return "provisioning.account_suspended" }
func (AccountUnsuspended) EventName() string         { return "provisioning.account_unsuspended" }
func (AccountTerminated) EventName() string          { return "provisioning.account_terminated" }
func (AccountPackageChanged) EventName() string      { return "provisioning.account_package_changed" }
func (DomainAdded) EventName() string                { return "provisioning.domain_added" }
func (DomainRemoved) EventName() string              { return "provisioning.domain_removed" }
func (SubdomainAdded) EventName() string             { return "provisioning.subdomain_added" }
func (SubdomainRemoved) EventName() string           { return "provisioning.subdomain_removed" }
func (ResellerCreated) EventName() string            { return "provisioning.reseller_created" }
func (ResellerSuspended) EventName() string          { return "provisioning.reseller_suspended" }
func (ResellerUnsuspended) EventName() string        { return "provisioning.reseller_unsuspended" }
func (ResellerTerminated) EventName() string         { return "provisioning.reseller_terminated" }
func (e AccountCreated) AggregateKey() string        { return e.key() }
func (e AccountSuspended) AggregateKey() string      { return e.key() }
func (e AccountUnsuspended) AggregateKey() string    { return e.key() }
func (e AccountTerminated) AggregateKey() string     { return e.key() }
func (e AccountPackageChanged) AggregateKey() string { return e.key() }
func (e DomainAdded) AggregateKey() string           { return e.key() }
func (e DomainRemoved) AggregateKey() string         { return e.key() }
func (e SubdomainAdded) AggregateKey() string        { return e.key() }
func (e SubdomainRemoved) AggregateKey() string      { return e.key() }
func (e ResellerCreated) AggregateKey() string       { return e.key() }
func (e ResellerSuspended) AggregateKey() string     { return e.key() }
func (e ResellerUnsuspended) AggregateKey() string   { return e.key() }
func (e ResellerTerminated) AggregateKey() string    { return e.key() }
