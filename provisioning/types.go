package provisioning

import (
	"time"
)

// State is where a resource is in its lifecycle: pending -> active ->
// suspended -> terminated, or failed when it could not be created.
// Domains and subdomains use pending, active, failed and removed.
type State string

// The states.
const (
	StatePending    State = "pending"
	StateActive     State = "active"
	StateSuspended  State = "suspended"
	StateTerminated State = "terminated"
	StateFailed     State = "failed"
	StateRemoved    State = "removed"
)

// Reason says why an account or a reseller is suspended.
type Reason string

// The suspension reasons.
const (
	ReasonNonpayment        Reason = "nonpayment"
	ReasonAbuse             Reason = "abuse"
	ReasonManual            Reason = "manual"
	ReasonResellerSuspended Reason = "reseller_suspended"
)

// Reasons lists the reasons a caller may give (reseller_suspended is set
// only by a reseller's suspension).
var Reasons = []Reason{ReasonNonpayment, ReasonAbuse, ReasonManual}

// Server is a machine (or a remote panel) that hosts accounts through a
// driver.
type Server struct {
	ID            int64      `json:"id" gorm:"primaryKey"`
	Name          string     `json:"name"`
	Driver        string     `json:"driver"`
	Settings      string     `json:"settings"`
	Capacity      int        `json:"capacity"` // accounts; 0 = unlimited
	Enabled       bool       `json:"enabled"`
	Health        string     `json:"health"` // unknown, ok, failing
	HealthMessage string     `json:"health_message,omitempty"`
	HealthAt      *time.Time `json:"health_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Accounts      int64      `json:"accounts" gorm:"-"`
}

// TableName is the table's name.
func (Server) TableName() string { return "servers" }

// Package is what a hosting account gets: quotas and how many domains and
// subdomains it may carry. The operator's packages serve everyone; a
// reseller's serve its own clients.
type Package struct {
	ID               int64     `json:"id" gorm:"primaryKey"`
	TenantID         int64     `json:"tenant_id"`
	Code             string    `json:"code"`
	Name             string    `json:"name"`
	DiskMB           int64     `json:"disk_mb" gorm:"column:disk_mb"`
	TrafficMB        int64     `json:"traffic_mb" gorm:"column:traffic_mb"`
	MaxDomains       int       `json:"max_domains"`
	MaxSubdomains    int       `json:"max_subdomains"`
	ClientSubdomains bool      `json:"client_subdomains"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// TableName is the table's name.
func (Package) TableName() string { return "packages" }

// ResellerAccount is a reseller tenant's hosting allowance: how many
// clients, how much disk and traffic its accounts may add up to (0 means
// no limit), and the reseller package it is billed for.
type ResellerAccount struct {
	ID            int64     `json:"id" gorm:"primaryKey"`
	TenantID      int64     `json:"tenant_id"`
	TenantPath    string    `json:"-"`
	Package       string    `json:"package"`
	MaxClients    int       `json:"max_clients"`
	DiskMB        int64     `json:"disk_mb" gorm:"column:disk_mb"`
	TrafficMB     int64     `json:"traffic_mb" gorm:"column:traffic_mb"`
	State         State     `json:"state"`
	SuspendReason Reason    `json:"suspend_reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	TenantName    string    `json:"tenant_name" gorm:"-"`
}

// TableName is the table's name.
func (ResellerAccount) TableName() string { return "reseller_accounts" }

// Account is a hosting account. State is what the server last confirmed;
// Target is where queued jobs take it. They differ while a change is in
// progress, and LastError then tells why it is not done yet.
type Account struct {
	ID            int64      `json:"id" gorm:"primaryKey"`
	TenantID      int64      `json:"tenant_id"`
	TenantPath    string     `json:"-"`
	SellerID      int64      `json:"seller_id"`
	PackageID     int64      `json:"package_id"`
	ServerID      int64      `json:"server_id"`
	Username      string     `json:"username"`
	UsernameKey   *string    `json:"-"`
	DiskMB        int64      `json:"disk_mb" gorm:"column:disk_mb"`
	TrafficMB     int64      `json:"traffic_mb" gorm:"column:traffic_mb"`
	State         State      `json:"state"`
	Target        State      `json:"target"`
	SuspendReason Reason     `json:"suspend_reason,omitempty"`
	Failure       string     `json:"failure,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	TerminatedAt  *time.Time `json:"terminated_at,omitempty"`
}

// TableName is the table's name.
func (Account) TableName() string { return "accounts" }

// Live reports whether the account still exists on its server (or is
// about to).
func (a Account) Live() bool { return a.Target != StateTerminated && a.State != StateFailed }

// Domain is a domain on a hosting account, or a subdomain under one of
// its domains (ParentID set). Name is the ASCII (punycode) form, unique
// across the panel while the domain is not removed.
type Domain struct {
	ID          int64      `json:"id" gorm:"primaryKey"`
	AccountID   int64      `json:"account_id"`
	ParentID    *int64     `json:"parent_id,omitempty"`
	TenantID    int64      `json:"tenant_id"`
	TenantPath  string     `json:"-"`
	Name        string     `json:"name"`
	DisplayName string     `json:"display_name"`
	NameKey     *string    `json:"-"`
	State       State      `json:"state"`
	Target      State      `json:"target"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	RemovedAt   *time.Time `json:"removed_at,omitempty"`
}

// TableName is the table's name.
func (Domain) TableName() string { return "domains" }

// IsSubdomain reports whether d is a subdomain of another domain.
func (d Domain) IsSubdomain() bool { return d.ParentID != nil }
